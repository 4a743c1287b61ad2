-- Queries whose text differs between dialects. Each has a twin of the same
-- name in ../sqlite so both generated packages expose the same methods.

-- name: ClaimCandidates :many
-- Queued tasks of a group that a worker of zone and worker_labels (a JSON
-- object) may run, in placement order, locked for this claim; rows another
-- server is claiming are skipped, not waited for.
SELECT id, run_id, idx, name, cu, attempts, lost, avoid_worker, avoid_zone,
       CAST(baton_now() - ready_at AS BIGINT) AS waited_ms, slot
FROM tasks
WHERE state = 'queued' AND grp = sqlc.arg(grp) AND NOT held
  AND (slot = '' OR strpos(sqlc.arg(open_slots)::text, ',' || slot || ',') > 0)
  AND (zones_allow = '' OR strpos(zones_allow, ',' || sqlc.arg(zone)::text || ',') > 0)
  AND strpos(zones_deny, ',' || sqlc.arg(zone)::text || ',') = 0
  AND (labels = '' OR labels::jsonb <@ CAST(sqlc.arg(worker_labels) AS TEXT)::jsonb)
ORDER BY run_priority DESC, priority DESC, id
LIMIT CAST(sqlc.arg(lim) AS BIGINT)
FOR UPDATE SKIP LOCKED;

-- name: MarkUpstreamFailed :many
UPDATE tasks SET state = 'upstream_failed', reason = sqlc.arg(reason), finished_at = baton_now()
WHERE run_id = sqlc.arg(run_id) AND idx = ANY(sqlc.arg(idxs)::bigint[]) AND state = 'pending'
RETURNING id, run_id, name, state;

-- name: OrphanedAttempts :many
-- Live attempts whose worker is lost or stopped. The sweep hands those on
-- when it finds the worker lost, and a worker that stops hands its own
-- on: this is the safety net behind both, run now and then.
SELECT a.* FROM attempts a JOIN workers w ON w.id = a.worker_id
WHERE a.state IN ('dispatched', 'running') AND w.state IN ('lost', 'stopped')
ORDER BY a.id
LIMIT CAST(sqlc.arg(lim) AS BIGINT)
FOR UPDATE OF a SKIP LOCKED;

-- name: LockWorker :one
-- The worker, locked until the transaction ends against an expiry or a
-- stop changing its state meanwhile (Postgres).
SELECT * FROM workers WHERE id = sqlc.arg(id) FOR SHARE;

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
