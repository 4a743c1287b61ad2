-- name: InsertLog :exec
-- Chunks are numbered by the worker; a chunk sent twice (after a failover)
-- is stored once.
INSERT INTO logs (attempt_id, seq, stream, at, data, size)
VALUES (sqlc.arg(attempt_id), sqlc.arg(seq), sqlc.arg(stream), baton_now(), sqlc.arg(data), sqlc.arg(size))
ON CONFLICT (attempt_id, seq) DO NOTHING;

-- name: ListLogs :many
SELECT * FROM logs
WHERE attempt_id = sqlc.arg(attempt_id) AND seq > CAST(sqlc.arg(after_seq) AS BIGINT)
ORDER BY seq
LIMIT CAST(sqlc.arg(lim) AS BIGINT);

-- name: ListLogSizes :many
-- Sizes of the chunks after a sequence number, to page reads by bytes.
SELECT seq, size FROM logs
WHERE attempt_id = sqlc.arg(attempt_id) AND seq > CAST(sqlc.arg(after_seq) AS BIGINT)
ORDER BY seq
LIMIT CAST(sqlc.arg(lim) AS BIGINT);

-- name: ListLogRange :many
SELECT * FROM logs
WHERE attempt_id = sqlc.arg(attempt_id) AND seq > CAST(sqlc.arg(after_seq) AS BIGINT)
  AND seq <= CAST(sqlc.arg(upto_seq) AS BIGINT)
ORDER BY seq;

-- name: LogSeqsIn :many
-- The chunks of an attempt stored already within a range of sequence
-- numbers (a batch sent again).
SELECT seq FROM logs
WHERE attempt_id = sqlc.arg(attempt_id) AND seq >= CAST(sqlc.arg(from_seq) AS BIGINT)
  AND seq <= CAST(sqlc.arg(to_seq) AS BIGINT);

-- name: DeleteLogRange :exec
DELETE FROM logs
WHERE attempt_id = sqlc.arg(attempt_id) AND seq >= CAST(sqlc.arg(from_seq) AS BIGINT)
  AND seq <= CAST(sqlc.arg(to_seq) AS BIGINT);

-- name: GetLogStats :one
SELECT * FROM log_stats WHERE attempt_id = sqlc.arg(attempt_id);

-- name: PutLogStats :exec
INSERT INTO log_stats (attempt_id, head_bytes, head_seq, tail_bytes, tail_from, last_seq, dropped)
VALUES (sqlc.arg(attempt_id), sqlc.arg(head_bytes), sqlc.arg(head_seq), sqlc.arg(tail_bytes), sqlc.arg(tail_from),
        sqlc.arg(last_seq), sqlc.arg(dropped))
ON CONFLICT (attempt_id) DO UPDATE SET head_bytes = excluded.head_bytes, head_seq = excluded.head_seq,
    tail_bytes = excluded.tail_bytes, tail_from = excluded.tail_from, last_seq = excluded.last_seq,
    dropped = excluded.dropped;

-- name: AppendLogText :exec
-- Adds a line to a stored chunk (the marker where output was dropped).
UPDATE logs SET data = data || CAST(sqlc.arg(text) AS TEXT), size = size + CAST(sqlc.arg(text_size) AS BIGINT)
WHERE attempt_id = sqlc.arg(attempt_id) AND seq = sqlc.arg(seq);
