-- name: UpsertSlot :one
INSERT INTO slots (name, size, description, updated_at)
VALUES (sqlc.arg(name), sqlc.arg(size), sqlc.arg(description), baton_now())
ON CONFLICT (name) DO UPDATE SET size = excluded.size, description = excluded.description,
    updated_at = excluded.updated_at
RETURNING *;

-- name: DeleteSlot :execrows
DELETE FROM slots WHERE name = sqlc.arg(name);

-- name: CountSlots :one
SELECT count(*) FROM slots;
