-- Multi-row forms of the hot-path statements: one statement for a whole
-- batch, its rows passed as arrays and expanded with unnest. RETURNING
-- gives the rows of INSERT ... SELECT in the order of the arrays; UPDATE
-- results come in no particular order, so they return the keys callers
-- match them by. An UPDATE ... FROM unnest updates a row once even if its
-- key appears twice: callers pass each key once.
--
-- Statements that find live attempts' tasks by attempt ID look each one
-- up alone, in a scalar subquery on the partial index tasks_attempt, and
-- join the tasks by primary key; they write the worker's test as
-- `worker_id || ''`. Joined on the attempt ID, the planner's generic plan
-- scanned the tasks for each row of the batch (and read the batch again
-- for each task), and tasks_live, by worker, reads every running task of
-- the worker and every entry of its tasks that ended since the last
-- vacuum, to find the few named.
--
-- Statements that find their rows by key write a row's state as
-- `state || ''` where its test would otherwise imply the predicate of a
-- partial index (tasks_queue). That index holds only
-- queued tasks, and the planner's idea of how many comes
-- from the last analyze of the table: taken while few were queued or live,
-- it makes reading the whole partial index and joining it look cheaper
-- than one primary-key probe per row, and that read grows with the
-- backlog. A test the predicate does not follow from leaves the planner
-- the primary key. (The claim itself wants tasks_queue: see Candidates.)

-- name: InsertRunsBulk :many
INSERT INTO runs (workflow_id, workflow, version_id, version, state, params, idempotency_key,
                  priority, scheduled_at, created_by, tasks_total, tasks_left, created_at, started_at, schedule_id)
SELECT u.workflow_id, u.workflow, u.version_id, u.version, u.state, u.params, u.idempotency_key,
       u.priority, u.scheduled_at, u.created_by, u.tasks_total, u.tasks_total, baton_now(),
       CASE WHEN u.state = 'running' THEN baton_now() ELSE 0 END, u.schedule_id
FROM (SELECT unnest(sqlc.arg(workflow_id)::bigint[]) AS workflow_id,
        unnest(sqlc.arg(workflow)::text[]) AS workflow,
        unnest(sqlc.arg(version_id)::bigint[]) AS version_id,
        unnest(sqlc.arg(version)::bigint[]) AS version,
        unnest(sqlc.arg(state)::text[]) AS state,
        unnest(sqlc.arg(params)::text[]) AS params,
        unnest(sqlc.arg(idempotency_key)::text[]) AS idempotency_key,
        unnest(sqlc.arg(priority)::bigint[]) AS priority,
        unnest(sqlc.arg(scheduled_at)::bigint[]) AS scheduled_at,
        unnest(sqlc.arg(created_by)::text[]) AS created_by,
        unnest(sqlc.arg(tasks_total)::bigint[]) AS tasks_total,
        unnest(sqlc.arg(schedule_id)::bigint[]) AS schedule_id) AS u
RETURNING id, workflow_id, idempotency_key, created_at, started_at;

-- name: GetRuns :many
SELECT * FROM runs WHERE id = ANY(sqlc.arg(ids)::bigint[]);

-- name: AddRunsProgress :many
-- Counts tasks of runs that reached a terminal state and ends each run
-- that has none left: succeeded if no task failed, else failed. A run
-- this update ended comes back ended with no task left; one that had
-- ended before keeps its state.
UPDATE runs r
SET tasks_left = r.tasks_left - u.done,
    tasks_failed = r.tasks_failed + u.failed,
    state = CASE WHEN r.tasks_left - u.done > 0 OR r.state NOT IN ('queued', 'running', 'paused') THEN r.state
                 WHEN r.tasks_failed + u.failed > 0 THEN 'failed' ELSE 'succeeded' END,
    reason = CASE WHEN r.tasks_left - u.done > 0 OR r.state NOT IN ('queued', 'running', 'paused') THEN r.reason
                  WHEN r.tasks_failed + u.failed > 0 THEN CAST(r.tasks_failed + u.failed AS TEXT) || ' task(s) failed'
                  ELSE '' END,
    finished_at = CASE WHEN r.tasks_left - u.done > 0 OR r.state NOT IN ('queued', 'running', 'paused')
                       THEN r.finished_at ELSE baton_now() END
FROM (SELECT unnest(sqlc.arg(id)::bigint[]) AS id, unnest(sqlc.arg(done)::bigint[]) AS done,
             unnest(sqlc.arg(failed)::bigint[]) AS failed) AS u
WHERE r.id = u.id
RETURNING r.id, r.state, r.tasks_left, r.tasks_failed, r.reason, r.workflow_id, r.version_id, r.parent_task_id;

