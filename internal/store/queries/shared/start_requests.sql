-- name: InsertStartRequest :execrows
-- Zero rows when the workflow's key is recorded already (a concurrent
-- request with the same key won).
INSERT INTO start_requests (workflow_id, request_key, body_hash, run_ids, created_at)
VALUES (sqlc.arg(workflow_id), sqlc.arg(request_key), sqlc.arg(body_hash), sqlc.arg(run_ids), baton_now())
ON CONFLICT (workflow_id, request_key) DO NOTHING;

-- name: GetStartRequest :one
SELECT * FROM start_requests WHERE workflow_id = sqlc.arg(workflow_id) AND request_key = sqlc.arg(request_key);
