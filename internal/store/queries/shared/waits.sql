-- name: InsertWait :exec
-- The state of a wait task's attempt; first checked at once.
INSERT INTO task_waits (attempt_id, task_id, run_id, workflow, from_ms, to_ms, until_ms, http,
                        interval_ms, next_check_at, deadline, skip_on_timeout)
VALUES (sqlc.arg(attempt_id), sqlc.arg(task_id), sqlc.arg(run_id), sqlc.arg(workflow), sqlc.arg(from_ms),
        sqlc.arg(to_ms), sqlc.arg(until_ms), sqlc.arg(http), sqlc.arg(interval_ms), baton_now(),
        baton_now() + CAST(sqlc.arg(timeout_ms) AS BIGINT), sqlc.arg(skip_on_timeout));

-- name: AnyWaitDue :one
-- Whether a wait is due for a check: a cheap read that spares an idle
-- check loop a write transaction.
SELECT CAST(EXISTS (SELECT 1 FROM task_waits WHERE next_check_at <= baton_now()) AS BOOLEAN);

-- name: CountWaits :one
SELECT CAST(COUNT(*) AS BIGINT) FROM task_waits;

-- name: WakeWaits :execrows
-- Makes the waits for the workflow of a run that just succeeded due now,
-- so that they see it at the next check rather than an interval later.
UPDATE task_waits SET next_check_at = baton_now()
WHERE workflow <> '' AND next_check_at > baton_now()
  AND workflow = (SELECT r.workflow FROM runs r WHERE r.id = sqlc.arg(run_id));
