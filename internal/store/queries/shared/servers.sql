-- name: UpsertServer :one
-- A server records itself at start: started and seen now.
INSERT INTO servers (id, address, zone, version, started_at, last_seen_at, ready)
VALUES (sqlc.arg(id), sqlc.arg(address), sqlc.arg(zone), sqlc.arg(version), baton_now(), baton_now(), true)
ON CONFLICT (id) DO UPDATE SET address = excluded.address, zone = excluded.zone,
    version = excluded.version, last_seen_at = excluded.last_seen_at, ready = true
RETURNING *;

-- name: TouchServer :execrows
-- A server is still there, ready or not.
UPDATE servers SET last_seen_at = baton_now(), ready = sqlc.arg(ready) WHERE id = sqlc.arg(id);

-- name: ListServers :many
-- Every server recorded, with the database's time to judge last_seen_at by.
SELECT id, address, zone, version, started_at, last_seen_at, ready, CAST(baton_now() AS BIGINT) AS now
FROM servers ORDER BY zone, address, id;

-- name: DeleteStaleServers :execrows
-- Forgets the servers not seen for window_ms.
DELETE FROM servers WHERE last_seen_at < baton_now() - CAST(sqlc.arg(window_ms) AS BIGINT);
