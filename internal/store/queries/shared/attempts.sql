-- name: InsertAttempt :one
INSERT INTO attempts (task_id, run_id, task, number, state, worker_id, zone, dispatched_at, timeout_ms)
VALUES (sqlc.arg(task_id), sqlc.arg(run_id), sqlc.arg(task), sqlc.arg(number), 'dispatched',
        sqlc.arg(worker_id), sqlc.arg(zone), baton_now(), sqlc.arg(timeout_ms))
RETURNING id;

-- name: StartAttempt :one
UPDATE attempts SET state = 'running', started_at = baton_now()
WHERE id = sqlc.arg(id) AND worker_id = sqlc.arg(worker_id) AND state = 'dispatched'
RETURNING *;

-- name: FinishAttempt :one
-- Ends a live attempt (of worker_id, unless empty), and records its start
-- too when start is set and it had none (both reported at once). No row
-- means the attempt was no longer live there: it is fenced.
UPDATE attempts
SET state = sqlc.arg(state), reason = sqlc.arg(reason), exit_code = sqlc.arg(exit_code),
    finished_at = baton_now(),
    started_at = CASE WHEN CAST(sqlc.arg(start) AS BOOLEAN) AND started_at = 0 THEN baton_now() ELSE started_at END
WHERE id = sqlc.arg(id) AND state IN ('dispatched', 'running')
  AND (CAST(sqlc.arg(worker_id) AS TEXT) = '' OR worker_id = sqlc.arg(worker_id))
RETURNING *;

-- name: GetAttempt :one
SELECT * FROM attempts WHERE id = sqlc.arg(id);

-- name: ListRunAttempts :many
SELECT * FROM attempts WHERE run_id = sqlc.arg(run_id) ORDER BY task_id, number;

-- name: ListLiveAttempts :many
-- A worker's live attempts; overdue ones were dispatched longer than
-- dispatch_timeout_ms ago and not started; overtime ones started longer
-- than their timeout and grace_ms ago.
SELECT id, stop_requested,
       CAST(state = 'dispatched' AND dispatched_at < baton_now() - CAST(sqlc.arg(dispatch_timeout_ms) AS BIGINT)
            AS BOOLEAN) AS overdue,
       CAST(state = 'running' AND timeout_ms > 0
            AND started_at < baton_now() - timeout_ms - CAST(sqlc.arg(grace_ms) AS BIGINT) AS BOOLEAN) AS overtime
FROM attempts
WHERE worker_id = sqlc.arg(worker_id) AND state IN ('dispatched', 'running');

-- name: ListUnstartedAttempts :many
-- A worker's attempts dispatched and not started, oldest first.
SELECT * FROM attempts
WHERE worker_id = sqlc.arg(worker_id) AND state = 'dispatched'
ORDER BY id;

-- name: ListWorkerAttempts :many
SELECT * FROM attempts
WHERE worker_id = sqlc.arg(worker_id) AND state IN ('dispatched', 'running')
ORDER BY id;

-- name: RequestStop :execrows
-- Asks the attempt's worker to stop it (preemption); it stays live until
-- the worker reports it ended, so it never overlaps its successor.
UPDATE attempts SET stop_requested = true
WHERE id = sqlc.arg(id) AND state IN ('dispatched', 'running');

-- name: CancelRunAttempts :many
UPDATE attempts SET state = 'cancelled', reason = sqlc.arg(reason), finished_at = baton_now()
WHERE run_id = sqlc.arg(run_id) AND state IN ('dispatched', 'running')
RETURNING id, task_id, task, worker_id;

-- name: ResetDispatched :execrows
-- Restarts the dispatch timeout of every attempt not yet started, after an
-- outage in which no start report could arrive.
UPDATE attempts SET dispatched_at = baton_now() WHERE state = 'dispatched';
