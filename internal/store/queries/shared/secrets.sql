-- name: UpsertSecret :one
INSERT INTO secrets (name, key_id, nonce, ciphertext, created_at, created_by, updated_at, updated_by)
VALUES (sqlc.arg(name), sqlc.arg(key_id), sqlc.arg(nonce), sqlc.arg(ciphertext), baton_now(), sqlc.arg(actor),
        baton_now(), sqlc.arg(actor))
ON CONFLICT (name) DO UPDATE SET key_id = excluded.key_id, nonce = excluded.nonce,
    ciphertext = excluded.ciphertext, updated_at = excluded.updated_at, updated_by = excluded.updated_by
RETURNING *;

-- name: ResealSecret :execrows
-- A rotation: the same value under another key, if nobody changed it since
-- it was read.
UPDATE secrets SET key_id = sqlc.arg(key_id), nonce = sqlc.arg(nonce), ciphertext = sqlc.arg(ciphertext)
WHERE name = sqlc.arg(name) AND key_id = sqlc.arg(old_key_id) AND nonce = sqlc.arg(old_nonce);

-- name: GetSecret :one
SELECT * FROM secrets WHERE name = sqlc.arg(name);

-- name: ListSecrets :many
SELECT * FROM secrets ORDER BY name;

-- name: DeleteSecret :execrows
DELETE FROM secrets WHERE name = sqlc.arg(name);
