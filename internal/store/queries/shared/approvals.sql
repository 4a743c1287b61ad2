-- name: InsertApproval :one
-- Records the approval an approval task's attempt waits for; timeout_ms 0
-- sets no deadline.
INSERT INTO approvals (attempt_id, run_id, task_id, task, workflow, message, outcome, deadline_at, requested_at)
VALUES (sqlc.arg(attempt_id), sqlc.arg(run_id), sqlc.arg(task_id), sqlc.arg(task), sqlc.arg(workflow),
        sqlc.arg(message), sqlc.arg(outcome),
        CASE WHEN CAST(sqlc.arg(timeout_ms) AS BIGINT) > 0 THEN baton_now() + CAST(sqlc.arg(timeout_ms) AS BIGINT) ELSE 0 END,
        baton_now())
RETURNING *;

-- name: GetApproval :one
SELECT * FROM approvals WHERE attempt_id = sqlc.arg(attempt_id);

-- name: DecideApproval :one
-- Decides a pending approval; no row when it was decided already (another
-- server, a person or the timeout won).
UPDATE approvals SET state = sqlc.arg(state), actor = sqlc.arg(actor), note = sqlc.arg(note), decided_at = baton_now()
WHERE attempt_id = sqlc.arg(attempt_id) AND state = 'pending'
RETURNING *;

-- name: CancelRunApprovals :execrows
-- Ends the pending approvals of a run that ended.
UPDATE approvals SET state = 'cancelled', actor = sqlc.arg(actor), note = sqlc.arg(note), decided_at = baton_now()
WHERE run_id = sqlc.arg(run_id) AND state = 'pending';

-- name: DueApprovals :many
-- Pending approvals whose deadline passed, oldest deadline first.
SELECT * FROM approvals
WHERE state = 'pending' AND deadline_at > 0 AND deadline_at <= baton_now()
ORDER BY deadline_at, attempt_id
LIMIT CAST(sqlc.arg(lim) AS BIGINT);

-- name: ListApprovals :many
-- Approvals in a state (an empty state for all), newest first.
SELECT * FROM approvals
WHERE (CAST(sqlc.arg(state) AS TEXT) = '' OR state = sqlc.arg(state))
ORDER BY attempt_id DESC
LIMIT CAST(sqlc.arg(lim) AS BIGINT);

-- name: ListRunApprovals :many
SELECT * FROM approvals WHERE run_id = sqlc.arg(run_id) ORDER BY attempt_id;
