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

-- name: ListSlots :many
-- Every slot with its running and queued tasks.
SELECT s.name, s.size, s.description, s.updated_at,
       (SELECT count(*) FROM tasks t WHERE t.slot = s.name AND t.state = 'running') AS running,
       (SELECT count(*) FROM tasks t WHERE t.slot = s.name AND t.state = 'queued') AS queued
FROM slots s ORDER BY s.name;

-- name: CountSlotRunning :one
-- Tasks of a slot running now (a statement of its own, so that it reads
-- what committed before the slot's row was locked).
SELECT count(*) FROM tasks WHERE slot = sqlc.arg(slot) AND state = 'running';

-- name: SlotUsage :many
-- Every slot's size and running tasks, for the claims' hint of which
-- slots are open.
SELECT s.name, s.size,
       (SELECT count(*) FROM tasks t WHERE t.slot = s.name AND t.state = 'running') AS running
FROM slots s;
