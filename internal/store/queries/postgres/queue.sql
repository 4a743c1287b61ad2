-- Queries whose text differs between dialects. Each has a twin of the same
-- name in ../sqlite so both generated packages expose the same methods.

-- name: ClaimCandidates :many
-- Queued tasks of a group that a worker of zone and worker_labels (a JSON
-- object) may run, in placement order, locked for this claim (rows another
-- server is claiming are skipped, not waited for), each with the columns of
-- its run that working on it reads (read, not locked; see
-- store.Candidate): one round trip.
WITH c AS (
  SELECT id, run_id, idx, name, cu, attempts, lost, avoid_worker, avoid_zone,
         CAST(baton_now() - ready_at AS BIGINT) AS waited_ms, slot, run_priority, priority
  FROM tasks
  WHERE state = 'queued' AND grp = sqlc.arg(grp) AND NOT held
    AND (slot = '' OR strpos(sqlc.arg(open_slots)::text, ',' || slot || ',') > 0)
    AND (zones_allow = '' OR strpos(zones_allow, ',' || sqlc.arg(zone)::text || ',') > 0)
    AND strpos(zones_deny, ',' || sqlc.arg(zone)::text || ',') = 0
    AND (labels = '' OR labels::jsonb <@ CAST(sqlc.arg(worker_labels) AS TEXT)::jsonb)
  ORDER BY run_priority DESC, priority DESC, id
  LIMIT CAST(sqlc.arg(lim) AS BIGINT)
  FOR UPDATE SKIP LOCKED
)
SELECT c.id, c.run_id, c.idx, c.name, c.cu, c.attempts, c.lost, c.avoid_worker, c.avoid_zone, c.waited_ms, c.slot,
       runs.workflow_id, runs.workflow, runs.version_id, runs.state AS run_state, runs.params,
       runs.priority AS run_priority, runs.scheduled_at, runs.created_at, runs.parent_run_id, runs.parent_task_id
FROM c JOIN runs ON runs.id = c.run_id
ORDER BY c.run_priority DESC, c.priority DESC, c.id;

-- name: PlanInQueueOrder :one
-- Until PlanAsUsual (or the transaction's end), the planner reads queued
-- tasks in the queue index's order rather than all of them at once: see
-- Candidates in ../../postgres. Returns the values it replaced, for
-- PlanAsUsual (a target list is evaluated in order: read, then set).
-- (PostgreSQL only: no twin.)
SELECT current_setting('enable_bitmapscan') AS bitmapscan, current_setting('enable_seqscan') AS seqscan,
       set_config('enable_bitmapscan', 'off', true) AS bitmapscan_now, set_config('enable_seqscan', 'off', true) AS seqscan_now;

-- name: PlanAsUsual :exec
-- Undoes PlanInQueueOrder with the values it returned. (Reading them back
-- from pg_settings instead costs a scan of every setting: 0.8 ms a claim.)
SELECT set_config('enable_bitmapscan', sqlc.arg(bitmapscan)::text, true), set_config('enable_seqscan', sqlc.arg(seqscan)::text, true);

-- name: MarkUpstreamFailed :many
UPDATE tasks SET state = 'upstream_failed', reason = sqlc.arg(reason), finished_at = baton_now()
WHERE run_id = sqlc.arg(run_id) AND idx = ANY(sqlc.arg(idxs)::bigint[]) AND state = 'pending'
RETURNING id, run_id, name, state;

-- name: OrphanedAttempts :many
-- Live attempts whose worker is lost or stopped. The sweep hands those on
-- when it finds the worker lost, and a worker that stops hands its own
-- on: this is the safety net behind both, run now and then.
SELECT a.* FROM live_attempts a JOIN workers w ON w.id = a.worker_id
WHERE w.state IN ('lost', 'stopped')
ORDER BY a.id
LIMIT CAST(sqlc.arg(lim) AS BIGINT)
FOR UPDATE OF a SKIP LOCKED;

-- name: LockWorker :one
-- The worker, locked until the transaction ends against an expiry or a
-- stop changing its state meanwhile (Postgres), and whether its zone is
-- cordoned (read, not locked: one round trip for the claim). KEY SHARE,
-- not SHARE: a lease renewal (an UPDATE of other columns) never waits for
-- a claim, however slow the claiming server's link; expiry and state
-- changes lock the row FOR UPDATE, which does.
SELECT w.*, CAST(COALESCE((SELECT z.cordoned FROM zones z WHERE z.name = w.zone), FALSE) AS BOOLEAN) AS zone_cordoned
FROM workers w WHERE w.id = sqlc.arg(id) FOR KEY SHARE OF w;

-- name: DueRunDeadlines :many
-- Runs whose deadline passed, locked; others' locked rows are skipped.
SELECT run_id FROM run_deadlines WHERE deadline_at <= baton_now()
ORDER BY deadline_at LIMIT CAST(sqlc.arg(lim) AS BIGINT)
FOR UPDATE SKIP LOCKED;

-- name: LeaseAlerts :many
-- Pending alerts whose time came, leased for lease_ms (another server
-- takes them only after that); rows another server is leasing are skipped.
UPDATE alert_outbox SET next_at = baton_now() + CAST(sqlc.arg(lease_ms) AS BIGINT)
WHERE id IN (SELECT id FROM alert_outbox WHERE state = 'pending' AND next_at <= baton_now()
             ORDER BY next_at LIMIT CAST(sqlc.arg(lim) AS BIGINT) FOR UPDATE SKIP LOCKED)
RETURNING *;

-- name: LockSlot :one
-- A slot's size, its row locked until the claim commits so that claims
-- taking tasks of the slot count its running tasks one after the other.
SELECT size FROM slots WHERE name = sqlc.arg(name) FOR UPDATE;

-- name: ExpireWorkers :many
-- Workers whose lease ran out become lost. Rows another transaction holds
-- (a claim in progress, a renewal) are skipped, not waited for: the next
-- sweep sees them again.
UPDATE workers SET state = 'lost'
WHERE id IN (SELECT w.id FROM workers w
             WHERE w.state IN ('active', 'draining') AND w.lease_expires_at < baton_now()
             FOR UPDATE SKIP LOCKED)
  AND state IN ('active', 'draining') AND lease_expires_at < baton_now()
RETURNING id, zone;

-- name: SetWorkerState :execrows
-- Locks the row FOR UPDATE first, so that a change waits for the claims
-- in progress on the worker (they hold it FOR KEY SHARE).
UPDATE workers SET state = sqlc.arg(state), last_seen_at = baton_now()
WHERE id IN (SELECT w.id FROM workers w WHERE w.id = sqlc.arg(id) AND w.state = sqlc.arg(from_state) FOR UPDATE)
  AND id = sqlc.arg(id) AND state = sqlc.arg(from_state);

-- name: AdvanceLoopMark :execrows
-- Moves the mark to now, unless another server moved it since prev was
-- read or holds it in a transaction still running: never waits.
UPDATE loop_marks SET at = baton_now()
WHERE name IN (SELECT m.name FROM loop_marks m WHERE m.name = sqlc.arg(name) FOR UPDATE SKIP LOCKED)
  AND loop_marks.at = sqlc.arg(prev);
