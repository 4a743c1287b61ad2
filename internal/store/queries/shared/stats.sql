-- name: DispatchLatencies :many
-- How long the first attempts of runs from_run..to_run took from their task
-- becoming ready to running, in milliseconds.
SELECT CAST(a.started_at - t.ready_at AS BIGINT) AS ms
FROM attempts a JOIN tasks t ON t.id = a.task_id
WHERE a.run_id >= sqlc.arg(from_run) AND a.run_id <= sqlc.arg(to_run) AND a.number = 1 AND a.started_at > 0;

-- name: QueueDepth :many
-- The queue: queued tasks not held, per group and allowed zones (",a,b,"
-- or empty for any), with how long the oldest of them has waited.
SELECT grp, zones_allow, CAST(COUNT(*) AS BIGINT) AS tasks,
       CAST(COALESCE(MAX(baton_now() - ready_at), 0) AS BIGINT) AS oldest_ms
FROM tasks
WHERE state = 'queued' AND NOT held
GROUP BY grp, zones_allow;

-- name: UndeliveredAlerts :many
-- Alerts not delivered, per state (pending: still tried; failed: given
-- up), with the age of the oldest.
SELECT state, CAST(COUNT(*) AS BIGINT) AS alerts,
       CAST(COALESCE(MAX(baton_now() - created_at), 0) AS BIGINT) AS oldest_ms
FROM alert_outbox
GROUP BY state;