-- name: FinishRuns :many
UPDATE runs r SET state = u.state, reason = u.reason, finished_at = baton_now()
FROM (SELECT unnest(sqlc.arg(id)::bigint[]) AS id,
        unnest(sqlc.arg(state)::text[]) AS state,
        unnest(sqlc.arg(reason)::text[]) AS reason) AS u
WHERE r.id = u.id AND r.state IN ('queued', 'running', 'paused')
RETURNING r.id;

-- name: InsertTasks :exec
INSERT INTO tasks (run_id, idx, name, state, grp, cu, priority, run_priority, needs_total,
                   labels, zones_allow, zones_deny, slot, ready_at, created_at)
SELECT u.run_id, u.idx, u.name, u.state, u.grp, u.cu, u.priority, u.run_priority, u.needs_total,
       u.labels, u.zones_allow, u.zones_deny, u.slot, baton_now(), baton_now()
FROM (SELECT unnest(sqlc.arg(run_id)::bigint[]) AS run_id,
        unnest(sqlc.arg(idx)::bigint[]) AS idx,
        unnest(sqlc.arg(name)::text[]) AS name,
        unnest(sqlc.arg(state)::text[]) AS state,
        unnest(sqlc.arg(grp)::text[]) AS grp,
        unnest(sqlc.arg(cu)::float8[]) AS cu,
        unnest(sqlc.arg(priority)::bigint[]) AS priority,
        unnest(sqlc.arg(run_priority)::bigint[]) AS run_priority,
        unnest(sqlc.arg(needs_total)::bigint[]) AS needs_total,
        unnest(sqlc.arg(labels)::text[]) AS labels,
        unnest(sqlc.arg(zones_allow)::text[]) AS zones_allow,
        unnest(sqlc.arg(zones_deny)::text[]) AS zones_deny,
        unnest(sqlc.arg(slot)::text[]) AS slot) AS u;

-- name: GetTasks :many
SELECT * FROM tasks WHERE id = ANY(sqlc.arg(ids)::bigint[]);

-- name: GetTasksToSettle :many
-- What settling an attempt reads of its task and run (Tasks.GetManyToSettle):
-- a few columns, not the whole rows.
SELECT tasks.id, tasks.run_id, tasks.idx, tasks.name, tasks.state, tasks.attempt_id, tasks.slot,
       tasks.attempts, tasks.lost, tasks.preempted, tasks.started_at,
       runs.workflow_id, runs.workflow, runs.version_id, runs.state AS run_state, runs.params,
       runs.priority AS run_priority, runs.scheduled_at, runs.created_at, runs.parent_run_id, runs.parent_task_id
FROM tasks JOIN runs ON runs.id = tasks.run_id
WHERE tasks.id = ANY(sqlc.arg(ids)::bigint[]);

-- name: FinishTasks :many
UPDATE tasks t
SET state = u.state, reason = u.reason, outputs = u.outputs, attempt_id = 0, finished_at = baton_now()
FROM (SELECT unnest(sqlc.arg(state)::text[]) AS state,
        unnest(sqlc.arg(reason)::text[]) AS reason,
        unnest(sqlc.arg(outputs)::text[]) AS outputs,
        unnest(sqlc.arg(id)::bigint[]) AS id,
        unnest(sqlc.arg(attempt_id)::bigint[]) AS attempt_id) AS u
WHERE t.id = u.id AND t.attempt_id = u.attempt_id AND t.state = 'running'
RETURNING t.id;

-- name: ReleaseTasks :many
-- Counts n more finished upstream for each pending (run_id, idx) and
-- queues the tasks whose upstream are all done (tasks no longer pending
-- are left alone). SET expressions all see the old row.
UPDATE tasks t
SET needs_done = t.needs_done + u.n,
    state = CASE WHEN t.state = 'pending' AND t.needs_done + u.n + t.needs_failed >= t.needs_total THEN 'queued' ELSE t.state END,
    ready_at = CASE WHEN t.state = 'pending' AND t.needs_done + u.n + t.needs_failed >= t.needs_total THEN baton_now() ELSE t.ready_at END
FROM (SELECT unnest(sqlc.arg(run_id)::bigint[]) AS run_id,
        unnest(sqlc.arg(idx)::bigint[]) AS idx,
        unnest(sqlc.arg(n)::bigint[]) AS n) AS u
WHERE t.run_id = u.run_id AND t.idx = u.idx AND t.state = 'pending'
RETURNING t.id, t.run_id, t.name, t.state;

-- name: InsertEvents :exec
INSERT INTO events (at, kind, actor, run_id, task_id, task, attempt_id, worker_id,
                    old_state, new_state, reason, zone, run_hi, packed)
