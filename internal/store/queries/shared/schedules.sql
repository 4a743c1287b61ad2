-- name: InsertSchedule :one
INSERT INTO schedules (workflow_id, workflow, name, spec, next_fire_at, fire_at, paused, note, created_at, updated_at)
VALUES (sqlc.arg(workflow_id), sqlc.arg(workflow), sqlc.arg(name), sqlc.arg(spec), sqlc.arg(next_fire_at),
        sqlc.arg(fire_at), sqlc.arg(paused), sqlc.arg(note), baton_now(), baton_now())
RETURNING *;

-- name: UpdateScheduleSpec :exec
-- A changed definition: the schedule restarts from its new next due time.
UPDATE schedules SET spec = sqlc.arg(spec), next_fire_at = sqlc.arg(next_fire_at), fire_at = sqlc.arg(fire_at),
    updated_at = baton_now()
WHERE id = sqlc.arg(id);

-- name: DeleteSchedule :exec
DELETE FROM schedules WHERE id = sqlc.arg(id);

-- name: ListWorkflowSchedules :many
SELECT * FROM schedules WHERE workflow_id = sqlc.arg(workflow_id) ORDER BY name;

-- name: ListSchedules :many
SELECT * FROM schedules ORDER BY workflow, name;

-- name: GetSchedule :one
SELECT * FROM schedules WHERE workflow = sqlc.arg(workflow) AND name = sqlc.arg(name);

-- name: SetScheduleFiring :exec
UPDATE schedules SET next_fire_at = sqlc.arg(next_fire_at), fire_at = sqlc.arg(fire_at),
    buffered = sqlc.arg(buffered), updated_at = baton_now()
WHERE id = sqlc.arg(id);

-- name: SetSchedulePaused :exec
UPDATE schedules SET paused = sqlc.arg(paused), note = sqlc.arg(note), next_fire_at = sqlc.arg(next_fire_at),
    fire_at = sqlc.arg(fire_at), updated_at = baton_now()
WHERE id = sqlc.arg(id);

-- name: NextScheduleFire :one
-- The earliest time a schedule fires (0 for none), and the database's time.
SELECT CAST(COALESCE(MIN(fire_at), 0) AS BIGINT) AS fire_at, CAST(baton_now() AS BIGINT) AS now
FROM schedules WHERE NOT paused AND fire_at <> 0;

-- name: ScheduleRecentRuns :many
-- A schedule's latest runs, newest first: the active ones among them
-- decide overlaps, all of them give its lateness.
SELECT id, state, scheduled_at, created_at, created_by FROM runs
WHERE schedule_id = sqlc.arg(schedule_id) AND schedule_id <> 0
ORDER BY id DESC LIMIT CAST(sqlc.arg(lim) AS BIGINT);

-- name: DatabaseNow :one
SELECT CAST(baton_now() AS BIGINT) AS now;
