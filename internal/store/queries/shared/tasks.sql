-- name: InsertTask :exec
INSERT INTO tasks (run_id, idx, name, state, grp, cu, priority, run_priority, needs_total,
                   labels, zones_allow, zones_deny, slot, ready_at, created_at)
VALUES (sqlc.arg(run_id), sqlc.arg(idx), sqlc.arg(name), sqlc.arg(state), sqlc.arg(grp),
        sqlc.arg(cu), sqlc.arg(priority), sqlc.arg(run_priority), sqlc.arg(needs_total),
        sqlc.arg(labels), sqlc.arg(zones_allow), sqlc.arg(zones_deny), sqlc.arg(slot), baton_now(), baton_now());

-- name: GetTask :one
SELECT * FROM tasks WHERE id = sqlc.arg(id);

-- name: GetTaskByName :one
SELECT * FROM tasks WHERE run_id = sqlc.arg(run_id) AND name = sqlc.arg(name);

-- name: ListRunTasks :many
SELECT * FROM tasks WHERE run_id = sqlc.arg(run_id) ORDER BY idx;

-- name: ListRunOutputs :many
SELECT name, outputs FROM tasks WHERE run_id = sqlc.arg(run_id) AND outputs <> '';

-- name: FinishTask :execrows
-- Ends the task with its current attempt; a task that moved on (cancelled,
-- another attempt) is left alone.
UPDATE tasks
SET state = sqlc.arg(state), reason = sqlc.arg(reason), outputs = sqlc.arg(outputs),
    attempt_id = 0, finished_at = baton_now()
WHERE id = sqlc.arg(id) AND attempt_id = sqlc.arg(attempt_id) AND state = 'running';

-- name: FailTask :execrows
-- Fails a task that never got an attempt (e.g. its command could not be rendered).
UPDATE tasks SET state = 'failed', reason = sqlc.arg(reason), finished_at = baton_now()
WHERE id = sqlc.arg(id) AND state = 'queued';

-- name: RequeueTask :execrows
-- Sends a task whose attempt failed, was lost or was preempted back to the
-- queue, at once (state queued) or after a delay (state retry_wait).
UPDATE tasks
SET state = sqlc.arg(state), reason = sqlc.arg(reason), attempt_id = 0,
    ready_at = baton_now() + CAST(sqlc.arg(delay_ms) AS BIGINT),
    lost = lost + CAST(sqlc.arg(lost) AS BIGINT),
    preempted = preempted + CAST(sqlc.arg(preempted) AS BIGINT),
    avoid_worker = sqlc.arg(avoid_worker), avoid_zone = sqlc.arg(avoid_zone)
WHERE id = sqlc.arg(id) AND attempt_id = sqlc.arg(attempt_id) AND state = 'running';

-- name: WakeRetries :many
UPDATE tasks SET state = 'queued'
WHERE state = 'retry_wait' AND ready_at <= baton_now()
RETURNING id, run_id, name, state;

-- name: CancelRunTasks :many
-- Cancels every task of a run that has not finished; running attempts are
-- cancelled separately, after (CancelRunAttempts), so a running task keeps
-- its attempt's ID until then.
UPDATE tasks SET state = 'cancelled', reason = sqlc.arg(reason), finished_at = baton_now(),
    attempt_id = CASE WHEN state = 'running' THEN attempt_id ELSE 0 END
WHERE run_id = sqlc.arg(run_id) AND state IN ('pending', 'queued', 'retry_wait', 'running')
RETURNING id, run_id, name, state;

-- name: ReleaseTask :one
-- Counts n more finished upstream for pending task idx of a run and queues
-- it when all its upstream are done. A task no longer pending (queued or
-- ended by its trigger rule) is left alone. SET expressions all see the
-- old row.
UPDATE tasks
SET needs_done = needs_done + CAST(sqlc.arg(n) AS BIGINT),
    state = CASE WHEN state = 'pending' AND needs_done + CAST(sqlc.arg(n) AS BIGINT) + needs_failed >= needs_total
                 THEN 'queued' ELSE state END,
    ready_at = CASE WHEN state = 'pending' AND needs_done + CAST(sqlc.arg(n) AS BIGINT) + needs_failed >= needs_total
                    THEN baton_now() ELSE ready_at END
WHERE run_id = sqlc.arg(run_id) AND idx = sqlc.arg(idx) AND state = 'pending'
RETURNING id, run_id, name, state;

-- name: RecoverTask :execrows
-- A person's recovery of a task of a finished run: run it again (pending
-- or queued, with needs_done of its upstream done), or mark it succeeded,
-- skipped or upstream_failed. Guarded by the state it was read in.
UPDATE tasks
SET state = sqlc.arg(state), reason = sqlc.arg(reason), needs_done = sqlc.arg(needs_done),
    needs_failed = sqlc.arg(needs_failed), attempt_id = 0,
    outputs = CASE WHEN (sqlc.arg(state) = 'pending' OR sqlc.arg(state) = 'queued') THEN '' ELSE outputs END,
    ready_at = CASE WHEN sqlc.arg(state) = 'queued' THEN baton_now() ELSE ready_at END,
    started_at = CASE WHEN (sqlc.arg(state) = 'pending' OR sqlc.arg(state) = 'queued') THEN 0 ELSE started_at END,
    finished_at = CASE WHEN (sqlc.arg(state) = 'pending' OR sqlc.arg(state) = 'queued') THEN 0 ELSE baton_now() END
WHERE id = sqlc.arg(id) AND state = sqlc.arg(from_state);

-- name: HoldRunTasks :execrows
-- Holds (a run paused) or releases (resumed) every task of a run.
UPDATE tasks SET held = sqlc.arg(held) WHERE run_id = sqlc.arg(run_id) AND held <> sqlc.arg(held);

-- name: AddUpstreamFailure :one
-- Counts one more upstream of a task that ended without success.
UPDATE tasks SET needs_failed = needs_failed + 1
WHERE run_id = sqlc.arg(run_id) AND idx = sqlc.arg(idx)
RETURNING *;

-- name: SaveCheckpoint :execrows
-- Stores the checkpoint a task's live attempt on worker_id uploaded.
UPDATE tasks SET checkpoint = sqlc.arg(checkpoint), checkpoint_at = baton_now()
WHERE attempt_id = sqlc.arg(attempt_id) AND state = 'running' AND tasks.worker_id = sqlc.arg(worker_id)
  AND NOT EXISTS (SELECT 1 FROM ended_attempts e WHERE e.id = tasks.attempt_id);

-- name: AnyQueued :one
-- Whether a task of a group waits to be claimed (1) or not (0).
SELECT count(*) FROM (SELECT 1 FROM tasks WHERE state = 'queued' AND grp = sqlc.arg(grp) AND NOT held LIMIT 1) AS q;

-- name: CarryTask :execrows
-- Ends a pending task of a new run (a rerun on another version or with
-- other params) in the state and with the outputs the same task had in the
-- run it reruns: it is not executed again.
UPDATE tasks
SET state = sqlc.arg(state), reason = sqlc.arg(reason), outputs = sqlc.arg(outputs), finished_at = baton_now()
WHERE id = sqlc.arg(id) AND state = 'pending';
