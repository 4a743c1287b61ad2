-- Queries that find tasks and attempts by their state, through the narrow
-- tables task_queue and live_attempts that triggers keep (migration
-- 00022): no index of tasks or attempts names the state, so their state
-- changes are heap-only. Each has a twin of the same name in ../sqlite.

-- name: WakeRetries :many
UPDATE tasks SET state = 'queued'
WHERE id IN (SELECT q.task_id FROM task_queue q WHERE q.state = 'retry_wait' AND q.ready_at <= baton_now())
  AND state = 'retry_wait'
RETURNING id, run_id, name, state;

-- name: AnyQueued :one
-- Whether a task of a group waits to be claimed (1) or not (0).
SELECT count(*) FROM (SELECT 1 FROM task_queue q JOIN tasks t ON t.id = q.task_id
                      WHERE q.state = 'queued' AND q.grp = sqlc.arg(grp) AND NOT t.held LIMIT 1) AS q;

-- name: QueueDepth :many
-- The queue: queued tasks not held, per group and allowed zones (",a,b,"
-- or empty for any), with how long the oldest of them has waited.
SELECT t.grp, t.zones_allow, CAST(COUNT(*) AS BIGINT) AS tasks,
       CAST(COALESCE(MAX(baton_now() - t.ready_at), 0) AS BIGINT) AS oldest_ms
FROM task_queue q JOIN tasks t ON t.id = q.task_id
WHERE q.state = 'queued' AND NOT t.held
GROUP BY t.grp, t.zones_allow;

-- name: ListSlots :many
-- Every slot with its running and queued tasks.
SELECT s.name, s.size, s.description, s.updated_at,
       (SELECT count(*) FROM task_queue q WHERE q.slot = s.name AND q.state = 'running') AS running,
       (SELECT count(*) FROM task_queue q WHERE q.slot = s.name AND q.state = 'queued') AS queued
FROM slots s ORDER BY s.name;

-- name: CountSlotRunning :one
-- Tasks of a slot running now (a statement of its own, so that it reads
-- what committed before the slot's row was locked).
SELECT count(*) FROM task_queue WHERE slot = sqlc.arg(slot) AND state = 'running';

-- name: SlotUsage :many
-- Every slot's size and running tasks, for the claims' hint of which
-- slots are open.
SELECT s.name, s.size,
       (SELECT count(*) FROM task_queue q WHERE q.slot = s.name AND q.state = 'running') AS running
FROM slots s;

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
WHERE id IN (SELECT l.attempt_id FROM live_attempts l WHERE l.worker_id = sqlc.arg(worker_id))
  AND state IN ('dispatched', 'running');

-- name: ListWorkerAttempts :many
SELECT * FROM attempts
WHERE id IN (SELECT l.attempt_id FROM live_attempts l WHERE l.worker_id = sqlc.arg(worker_id))
  AND state IN ('dispatched', 'running')
ORDER BY id;

-- name: ResetDispatched :execrows
-- Restarts the dispatch timeout of every attempt not yet started, after an
-- outage in which no start report could arrive.
UPDATE attempts SET dispatched_at = baton_now()
WHERE id IN (SELECT l.attempt_id FROM live_attempts l) AND state = 'dispatched';

-- name: WorkerUsage :many
-- Live attempts and the capacity they take, per worker.
SELECT l.worker_id, CAST(count(*) AS BIGINT) AS running,
       CAST(coalesce(sum(t.cu), 0) AS DOUBLE PRECISION) AS used_cu
FROM live_attempts l JOIN attempts a ON a.id = l.attempt_id JOIN tasks t ON t.id = a.task_id
GROUP BY l.worker_id;
