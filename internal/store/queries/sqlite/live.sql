-- Queries that find tasks and attempts by their state. PostgreSQL finds
-- them through the narrow tables task_queue and live_attempts (so that no
-- index of tasks or attempts names the state); each has a twin of the same
-- name in ../postgres.

-- name: WakeRetries :many
UPDATE tasks SET state = 'queued'
WHERE state = 'retry_wait' AND ready_at <= baton_now()
RETURNING id, run_id, name, state;

-- name: AnyQueued :one
-- Whether a task of a group waits to be claimed (1) or not (0).
SELECT count(*) FROM (SELECT 1 FROM tasks WHERE state = 'queued' AND grp = sqlc.arg(grp) AND NOT held LIMIT 1) AS q;

-- name: QueueDepth :many
-- The queue: queued tasks not held, per group and allowed zones (",a,b,"
-- or empty for any), with how long the oldest of them has waited.
SELECT grp, zones_allow, CAST(COUNT(*) AS BIGINT) AS tasks,
       CAST(COALESCE(MAX(baton_now() - ready_at), 0) AS BIGINT) AS oldest_ms
FROM tasks
WHERE state = 'queued' AND NOT held
GROUP BY grp, zones_allow;

-- name: ListSlots :many
-- Every slot with its running and queued tasks.
SELECT s.name, s.size, s.description, s.updated_at,
       (SELECT count(*) FROM tasks t WHERE t.slot = s.name AND t.state = 'running') AS running,
       (SELECT count(*) FROM tasks t WHERE t.slot = s.name AND t.state = 'queued') AS queued
FROM slots s ORDER BY s.name;

-- name: CountSlotRunning :one
-- Tasks of a slot running now (a statement of its own, so that it reads
-- what committed before the slot's row was locked).
SELECT count(*) FROM tasks WHERE slot = sqlc.arg(slot) AND state = 'running';

-- name: SlotUsage :many
-- Every slot's size and running tasks, for the claims' hint of which
-- slots are open.
SELECT s.name, s.size,
       (SELECT count(*) FROM tasks t WHERE t.slot = s.name AND t.state = 'running') AS running
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
WHERE worker_id = sqlc.arg(worker_id) AND state IN ('dispatched', 'running');

-- name: ListWorkerAttempts :many
SELECT * FROM attempts
WHERE worker_id = sqlc.arg(worker_id) AND state IN ('dispatched', 'running')
ORDER BY id;

-- name: ResetDispatched :execrows
-- Restarts the dispatch timeout of every attempt not yet started, after an
-- outage in which no start report could arrive.
UPDATE attempts SET dispatched_at = baton_now() WHERE state = 'dispatched';

-- name: WorkerUsage :many
-- Live attempts and the capacity they take, per worker.
SELECT a.worker_id, CAST(count(*) AS BIGINT) AS running,
       CAST(coalesce(sum(t.cu), 0) AS DOUBLE PRECISION) AS used_cu
FROM attempts a JOIN tasks t ON t.id = a.task_id
WHERE a.state IN ('dispatched', 'running')
GROUP BY a.worker_id;
