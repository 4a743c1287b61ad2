-- name: InsertToken :one
INSERT INTO tokens (name, kind, hash, role, scope, zones, worker_groups, worker_id, expires_at, created_by, subject,
                    created_at)
VALUES (sqlc.arg(name), sqlc.arg(kind), sqlc.arg(hash), sqlc.arg(role), sqlc.arg(scope), sqlc.arg(zones),
        sqlc.arg(worker_groups), sqlc.arg(worker_id), sqlc.arg(expires_at), sqlc.arg(created_by), sqlc.arg(subject),
        baton_now())
RETURNING *;

-- name: TokenByHash :one
SELECT * FROM tokens WHERE hash = sqlc.arg(hash);

-- name: TokenByName :one
SELECT * FROM tokens WHERE name = sqlc.arg(name);

-- name: ListTokens :many
-- API and join tokens; the credentials of workers and browser sessions are not listed.
SELECT * FROM tokens WHERE kind NOT IN ('worker', 'session') ORDER BY name;

-- name: CountTokens :one
SELECT count(*) FROM tokens WHERE kind NOT IN ('worker', 'session');

-- name: RevokeToken :execrows
UPDATE tokens SET revoked_at = baton_now() WHERE name = sqlc.arg(name) AND revoked_at = 0;

-- name: RevokeWorkerCredentials :execrows
-- A worker that registers again, or is gone, loses its older credentials.
UPDATE tokens SET revoked_at = baton_now()
WHERE kind = 'worker' AND worker_id = sqlc.arg(worker_id) AND revoked_at = 0;

-- name: TouchToken :execrows
-- At most one write a minute per token, whatever the request rate.
UPDATE tokens SET last_used_at = baton_now()
WHERE id = sqlc.arg(id) AND last_used_at < baton_now() - 60000;

-- name: RevokeSessions :execrows
-- Ends the browser sessions of a principal ('user:alice', 'token:ci').
UPDATE tokens SET revoked_at = baton_now()
WHERE kind = 'session' AND subject = sqlc.arg(subject) AND revoked_at = 0;

-- name: RevokeSession :execrows
-- Ends one browser session (logout), by the hash of its secret.
UPDATE tokens SET revoked_at = baton_now()
WHERE kind = 'session' AND hash = sqlc.arg(hash) AND revoked_at = 0;

-- name: DeleteEndedSessions :execrows
-- Browser sessions that expired or were revoked over an hour ago are gone
-- for good (their events stay).
DELETE FROM tokens
WHERE kind = 'session'
  AND ((expires_at <> 0 AND expires_at < baton_now() - 3600000)
    OR (revoked_at <> 0 AND revoked_at < baton_now() - 3600000));
