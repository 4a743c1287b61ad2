-- Queries whose text differs between dialects. Each has a twin of the same
-- name in ../postgres so both generated packages expose the same methods.

-- name: ClaimCandidates :many
-- Queued tasks of a group that a worker of zone and worker_labels (a JSON
-- object) may run, in placement order, each with the columns of its run
-- that working on it reads (see store.Candidate). SQLite has one writer, so
-- no row locks are needed.
WITH c AS (
  SELECT id, run_id, idx, name, cu, attempts, lost, avoid_worker, avoid_zone,
         CAST(baton_now() - ready_at AS BIGINT) AS waited_ms, slot, run_priority, priority
  FROM tasks
  WHERE state = 'queued' AND grp = sqlc.arg(grp) AND NOT held
    AND (slot = '' OR instr(CAST(sqlc.arg(open_slots) AS TEXT), ',' || slot || ',') > 0)
    AND (zones_allow = '' OR instr(zones_allow, ',' || CAST(sqlc.arg(zone) AS TEXT) || ',') > 0)
    AND instr(zones_deny, ',' || CAST(sqlc.arg(zone) AS TEXT) || ',') = 0
    AND (labels = '' OR NOT EXISTS (
          SELECT 1 FROM json_each(tasks.labels) AS need
          WHERE json_extract(CAST(sqlc.arg(worker_labels) AS TEXT), '$."' || need.key || '"') IS NOT need.value))
  ORDER BY run_priority DESC, priority DESC, id
  LIMIT CAST(sqlc.arg(lim) AS BIGINT)
)
SELECT c.id, c.run_id, c.idx, c.name, c.cu, c.attempts, c.lost, c.avoid_worker, c.avoid_zone, c.waited_ms, c.slot,
       runs.workflow_id, runs.workflow, runs.version_id, runs.state AS run_state, runs.params,
       runs.priority AS run_priority, runs.scheduled_at, runs.created_at, runs.parent_run_id, runs.parent_task_id
FROM c JOIN runs ON runs.id = c.run_id
ORDER BY c.run_priority DESC, c.priority DESC, c.id;

-- name: MarkUpstreamFailed :many
UPDATE tasks SET state = 'upstream_failed', reason = sqlc.arg(reason), finished_at = baton_now()
WHERE run_id = sqlc.arg(run_id) AND idx IN (sqlc.slice(idxs)) AND state = 'pending'
RETURNING id, run_id, name, state;

-- name: OrphanedAttempts :many
-- Live attempts whose worker is lost or stopped. The sweep hands those on
-- when it finds the worker lost, and a worker that stops hands its own
-- on: this is the safety net behind both, run now and then.
SELECT a.* FROM live_attempts a JOIN workers w ON w.id = a.worker_id
WHERE w.state IN ('lost', 'stopped')
ORDER BY a.id
LIMIT CAST(sqlc.arg(lim) AS BIGINT);

-- name: LockWorker :one
-- The worker, locked until the transaction ends against an expiry or a
-- stop changing its state meanwhile (SQLite has one writer), and whether
-- its zone is cordoned.
SELECT w.*, CAST(COALESCE((SELECT z.cordoned FROM zones z WHERE z.name = w.zone), FALSE) AS BOOLEAN) AS zone_cordoned
FROM workers w WHERE w.id = sqlc.arg(id);

-- name: GetRuns :many
SELECT * FROM runs WHERE id IN (sqlc.slice(ids));

-- name: GetTasks :many
SELECT * FROM tasks WHERE id IN (sqlc.slice(ids));

-- name: GetTasksToSettle :many
-- What settling an attempt reads of its task and run (Tasks.GetManyToSettle):
-- a few columns, not the whole rows.
SELECT tasks.id, tasks.run_id, tasks.idx, tasks.name, tasks.state, tasks.attempt_id, tasks.slot,
       tasks.attempts, tasks.lost, tasks.preempted, tasks.started_at,
       runs.workflow_id, runs.workflow, runs.version_id, runs.state AS run_state, runs.params,
       runs.priority AS run_priority, runs.scheduled_at, runs.created_at, runs.parent_run_id, runs.parent_task_id
FROM tasks JOIN runs ON runs.id = tasks.run_id
WHERE tasks.id IN (sqlc.slice(ids));

-- name: GetRunsByKeys :many
-- The explicit idempotency_key <> '' lets the planner use the partial
-- unique index runs_idempotency.
SELECT * FROM runs
WHERE workflow_id = sqlc.arg(workflow_id) AND idempotency_key IN (sqlc.slice(keys))
  AND idempotency_key <> '';

-- name: DueRunDeadlines :many
-- Runs whose deadline passed.
SELECT run_id FROM run_deadlines WHERE deadline_at <= baton_now()
ORDER BY deadline_at LIMIT CAST(sqlc.arg(lim) AS BIGINT);

-- name: LeaseAlerts :many
-- Pending alerts whose time came, leased for lease_ms.
UPDATE alert_outbox SET next_at = baton_now() + CAST(sqlc.arg(lease_ms) AS BIGINT)
WHERE id IN (SELECT id FROM alert_outbox WHERE state = 'pending' AND next_at <= baton_now()
             ORDER BY next_at LIMIT CAST(sqlc.arg(lim) AS BIGINT))
RETURNING *;

-- name: LockSlot :one
-- A slot's size, its row locked until the claim commits so that claims
-- taking tasks of the slot count its running tasks one after the other.
SELECT size FROM slots WHERE name = sqlc.arg(name);

-- name: ExpireWorkers :many
UPDATE workers SET state = 'lost'
WHERE state IN ('active', 'draining') AND lease_expires_at < baton_now()
RETURNING id, zone;

-- name: SetWorkerState :execrows
UPDATE workers SET state = sqlc.arg(state), last_seen_at = baton_now()
WHERE id = sqlc.arg(id) AND state = sqlc.arg(from_state);

-- name: AdvanceLoopMark :execrows
-- Moves the mark to now, unless another server moved it since prev was read.
UPDATE loop_marks SET at = baton_now() WHERE name = sqlc.arg(name) AND at = sqlc.arg(prev);

-- name: TakeAttemptIDs :one
-- Takes n attempt IDs from the attempts' AUTOINCREMENT counter, the one
-- rows inserted without an ID draw from too, and returns the last.
UPDATE sqlite_sequence SET seq = seq + CAST(sqlc.arg(n) AS BIGINT) WHERE name = 'ended_attempts'
RETURNING seq;
