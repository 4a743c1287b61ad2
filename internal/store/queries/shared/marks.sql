-- name: GetLoopMark :one
-- When a loop last ran, and the database's time now.
SELECT at, CAST(baton_now() AS BIGINT) AS now FROM loop_marks WHERE name = sqlc.arg(name);

-- name: AdvanceLoopMark :execrows
-- Moves the mark to now, unless another server moved it since prev was read.
UPDATE loop_marks SET at = baton_now() WHERE name = sqlc.arg(name) AND at = sqlc.arg(prev);
