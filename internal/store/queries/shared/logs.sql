-- name: InsertLog :exec
-- Chunks are numbered by the worker; a chunk sent twice (after a failover)
-- is stored once.
INSERT INTO logs (attempt_id, seq, stream, at, data)
VALUES (sqlc.arg(attempt_id), sqlc.arg(seq), sqlc.arg(stream), baton_now(), sqlc.arg(data))
ON CONFLICT (attempt_id, seq) DO NOTHING;

-- name: ListLogs :many
SELECT * FROM logs
WHERE attempt_id = sqlc.arg(attempt_id) AND seq > CAST(sqlc.arg(after_seq) AS BIGINT)
ORDER BY seq
LIMIT CAST(sqlc.arg(lim) AS BIGINT);