SELECT baton_now(), u.kind, u.actor, u.run_id, u.task_id, u.task, u.attempt_id, u.worker_id,
       u.old_state, u.new_state, u.reason, u.zone, u.run_hi, u.packed
FROM (SELECT unnest(sqlc.arg(kind)::text[]) AS kind,
        unnest(sqlc.arg(actor)::text[]) AS actor,
        unnest(sqlc.arg(run_id)::bigint[]) AS run_id,
        unnest(sqlc.arg(task_id)::bigint[]) AS task_id,
        unnest(sqlc.arg(task)::text[]) AS task,
        unnest(sqlc.arg(attempt_id)::bigint[]) AS attempt_id,
        unnest(sqlc.arg(worker_id)::text[]) AS worker_id,
        unnest(sqlc.arg(old_state)::text[]) AS old_state,
        unnest(sqlc.arg(new_state)::text[]) AS new_state,
        unnest(sqlc.arg(reason)::text[]) AS reason,
        unnest(sqlc.arg(zone)::text[]) AS zone,
        unnest(sqlc.arg(run_hi)::bigint[]) AS run_hi,
        unnest(sqlc.arg(packed)::text[]) AS packed) AS u;

-- name: InsertLogs :exec
INSERT INTO logs (attempt_id, seq, stream, at, data, size)
SELECT u.attempt_id, u.seq, u.stream, baton_now(), u.data, u.size
FROM (SELECT unnest(sqlc.arg(attempt_id)::bigint[]) AS attempt_id,
        unnest(sqlc.arg(seq)::bigint[]) AS seq,
        unnest(sqlc.arg(stream)::text[]) AS stream,
        unnest(sqlc.arg(data)::text[]) AS data,
        unnest(sqlc.arg(size)::bigint[]) AS size) AS u
ON CONFLICT (attempt_id, seq) DO NOTHING;

-- name: GetRunsByKeys :many
-- The explicit idempotency_key <> '' lets the planner use the partial
-- unique index runs_idempotency.
SELECT * FROM runs
WHERE workflow_id = sqlc.arg(workflow_id) AND idempotency_key = ANY(sqlc.arg(keys)::text[])
  AND idempotency_key <> '';

