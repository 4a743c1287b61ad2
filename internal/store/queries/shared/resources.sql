-- name: InsertResourceBlob :execrows
-- A blob stored already (same hash, so same content) is left alone.
INSERT INTO resource_blobs (sha256, size, content, created_at)
VALUES (sqlc.arg(sha256), sqlc.arg(size), sqlc.arg(content), baton_now())
ON CONFLICT (sha256) DO NOTHING;

-- name: GetResourceBlob :one
SELECT content FROM resource_blobs WHERE sha256 = sqlc.arg(sha256);

-- name: LatestResourceVersion :one
SELECT CAST(COALESCE(MAX(version), 0) AS BIGINT) AS version FROM resources WHERE name = sqlc.arg(name);

-- name: InsertResource :one
INSERT INTO resources (name, version, sha256, kind, size, files, created_at, created_by)
VALUES (sqlc.arg(name), sqlc.arg(version), sqlc.arg(sha256), sqlc.arg(kind), sqlc.arg(size), sqlc.arg(files),
        baton_now(), sqlc.arg(created_by))
RETURNING *;

-- name: GetResource :one
SELECT * FROM resources WHERE name = sqlc.arg(name) AND version = sqlc.arg(version);

-- name: ResourceVersions :many
SELECT * FROM resources WHERE name = sqlc.arg(name) ORDER BY version DESC;

-- name: ListResources :many
-- Every version of every resource, by name then newest first.
SELECT * FROM resources ORDER BY name, version DESC;

-- name: InsertRunResource :exec
INSERT INTO run_resources (run_id, name, version) VALUES (sqlc.arg(run_id), sqlc.arg(name), sqlc.arg(version));

-- name: RunResources :many
-- The versions a run pinned, with what they hold.
SELECT r.* FROM run_resources p JOIN resources r ON r.name = p.name AND r.version = p.version
WHERE p.run_id = sqlc.arg(run_id) ORDER BY r.name;
