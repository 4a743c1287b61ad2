-- name: GetLoopMark :one
-- When a loop last ran, and the database's time now.
SELECT at, CAST(baton_now() AS BIGINT) AS now FROM loop_marks WHERE name = sqlc.arg(name);