-- name: DispatchAttempts :many
-- Turns queued tasks running under new live attempts (a claim's write),
-- their IDs from the attempts' sequence; a task no longer queued is left
-- out.
UPDATE tasks t
SET state = 'running', attempt_id = nextval('attempts_id_seq'), attempts = t.attempts + 1,
    started_at = CASE WHEN t.started_at = 0 THEN baton_now() ELSE t.started_at END,
    worker_id = u.worker_id, zone = u.zone, dispatched_at = baton_now(), attempt_started_at = 0,
    timeout_ms = u.timeout_ms, stop_requested = false
FROM (SELECT unnest(sqlc.arg(task_id)::bigint[]) AS task_id,
        unnest(sqlc.arg(worker_id)::text[]) AS worker_id,
        unnest(sqlc.arg(zone)::text[]) AS zone,
        unnest(sqlc.arg(timeout_ms)::bigint[]) AS timeout_ms) AS u
WHERE t.id = u.task_id AND t.state || '' = 'queued'
RETURNING t.attempt_id AS id, t.id AS task_id;

-- name: StartAttempts :many
UPDATE tasks t SET attempt_started_at = baton_now()
WHERE t.attempt_id = ANY(sqlc.arg(ids)::bigint[]) AND t.state = 'running' AND t.worker_id || '' = sqlc.arg(worker_id)
  AND t.attempt_started_at = 0 AND NOT EXISTS (SELECT 1 FROM ended_attempts e WHERE e.id = t.attempt_id)
RETURNING t.attempt_id AS id, t.id AS task_id, t.run_id, t.name AS task, t.attempts AS number,
          CAST('running' AS TEXT) AS state, CAST('' AS TEXT) AS reason, t.worker_id, t.zone,
          CAST(0 AS BIGINT) AS exit_code, t.dispatched_at, t.attempt_started_at AS started_at,
          CAST(0 AS BIGINT) AS finished_at, t.stop_requested, t.timeout_ms;

-- name: FinishAttempts :many
-- Ends live attempts (of worker_id, unless empty), recording the start
-- too of those whose start is reported with their end. Their tasks' rows
-- are locked first, as SucceedAttempts' update locks them, so two
-- transactions ending one attempt queue on its task in the same order;
-- the second finds it ended (or conflicts on its ID) and leaves it out.
INSERT INTO ended_attempts (id, task_id, run_id, task, number, state, reason, worker_id, zone, exit_code, dispatched_at,
                      started_at, finished_at, stop_requested, timeout_ms)
SELECT t.attempt_id, t.id, t.run_id, t.name, t.attempts, u.state, u.reason, t.worker_id, t.zone, u.exit_code,
       t.dispatched_at, CASE WHEN u.start AND t.attempt_started_at = 0 THEN baton_now() ELSE t.attempt_started_at END,
       baton_now(), t.stop_requested, t.timeout_ms
FROM (SELECT x.*, (SELECT r.id FROM tasks r WHERE r.attempt_id = x.id AND r.state = 'running') AS task_id
      FROM (SELECT unnest(sqlc.arg(state)::text[]) AS state, unnest(sqlc.arg(reason)::text[]) AS reason,
              unnest(sqlc.arg(exit_code)::bigint[]) AS exit_code, unnest(sqlc.arg(start)::boolean[]) AS start,
              unnest(sqlc.arg(id)::bigint[]) AS id) AS x) AS u
  JOIN tasks t ON t.id = u.task_id AND t.attempt_id = u.id AND t.state || '' = 'running'
WHERE (sqlc.arg(worker_id)::text = '' OR t.worker_id || '' = sqlc.arg(worker_id)::text)
  AND NOT EXISTS (SELECT 1 FROM ended_attempts e WHERE e.id = t.attempt_id)
FOR UPDATE OF t
ON CONFLICT (id) DO NOTHING
RETURNING *;

-- name: SucceedAttempts :many
-- Ends live attempts of worker_id (unless empty) as succeeded and their tasks with them,
-- in one statement: the task's row updated once (found by its attempt,
-- locked), the attempt's written once. A task that no longer runs under
-- the attempt is left out: the attempt is fenced. Each attempt comes back
-- with what settling reads of its task (as it was: running under it) and
-- its run, as GetTasksToSettle has them.
WITH t AS (
  UPDATE tasks t
  SET state = 'succeeded', reason = '', outputs = u.outputs, attempt_id = 0, finished_at = baton_now()
  FROM (SELECT x.*, (SELECT r.id FROM tasks r WHERE r.attempt_id = x.id AND r.state = 'running') AS task_id
        FROM (SELECT unnest(sqlc.arg(id)::bigint[]) AS id, unnest(sqlc.arg(start)::boolean[]) AS start,
                unnest(sqlc.arg(reason)::text[]) AS reason, unnest(sqlc.arg(exit_code)::bigint[]) AS exit_code,
                unnest(sqlc.arg(outputs)::text[]) AS outputs) AS x) AS u
  WHERE t.id = u.task_id AND t.attempt_id = u.id AND t.state || '' = 'running'
    AND (sqlc.arg(worker_id)::text = '' OR t.worker_id || '' = sqlc.arg(worker_id)::text)
    AND NOT EXISTS (SELECT 1 FROM ended_attempts e WHERE e.id = t.attempt_id)
  RETURNING u.id AS attempt_id, u.start, u.reason AS attempt_reason, u.exit_code, t.id, t.run_id, t.idx, t.name,
            t.attempts, t.lost, t.preempted, t.slot, t.started_at AS task_started_at, t.worker_id, t.zone,
            t.dispatched_at, t.attempt_started_at, t.finished_at, t.stop_requested, t.timeout_ms
), t2 AS (
  SELECT t.*, CASE WHEN t.start AND t.attempt_started_at = 0 THEN t.finished_at ELSE t.attempt_started_at END AS started_at
  FROM t
), a AS (
  INSERT INTO ended_attempts (id, task_id, run_id, task, number, state, reason, worker_id, zone, exit_code,
                              dispatched_at, started_at, finished_at, stop_requested, timeout_ms)
  SELECT attempt_id, id, run_id, name, attempts, 'succeeded', attempt_reason, worker_id, zone, exit_code,
         dispatched_at, started_at, finished_at, stop_requested, timeout_ms
  FROM t2
)
SELECT CAST(t2.attempt_id AS BIGINT) AS id, t2.id AS task_id, t2.run_id, t2.name AS task, t2.attempts AS number,
       CAST('succeeded' AS TEXT) AS state, CAST(t2.attempt_reason AS TEXT) AS reason, t2.worker_id, t2.zone,
       CAST(t2.exit_code AS BIGINT) AS exit_code, t2.dispatched_at, CAST(t2.started_at AS BIGINT) AS started_at,
       t2.finished_at, t2.stop_requested, t2.timeout_ms,
       t2.idx, t2.attempts, t2.lost, t2.preempted, t2.slot, t2.task_started_at,
       r.workflow_id, r.workflow, r.version_id, r.state AS run_state, r.params, r.priority AS run_priority,
       r.scheduled_at, r.created_at, r.parent_run_id, r.parent_task_id
FROM t2 JOIN runs r ON r.id = t2.run_id;
