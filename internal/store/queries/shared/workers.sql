-- name: RegisterWorker :one
INSERT INTO workers (id, name, zone, grp, labels, capacity, state, version,
                     lease_expires_at, registered_at, last_seen_at)
VALUES (sqlc.arg(id), sqlc.arg(name), sqlc.arg(zone), sqlc.arg(grp), sqlc.arg(labels),
        sqlc.arg(capacity), 'active', sqlc.arg(version),
        baton_now() + CAST(sqlc.arg(ttl_ms) AS BIGINT), baton_now(), baton_now())
RETURNING *;

-- name: RenewWorker :one
-- Renews the lease of a worker, which covers every attempt it holds.
UPDATE workers
SET lease_expires_at = baton_now() + CAST(sqlc.arg(ttl_ms) AS BIGINT), last_seen_at = baton_now()
WHERE id = sqlc.arg(id) AND state IN ('active', 'draining')
RETURNING *;

-- name: GetWorker :one
SELECT * FROM workers WHERE id = sqlc.arg(id);

-- name: ListWorkers :many
SELECT * FROM workers
WHERE CAST(sqlc.arg(all_states) AS BOOLEAN) OR state IN ('active', 'draining')
ORDER BY zone, name, id;

-- name: ListRecentWorkers :many
-- Live workers, and the others seen within window_ms: zone health counts
-- recently lost workers that have not come back.
SELECT * FROM workers
WHERE state IN ('active', 'draining') OR last_seen_at > baton_now() - CAST(sqlc.arg(window_ms) AS BIGINT)
ORDER BY zone, name, id;

-- name: DrainZoneWorkers :many
UPDATE workers SET state = 'draining'
WHERE zone = sqlc.arg(zone) AND state = 'active'
RETURNING id, zone;

-- name: WorkerUsage :many
-- Live attempts and the capacity they take, per worker.
SELECT worker_id, CAST(count(*) AS BIGINT) AS running,
       CAST(coalesce(sum(cu), 0) AS DOUBLE PRECISION) AS used_cu
FROM tasks
WHERE state = 'running' AND NOT EXISTS (SELECT 1 FROM ended_attempts e WHERE e.id = tasks.attempt_id)
GROUP BY worker_id;

-- name: ExtendLeases :execrows
-- Gives every live worker at least ttl_ms more, after an outage in which
-- none could renew.
UPDATE workers SET lease_expires_at = baton_now() + CAST(sqlc.arg(ttl_ms) AS BIGINT)
WHERE state IN ('active', 'draining')
  AND lease_expires_at < baton_now() + CAST(sqlc.arg(ttl_ms) AS BIGINT);
