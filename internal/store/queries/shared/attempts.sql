-- An attempt is live while its task runs under it (tasks.state running,
-- tasks.attempt_id its ID) and ended_attempts holds no row of it;
-- ended_attempts holds ended attempts, each written once, by the statement
-- that ends it. The view live_attempts reads the live ones as rows of
-- ended_attempts, the view attempts both (migration 00024).

-- name: DispatchAttempt :execrows
-- Turns a queued task running under a new live attempt.
UPDATE tasks
SET state = 'running', attempt_id = sqlc.arg(attempt_id), attempts = attempts + 1,
    started_at = CASE WHEN started_at = 0 THEN baton_now() ELSE started_at END,
    worker_id = sqlc.arg(worker_id), zone = sqlc.arg(zone), dispatched_at = baton_now(), attempt_started_at = 0,
    timeout_ms = sqlc.arg(timeout_ms), stop_requested = false
WHERE id = sqlc.arg(id) AND state = 'queued';

-- name: StartAttempt :execrows
UPDATE tasks SET attempt_started_at = baton_now()
WHERE attempt_id = sqlc.arg(id) AND state = 'running' AND tasks.worker_id = sqlc.arg(worker_id) AND attempt_started_at = 0
  AND NOT EXISTS (SELECT 1 FROM ended_attempts e WHERE e.id = tasks.attempt_id);

-- name: FinishAttempt :one
-- Ends a live attempt (of worker_id, unless empty), and records its start
-- too when start is set and it had none (both reported at once). No row
-- means the attempt was no longer live there: it is fenced.
INSERT INTO ended_attempts (id, task_id, run_id, task, number, state, reason, worker_id, zone, exit_code, dispatched_at,
                      started_at, finished_at, stop_requested, timeout_ms)
SELECT l.id, l.task_id, l.run_id, l.task, l.number, CAST(sqlc.arg(state) AS TEXT), CAST(sqlc.arg(reason) AS TEXT),
       l.worker_id, l.zone, CAST(sqlc.arg(exit_code) AS BIGINT), l.dispatched_at,
       CASE WHEN CAST(sqlc.arg(start) AS BOOLEAN) AND l.started_at = 0 THEN baton_now() ELSE l.started_at END,
       baton_now(), l.stop_requested, l.timeout_ms
FROM live_attempts l
WHERE l.id = sqlc.arg(id) AND (CAST(sqlc.arg(worker_id) AS TEXT) = '' OR l.worker_id = sqlc.arg(worker_id))
ON CONFLICT (id) DO NOTHING
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
FROM live_attempts
WHERE worker_id = sqlc.arg(worker_id);

-- name: ListUnstartedAttempts :many
-- A worker's attempts dispatched and not started, oldest first.
SELECT * FROM live_attempts
WHERE worker_id = sqlc.arg(worker_id) AND state = 'dispatched'
ORDER BY id;

-- name: ListWorkerAttempts :many
SELECT * FROM live_attempts
WHERE worker_id = sqlc.arg(worker_id)
ORDER BY id;

-- name: RequestStop :execrows
-- Asks the attempt's worker to stop it (preemption); it stays live until
-- the worker reports it ended, so it never overlaps its successor.
UPDATE tasks SET stop_requested = true
WHERE attempt_id = sqlc.arg(id) AND state = 'running'
  AND NOT EXISTS (SELECT 1 FROM ended_attempts e WHERE e.id = tasks.attempt_id);

-- name: CancelRunAttempts :many
-- Ends as cancelled the live attempts of a run's tasks: those running and
-- those just cancelled (CancelRunTasks keeps a running task's attempt ID,
-- so that an attempt a racing claim dispatched is seen here and ended).
INSERT INTO ended_attempts (id, task_id, run_id, task, number, state, reason, worker_id, zone, exit_code, dispatched_at,
                      started_at, finished_at, stop_requested, timeout_ms)
SELECT t.attempt_id, t.id, t.run_id, t.name, t.attempts, 'cancelled', CAST(sqlc.arg(reason) AS TEXT), t.worker_id,
       t.zone, 0, t.dispatched_at, t.attempt_started_at, baton_now(), t.stop_requested, t.timeout_ms
FROM tasks t
WHERE t.run_id = sqlc.arg(run_id) AND t.attempt_id > 0 AND t.state IN ('running', 'cancelled')
  AND NOT EXISTS (SELECT 1 FROM ended_attempts e WHERE e.id = t.attempt_id)
ON CONFLICT (id) DO NOTHING
RETURNING id, task_id, task, worker_id;

-- name: ClearCancelledAttempts :exec
-- Drops the attempt IDs cancelled tasks kept for CancelRunAttempts.
UPDATE tasks SET attempt_id = 0 WHERE run_id = sqlc.arg(run_id) AND state = 'cancelled' AND attempt_id > 0;

-- name: ResetDispatched :execrows
-- Restarts the dispatch timeout of every attempt not yet started, after an
-- outage in which no start report could arrive.
UPDATE tasks SET dispatched_at = baton_now()
WHERE state = 'running' AND attempt_started_at = 0
  AND NOT EXISTS (SELECT 1 FROM ended_attempts e WHERE e.id = tasks.attempt_id);
