-- name: DispatchLatencies :many
-- How long the first attempts of runs from_run..to_run took from their task
-- becoming ready to running, in milliseconds.
SELECT CAST(a.started_at - t.ready_at AS BIGINT) AS ms
FROM attempts a JOIN tasks t ON t.id = a.task_id
WHERE a.run_id >= sqlc.arg(from_run) AND a.run_id <= sqlc.arg(to_run) AND a.number = 1 AND a.started_at > 0;
