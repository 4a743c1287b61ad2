-- name: UpsertWorkflow :one
-- Creates the workflow if missing. On Postgres the conflict update also locks
-- the row, which serializes concurrent applies of one workflow.
INSERT INTO workflows (name, created_at, updated_at)
VALUES (sqlc.arg(name), baton_now(), baton_now())
ON CONFLICT (name) DO UPDATE SET name = excluded.name
RETURNING *;

-- name: InsertVersion :one
INSERT INTO workflow_versions (workflow_id, version, digest, spec, source, created_by, created_at)
VALUES (sqlc.arg(workflow_id), sqlc.arg(version), sqlc.arg(digest), sqlc.arg(spec),
        sqlc.arg(source), sqlc.arg(created_by), baton_now())
RETURNING *;

-- name: SetLatestVersion :exec
UPDATE workflows
SET latest_version = sqlc.arg(version), latest_version_id = sqlc.arg(version_id),
    latest_digest = sqlc.arg(digest), deleted_at = 0, updated_at = baton_now()
WHERE id = sqlc.arg(id);

-- name: GetWorkflow :one
SELECT * FROM workflows WHERE name = sqlc.arg(name) AND deleted_at = 0;

-- name: ListWorkflows :many
SELECT * FROM workflows
WHERE name > CAST(sqlc.arg(after) AS TEXT) AND deleted_at = 0
ORDER BY name
LIMIT CAST(sqlc.arg(lim) AS BIGINT);

-- name: GetVersion :one
SELECT * FROM workflow_versions WHERE id = sqlc.arg(id);

-- name: GetVersionByNumber :one
SELECT * FROM workflow_versions
WHERE workflow_id = sqlc.arg(workflow_id) AND version = sqlc.arg(version);

-- name: ListVersions :many
SELECT * FROM workflow_versions
WHERE workflow_id = sqlc.arg(workflow_id)
ORDER BY version DESC;

-- name: SetWorkflowDisabled :execrows
UPDATE workflows SET disabled = sqlc.arg(disabled), updated_at = baton_now()
WHERE id = sqlc.arg(id) AND deleted_at = 0 AND disabled <> sqlc.arg(disabled);

-- name: DeleteWorkflow :execrows
-- Marks the workflow deleted; its latest digest is forgotten so that
-- applying the name again stores a new version (and brings it back).
UPDATE workflows
SET deleted_at = baton_now(), disabled = false, latest_digest = '', updated_at = baton_now()
WHERE id = sqlc.arg(id) AND deleted_at = 0;
