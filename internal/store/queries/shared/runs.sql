-- name: InsertRun :one
INSERT INTO runs (workflow_id, workflow, version_id, version, state, params, idempotency_key,
                  priority, scheduled_at, created_by, tasks_total, tasks_left, created_at, started_at, schedule_id)
VALUES (sqlc.arg(workflow_id), sqlc.arg(workflow), sqlc.arg(version_id), sqlc.arg(version),
        sqlc.arg(state), sqlc.arg(params), sqlc.arg(idempotency_key), sqlc.arg(priority),
        sqlc.arg(scheduled_at), sqlc.arg(created_by), sqlc.arg(tasks_total), sqlc.arg(tasks_total),
        baton_now(), CASE WHEN sqlc.arg(state) = 'running' THEN baton_now() ELSE 0 END, sqlc.arg(schedule_id))
RETURNING *;

-- name: GetRun :one
SELECT * FROM runs WHERE id = sqlc.arg(id);

-- name: GetRunByKey :one
-- The explicit idempotency_key <> '' lets the planner use the partial
-- unique index runs_idempotency.
SELECT * FROM runs
WHERE workflow_id = sqlc.arg(workflow_id) AND idempotency_key = sqlc.arg(idempotency_key)
  AND idempotency_key <> '';

-- name: ListRuns :many
-- Newest first; before_id pages backwards. Empty filters match everything.
SELECT * FROM runs
WHERE (CAST(sqlc.arg(workflow) AS TEXT) = '' OR workflow = sqlc.arg(workflow))
  AND (CAST(sqlc.arg(state) AS TEXT) = '' OR state = sqlc.arg(state))
  AND created_at >= CAST(sqlc.arg(created_from) AS BIGINT)
  AND (CAST(sqlc.arg(created_to) AS BIGINT) = 0 OR created_at < sqlc.arg(created_to))
  AND (CAST(sqlc.arg(before_id) AS BIGINT) = 0 OR id < sqlc.arg(before_id))
ORDER BY id DESC
LIMIT CAST(sqlc.arg(lim) AS BIGINT);

-- name: AddRunProgress :one
-- AddRunsProgress for one run (SQLite runs it in a loop): counts tasks
-- that reached a terminal state and ends the run when none is left.
UPDATE runs
SET tasks_left = tasks_left - CAST(sqlc.arg(done) AS BIGINT),
    tasks_failed = tasks_failed + CAST(sqlc.arg(failed) AS BIGINT),
    state = CASE WHEN tasks_left - CAST(sqlc.arg(done) AS BIGINT) > 0 OR state NOT IN ('queued', 'running', 'paused')
                 THEN state
                 WHEN tasks_failed + CAST(sqlc.arg(failed) AS BIGINT) > 0 THEN 'failed' ELSE 'succeeded' END,
    reason = CASE WHEN tasks_left - CAST(sqlc.arg(done) AS BIGINT) > 0 OR state NOT IN ('queued', 'running', 'paused')
                  THEN reason
                  WHEN tasks_failed + CAST(sqlc.arg(failed) AS BIGINT) > 0
                  THEN CAST(tasks_failed + CAST(sqlc.arg(failed) AS BIGINT) AS TEXT) || ' task(s) failed'
                  ELSE '' END,
    finished_at = CASE WHEN tasks_left - CAST(sqlc.arg(done) AS BIGINT) > 0 OR state NOT IN ('queued', 'running', 'paused')
                       THEN finished_at ELSE baton_now() END
WHERE id = sqlc.arg(id)
RETURNING id, state, tasks_left, tasks_failed, reason, workflow_id, version_id, parent_task_id;

-- name: FinishRun :execrows
UPDATE runs SET state = sqlc.arg(state), reason = sqlc.arg(reason), finished_at = baton_now()
WHERE id = sqlc.arg(id) AND state IN ('queued', 'running', 'paused');

-- name: RecoverRun :execrows
-- A finished run a person recovered: running again with tasks left, or
-- finished anew; its counters recounted from its tasks.
UPDATE runs
SET state = sqlc.arg(state), reason = sqlc.arg(reason), tasks_left = sqlc.arg(tasks_left),
    tasks_failed = sqlc.arg(tasks_failed),
    finished_at = CASE WHEN sqlc.arg(state) = 'running' THEN 0 ELSE baton_now() END
WHERE id = sqlc.arg(id) AND state IN ('succeeded', 'failed', 'cancelled');

-- name: SetRunState :execrows
-- Moves a run between running and paused; false if it was not in from.
UPDATE runs SET state = sqlc.arg(to_state) WHERE id = sqlc.arg(id) AND state = sqlc.arg(from_state);

-- name: SetRunDeadline :exec
-- The run must end within timeout_ms from now.
INSERT INTO run_deadlines (run_id, deadline_at) VALUES (sqlc.arg(run_id), baton_now() + CAST(sqlc.arg(timeout_ms) AS BIGINT))
ON CONFLICT (run_id) DO UPDATE SET deadline_at = excluded.deadline_at;

-- name: DeleteRunDeadline :exec
DELETE FROM run_deadlines WHERE run_id = sqlc.arg(run_id);

-- name: AddActiveRuns :one
-- Adds delta to a limited workflow's count of active runs and returns it.
INSERT INTO workflow_active (workflow_id, active) VALUES (sqlc.arg(workflow_id), CAST(sqlc.arg(delta) AS BIGINT))
ON CONFLICT (workflow_id) DO UPDATE SET active = workflow_active.active + excluded.active
RETURNING active;

-- name: InsertRunWait :exec
INSERT INTO run_waits (run_id, workflow_id) VALUES (sqlc.arg(run_id), sqlc.arg(workflow_id));

-- name: PopRunWait :one
-- The oldest waiting run of a workflow, no longer waiting.
DELETE FROM run_waits
WHERE run_id = (SELECT w.run_id FROM run_waits w WHERE w.workflow_id = sqlc.arg(workflow_id) ORDER BY w.run_id LIMIT 1)
RETURNING run_id;

-- name: DeleteRunWait :exec
DELETE FROM run_waits WHERE run_id = sqlc.arg(run_id);

-- name: SetRunParent :exec
-- Links a sub-workflow's run to the task that started it.
UPDATE runs SET parent_run_id = sqlc.arg(parent_run_id), parent_task_id = sqlc.arg(parent_task_id)
WHERE id = sqlc.arg(id);

-- name: ChildRuns :many
-- The sub-workflow runs that tasks of a run started, oldest first.
SELECT * FROM runs WHERE parent_run_id = sqlc.arg(parent_run_id) ORDER BY id;
