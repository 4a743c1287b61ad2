-- name: LockSchedule :one
-- The write transaction holds the whole database.
SELECT * FROM schedules WHERE workflow = sqlc.arg(workflow) AND name = sqlc.arg(name);

-- name: DueSchedules :many
-- Schedules to fire now or with buffered runs waiting (ended ones last).
SELECT * FROM schedules
WHERE NOT paused AND ((fire_at <> 0 AND fire_at <= baton_now()) OR buffered <> '')
ORDER BY fire_at = 0, fire_at LIMIT CAST(sqlc.arg(lim) AS BIGINT);
