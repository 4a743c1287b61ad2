-- name: InsertEvent :exec
INSERT INTO events (at, kind, actor, run_id, task_id, task, attempt_id, worker_id,
                    old_state, new_state, reason, zone)
VALUES (baton_now(), sqlc.arg(kind), sqlc.arg(actor), sqlc.arg(run_id), sqlc.arg(task_id),
        sqlc.arg(task), sqlc.arg(attempt_id), sqlc.arg(worker_id), sqlc.arg(old_state),
        sqlc.arg(new_state), sqlc.arg(reason), sqlc.arg(zone));

-- name: ListEvents :many
-- Every event in ID order (a run's: ListRunEvents, which its index serves).
SELECT * FROM events
WHERE (CAST(sqlc.arg(kind) AS TEXT) = '' OR kind = sqlc.arg(kind))
  AND id > CAST(sqlc.arg(after_id) AS BIGINT)
ORDER BY id
LIMIT CAST(sqlc.arg(lim) AS BIGINT);

-- name: ListRunEvents :many
-- A run's events in ID order. run_id <> 0 lets the partial index serve
-- whatever run is asked for.
SELECT * FROM events
WHERE run_id = sqlc.arg(run_id) AND run_id <> 0
  AND (CAST(sqlc.arg(kind) AS TEXT) = '' OR kind = sqlc.arg(kind))
  AND id > CAST(sqlc.arg(after_id) AS BIGINT)
ORDER BY run_id, id
LIMIT CAST(sqlc.arg(lim) AS BIGINT);
