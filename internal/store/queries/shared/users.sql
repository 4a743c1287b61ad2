-- name: InsertUser :one
INSERT INTO users (name, role, password_hash, created_by, created_at, updated_at)
VALUES (sqlc.arg(name), sqlc.arg(role), sqlc.arg(password_hash), sqlc.arg(created_by), baton_now(), baton_now())
RETURNING *;

-- name: UserByName :one
SELECT * FROM users WHERE name = sqlc.arg(name);

-- name: ListUsers :many
SELECT * FROM users ORDER BY name;

-- name: SetUserPassword :execrows
UPDATE users SET password_hash = sqlc.arg(password_hash), updated_at = baton_now() WHERE name = sqlc.arg(name);

-- name: SetUserRole :execrows
UPDATE users SET role = sqlc.arg(role), updated_at = baton_now() WHERE name = sqlc.arg(name);

-- name: DisableUser :execrows
UPDATE users SET disabled_at = baton_now(), updated_at = baton_now() WHERE name = sqlc.arg(name) AND disabled_at = 0;

-- name: EnableUser :execrows
UPDATE users SET disabled_at = 0, updated_at = baton_now() WHERE name = sqlc.arg(name) AND disabled_at <> 0;

-- name: DeleteUser :execrows
DELETE FROM users WHERE name = sqlc.arg(name);
