-- name: EnsureZone :exec
INSERT INTO zones (name, changed_at) VALUES (sqlc.arg(name), baton_now())
ON CONFLICT (name) DO NOTHING;

-- name: GetZone :one
SELECT * FROM zones WHERE name = sqlc.arg(name);

-- name: ListZones :many
SELECT * FROM zones ORDER BY name;

-- name: SetZoneState :execrows
-- Records a zone's new health; no row when it was already in that state, so
-- of several servers computing the same change only one records it.
UPDATE zones SET state = sqlc.arg(state), changed_at = baton_now()
WHERE name = sqlc.arg(name) AND state <> sqlc.arg(state);

-- name: SetZoneCordon :one
UPDATE zones SET cordoned = sqlc.arg(cordoned), reason = sqlc.arg(reason)
WHERE name = sqlc.arg(name)
RETURNING *;
