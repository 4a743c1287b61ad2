-- Retention: deleting finished runs past their age, and old audit events.
-- Each query has a twin of the same name in ../sqlite.

-- name: RetentionRules :many
-- Every workflow, deleted ones included (their runs are history until
-- retention takes them), with the retention its latest version sets:
-- '' when it sets none.
SELECT w.id, CAST(COALESCE(CAST(v.spec AS jsonb) ->> 'retention', '') AS TEXT) AS retention
FROM workflows w LEFT JOIN workflow_versions v ON v.id = w.latest_version_id
ORDER BY w.id;

-- name: LockExpiredRuns :many
-- Finished runs of a workflow that finished more than age_ms ago, after
-- the cursor (created_at, id), in the order they were created, locked
-- against a rerun (rows locked by another server are skipped). A run
-- finishes after it is created, so the index on created_at bounds the
-- scan; the finish is checked on the row (the finishing update stays
-- heap-only: see migration 00023). Sub-workflow runs are left out: they
-- go with their parent.
SELECT id, created_at FROM runs
WHERE workflow_id = sqlc.arg(workflow_id) AND parent_run_id = 0
  AND created_at < baton_now() - CAST(sqlc.arg(age_ms) AS BIGINT)
  AND (created_at > sqlc.arg(after_at) OR (created_at = sqlc.arg(after_at) AND id > sqlc.arg(after_id)))
  AND finished_at > 0 AND finished_at < baton_now() - CAST(sqlc.arg(age_ms) AS BIGINT)
  AND state IN ('succeeded', 'failed', 'cancelled')
ORDER BY created_at, id
LIMIT CAST(sqlc.arg(lim) AS BIGINT)
FOR UPDATE SKIP LOCKED;

-- name: LockChildRuns :many
-- The runs that tasks of the given runs started, locked.
SELECT id, parent_run_id, state FROM runs
WHERE parent_run_id = ANY(sqlc.arg(ids)::bigint[]) AND parent_run_id <> 0
ORDER BY id
FOR UPDATE;

-- The rows of the given runs that are finished, children first: logs and
-- their stats name attempts, attempts name tasks, tasks name runs. The
-- state guard keeps every row of a run that moved on (a rerun).

-- name: DeleteRunLogs :execrows
DELETE FROM logs WHERE attempt_id IN (SELECT a.id FROM ended_attempts a WHERE a.run_id IN
  (SELECT r.id FROM runs r WHERE r.id = ANY(sqlc.arg(ids)::bigint[]) AND r.state IN ('succeeded', 'failed', 'cancelled')));

-- name: DeleteRunLogStats :execrows
DELETE FROM log_stats WHERE attempt_id IN (SELECT a.id FROM ended_attempts a WHERE a.run_id IN
  (SELECT r.id FROM runs r WHERE r.id = ANY(sqlc.arg(ids)::bigint[]) AND r.state IN ('succeeded', 'failed', 'cancelled')));

-- name: DeleteRunEvents :execrows
-- The rows of one event of the runs (packed rows: DeletePackedRunEvents).
DELETE FROM events WHERE run_id <> 0 AND run_hi = 0 AND run_id IN
  (SELECT r.id FROM runs r WHERE r.id = ANY(sqlc.arg(ids)::bigint[]) AND r.state IN ('succeeded', 'failed', 'cancelled'));

-- name: DeleteRunAttempts :execrows
DELETE FROM ended_attempts WHERE run_id IN
  (SELECT r.id FROM runs r WHERE r.id = ANY(sqlc.arg(ids)::bigint[]) AND r.state IN ('succeeded', 'failed', 'cancelled'));

-- name: DeleteRunTasks :execrows
DELETE FROM tasks WHERE run_id IN
  (SELECT r.id FROM runs r WHERE r.id = ANY(sqlc.arg(ids)::bigint[]) AND r.state IN ('succeeded', 'failed', 'cancelled'));

-- name: DeleteRunDeadlines :execrows
DELETE FROM run_deadlines WHERE run_id IN
  (SELECT r.id FROM runs r WHERE r.id = ANY(sqlc.arg(ids)::bigint[]) AND r.state IN ('succeeded', 'failed', 'cancelled'));

-- name: DeleteRunWaits :execrows
DELETE FROM run_waits WHERE run_id IN
  (SELECT r.id FROM runs r WHERE r.id = ANY(sqlc.arg(ids)::bigint[]) AND r.state IN ('succeeded', 'failed', 'cancelled'));

-- name: DeleteRunApprovals :execrows
DELETE FROM approvals WHERE run_id IN
  (SELECT r.id FROM runs r WHERE r.id = ANY(sqlc.arg(ids)::bigint[]) AND r.state IN ('succeeded', 'failed', 'cancelled'));

-- name: DeleteRunResources :execrows
DELETE FROM run_resources WHERE run_id IN
  (SELECT r.id FROM runs r WHERE r.id = ANY(sqlc.arg(ids)::bigint[]) AND r.state IN ('succeeded', 'failed', 'cancelled'));

-- name: DeleteFinishedRuns :execrows
DELETE FROM runs WHERE id = ANY(sqlc.arg(ids)::bigint[]) AND state IN ('succeeded', 'failed', 'cancelled');

-- name: DeleteAuditEvents :execrows
-- Up to lim events not tied to a run that are older than age_ms, oldest
-- first; rows another server is deleting are skipped.
DELETE FROM events WHERE id IN (
  SELECT id FROM events
  WHERE run_id = 0 AND at < baton_now() - CAST(sqlc.arg(age_ms) AS BIGINT)
  ORDER BY at, id
  LIMIT CAST(sqlc.arg(lim) AS BIGINT)
  FOR UPDATE SKIP LOCKED);

-- name: DeletePackedRunEvents :execrows
-- The packed rows of events that span runs from run_lo to run_hi, once no
-- run they may name is left (the runs are deleted first): a packed row
-- names runs at most store.PackedRunSpan apart, so those that can span a
-- run in [run_lo, run_hi] have their first run at most that far below.
DELETE FROM events
WHERE run_hi <> 0 AND run_id BETWEEN CAST(sqlc.arg(run_lo) AS BIGINT) - 128 AND CAST(sqlc.arg(run_hi) AS BIGINT)
  AND run_hi >= CAST(sqlc.arg(run_lo) AS BIGINT)
  AND NOT EXISTS (SELECT 1 FROM runs r WHERE r.id BETWEEN events.run_id AND events.run_hi);

-- name: DeleteStartRequests :execrows
-- Up to lim request keys older than age_ms, oldest first; rows another
-- server is deleting are skipped.
DELETE FROM start_requests WHERE (workflow_id, request_key) IN (
  SELECT workflow_id, request_key FROM start_requests
  WHERE created_at < baton_now() - CAST(sqlc.arg(age_ms) AS BIGINT)
  ORDER BY created_at
  LIMIT CAST(sqlc.arg(lim) AS BIGINT)
  FOR UPDATE SKIP LOCKED);
