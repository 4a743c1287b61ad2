-- name: InsertEvent :exec
INSERT INTO events (at, kind, actor, run_id, task_id, task, attempt_id, worker_id,
                    old_state, new_state, reason, zone)
VALUES (baton_now(), sqlc.arg(kind), sqlc.arg(actor), sqlc.arg(run_id), sqlc.arg(task_id),
        sqlc.arg(task), sqlc.arg(attempt_id), sqlc.arg(worker_id), sqlc.arg(old_state),
        sqlc.arg(new_state), sqlc.arg(reason), sqlc.arg(zone));

-- name: ListEvents :many
SELECT * FROM events
WHERE (CAST(sqlc.arg(run_id) AS BIGINT) = 0 OR run_id = sqlc.arg(run_id))
  AND (CAST(sqlc.arg(kind) AS TEXT) = '' OR kind = sqlc.arg(kind))
  AND id > CAST(sqlc.arg(after_id) AS BIGINT)
ORDER BY id
LIMIT CAST(sqlc.arg(lim) AS BIGINT);
