-- name: DeleteSubscriptions :exec
DELETE FROM trigger_subscriptions WHERE workflow_id = sqlc.arg(workflow_id);

-- name: InsertSubscription :exec
INSERT INTO trigger_subscriptions (upstream, workflow_id) VALUES (sqlc.arg(upstream), sqlc.arg(workflow_id))
ON CONFLICT (upstream, workflow_id) DO NOTHING;

-- name: Subscribers :many
-- The workflows (not deleted) whose latest version listens to upstream.
SELECT w.id, w.name, w.disabled
FROM trigger_subscriptions s JOIN workflows w ON w.id = s.workflow_id
WHERE s.upstream = sqlc.arg(upstream) AND w.deleted_at = 0
ORDER BY w.name;

-- name: AllSubscriptions :many
SELECT s.upstream, w.name AS workflow
FROM trigger_subscriptions s JOIN workflows w ON w.id = s.workflow_id
WHERE w.deleted_at = 0
ORDER BY s.upstream, w.name;

-- name: ClaimTrigger :many
-- Zero rows when the event already fired for the workflow.
INSERT INTO run_triggers (workflow_id, trigger_key, kind, upstream_run_id, upstream_workflow, depth, context, reason,
                          created_at)
VALUES (sqlc.arg(workflow_id), sqlc.arg(trigger_key), sqlc.arg(kind), sqlc.arg(upstream_run_id),
        sqlc.arg(upstream_workflow), sqlc.arg(depth), sqlc.arg(context), sqlc.arg(reason), baton_now())
ON CONFLICT (workflow_id, trigger_key) DO NOTHING
RETURNING *;

-- name: SetTriggerRun :exec
UPDATE run_triggers SET run_id = sqlc.arg(run_id), reason = sqlc.arg(reason) WHERE id = sqlc.arg(id);

-- name: TriggerByKey :one
SELECT * FROM run_triggers WHERE workflow_id = sqlc.arg(workflow_id) AND trigger_key = sqlc.arg(trigger_key);

-- name: TriggerOfRun :one
SELECT * FROM run_triggers WHERE run_id = sqlc.arg(run_id) AND run_id <> 0;

-- name: TriggersOfUpstream :many
SELECT * FROM run_triggers WHERE upstream_run_id = sqlc.arg(upstream_run_id) AND upstream_run_id <> 0 ORDER BY id;

-- name: UpsertWebhookToken :exec
INSERT INTO webhook_tokens (workflow_id, hash, created_by, created_at)
VALUES (sqlc.arg(workflow_id), sqlc.arg(hash), sqlc.arg(created_by), baton_now())
ON CONFLICT (workflow_id) DO UPDATE SET hash = excluded.hash, created_by = excluded.created_by,
                                        created_at = excluded.created_at;

-- name: WebhookTokenByHash :one
-- The token with the hash, and its workflow (not deleted).
SELECT t.workflow_id, w.name AS workflow, t.created_by, t.created_at
FROM webhook_tokens t JOIN workflows w ON w.id = t.workflow_id
WHERE t.hash = sqlc.arg(hash) AND w.deleted_at = 0;

-- name: WebhookTokenOf :one
SELECT workflow_id, created_by, created_at FROM webhook_tokens WHERE workflow_id = sqlc.arg(workflow_id);

-- name: DeleteWebhookToken :execrows
DELETE FROM webhook_tokens WHERE workflow_id = sqlc.arg(workflow_id);
