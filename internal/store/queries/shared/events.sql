-- name: InsertEvent :exec
INSERT INTO events (at, kind, actor, run_id, task_id, task, attempt_id, worker_id,
                    old_state, new_state, reason, zone, run_hi, packed)
VALUES (baton_now(), sqlc.arg(kind), sqlc.arg(actor), sqlc.arg(run_id), sqlc.arg(task_id),
        sqlc.arg(task), sqlc.arg(attempt_id), sqlc.arg(worker_id), sqlc.arg(old_state),
        sqlc.arg(new_state), sqlc.arg(reason), sqlc.arg(zone), sqlc.arg(run_hi), sqlc.arg(packed));

-- name: ListEvents :many
-- Every event in ID order (a run's: ListRunEvents, which its index serves;
-- a kind's: ListKindEvents). Actor and a time range [at_from, at_to)
-- narrow it (zero: no bound).
SELECT * FROM events
WHERE id > CAST(sqlc.arg(after_id) AS BIGINT)
  AND (CAST(sqlc.arg(actor) AS TEXT) = '' OR actor = sqlc.arg(actor))
  AND at >= CAST(sqlc.arg(at_from) AS BIGINT)
  AND (CAST(sqlc.arg(at_to) AS BIGINT) = 0 OR at < sqlc.arg(at_to))
ORDER BY id
LIMIT CAST(sqlc.arg(lim) AS BIGINT);

-- name: ListKindEvents :many
-- The events of one kind in ID order, which the index on (kind, id) serves.
SELECT * FROM events
WHERE kind = sqlc.arg(kind)
  AND id > CAST(sqlc.arg(after_id) AS BIGINT)
  AND (CAST(sqlc.arg(actor) AS TEXT) = '' OR actor = sqlc.arg(actor))
  AND at >= CAST(sqlc.arg(at_from) AS BIGINT)
  AND (CAST(sqlc.arg(at_to) AS BIGINT) = 0 OR at < sqlc.arg(at_to))
ORDER BY kind, id
LIMIT CAST(sqlc.arg(lim) AS BIGINT);

-- name: ListRunEvents :many
-- A run's rows of one event in ID order (its packed rows:
-- ListPackedRunEvents). run_id <> 0 lets the partial index serve whatever
-- run is asked for.
SELECT * FROM events
WHERE run_id = sqlc.arg(run_id) AND run_id <> 0 AND run_hi = 0
  AND (CAST(sqlc.arg(kind) AS TEXT) = '' OR kind = sqlc.arg(kind))
  AND id > CAST(sqlc.arg(after_id) AS BIGINT)
  AND (CAST(sqlc.arg(actor) AS TEXT) = '' OR actor = sqlc.arg(actor))
  AND at >= CAST(sqlc.arg(at_from) AS BIGINT)
  AND (CAST(sqlc.arg(at_to) AS BIGINT) = 0 OR at < sqlc.arg(at_to))
ORDER BY run_id, id
LIMIT CAST(sqlc.arg(lim) AS BIGINT);

-- name: ListEventsDesc :many
-- Every event newest first, below before_id (the caller passes the
-- largest BIGINT for none) and above after_id, which the primary key
-- serves read backwards. Actor and time narrow it as in ListEvents.
SELECT * FROM events
WHERE id < CAST(sqlc.arg(before_id) AS BIGINT)
  AND id > CAST(sqlc.arg(after_id) AS BIGINT)
  AND (CAST(sqlc.arg(actor) AS TEXT) = '' OR actor = sqlc.arg(actor))
  AND at >= CAST(sqlc.arg(at_from) AS BIGINT)
  AND (CAST(sqlc.arg(at_to) AS BIGINT) = 0 OR at < sqlc.arg(at_to))
ORDER BY id DESC
LIMIT CAST(sqlc.arg(lim) AS BIGINT);

-- name: ListKindEventsDesc :many
-- The events of one kind newest first, the (kind, id) index read
-- backwards.
SELECT * FROM events
WHERE kind = sqlc.arg(kind)
  AND id < CAST(sqlc.arg(before_id) AS BIGINT)
  AND id > CAST(sqlc.arg(after_id) AS BIGINT)
  AND (CAST(sqlc.arg(actor) AS TEXT) = '' OR actor = sqlc.arg(actor))
  AND at >= CAST(sqlc.arg(at_from) AS BIGINT)
  AND (CAST(sqlc.arg(at_to) AS BIGINT) = 0 OR at < sqlc.arg(at_to))
ORDER BY kind DESC, id DESC
LIMIT CAST(sqlc.arg(lim) AS BIGINT);

-- name: ListRunEventsDesc :many
-- A run's rows of one event newest first, its partial index read
-- backwards.
SELECT * FROM events
WHERE run_id = sqlc.arg(run_id) AND run_id <> 0 AND run_hi = 0
  AND (CAST(sqlc.arg(kind) AS TEXT) = '' OR kind = sqlc.arg(kind))
  AND id < CAST(sqlc.arg(before_id) AS BIGINT)
  AND id > CAST(sqlc.arg(after_id) AS BIGINT)
  AND (CAST(sqlc.arg(actor) AS TEXT) = '' OR actor = sqlc.arg(actor))
  AND at >= CAST(sqlc.arg(at_from) AS BIGINT)
  AND (CAST(sqlc.arg(at_to) AS BIGINT) = 0 OR at < sqlc.arg(at_to))
ORDER BY run_id DESC, id DESC
LIMIT CAST(sqlc.arg(lim) AS BIGINT);

-- name: ListPackedRunEvents :many
-- The packed rows that may hold events of a run, in ID order: those whose
-- runs span it, found among the few whose first run is at most
-- store.PackedRunSpan below it (run_lo) by the partial index events_packed.
SELECT * FROM events
WHERE run_hi <> 0 AND run_id BETWEEN CAST(sqlc.arg(run_lo) AS BIGINT) AND CAST(sqlc.arg(run_id) AS BIGINT)
  AND run_hi >= CAST(sqlc.arg(run_id) AS BIGINT)
  AND id > CAST(sqlc.arg(after_id) AS BIGINT)
  AND id < CAST(sqlc.arg(before_id) AS BIGINT)
  AND (CAST(sqlc.arg(actor) AS TEXT) = '' OR actor = sqlc.arg(actor))
  AND at >= CAST(sqlc.arg(at_from) AS BIGINT)
  AND (CAST(sqlc.arg(at_to) AS BIGINT) = 0 OR at < sqlc.arg(at_to))
ORDER BY id
LIMIT CAST(sqlc.arg(lim) AS BIGINT);

-- name: ListPackedRunEventsDesc :many
-- ListPackedRunEvents newest first.
SELECT * FROM events
WHERE run_hi <> 0 AND run_id BETWEEN CAST(sqlc.arg(run_lo) AS BIGINT) AND CAST(sqlc.arg(run_id) AS BIGINT)
  AND run_hi >= CAST(sqlc.arg(run_id) AS BIGINT)
  AND id > CAST(sqlc.arg(after_id) AS BIGINT)
  AND id < CAST(sqlc.arg(before_id) AS BIGINT)
  AND (CAST(sqlc.arg(actor) AS TEXT) = '' OR actor = sqlc.arg(actor))
  AND at >= CAST(sqlc.arg(at_from) AS BIGINT)
  AND (CAST(sqlc.arg(at_to) AS BIGINT) = 0 OR at < sqlc.arg(at_to))
ORDER BY id DESC
LIMIT CAST(sqlc.arg(lim) AS BIGINT);
