-- Wait tasks (sensors); twins of the same names in ../postgres.

-- name: DueWaits :many
-- The waits due for a check, oldest due first (SQLite has one writer: no row
-- locks), with the state of their attempt (empty when it is gone) and
-- whether their workflow or time condition holds: every due wait's
-- condition in this one statement.
SELECT w.attempt_id, w.task_id, w.run_id, w.http, w.skip_on_timeout, w.deadline, w.interval_ms, w.checks,
       CAST(COALESCE(a.state, '') AS TEXT) AS attempt_state,
       CAST(baton_now() AS BIGINT) AS now,
       CAST(CASE
         WHEN w.workflow <> '' THEN EXISTS (
           SELECT 1 FROM runs r
           WHERE r.workflow = w.workflow AND r.state = 'succeeded'
             AND ((r.scheduled_at >= w.from_ms AND r.scheduled_at < w.to_ms)
               OR (r.scheduled_at = 0 AND r.created_at >= w.from_ms AND r.created_at < w.to_ms)))
         WHEN w.until_ms > 0 THEN w.until_ms <= baton_now()
         ELSE false END AS BOOLEAN) AS met
FROM task_waits w LEFT JOIN attempts a ON a.id = w.attempt_id
WHERE w.next_check_at <= baton_now()
ORDER BY w.next_check_at, w.attempt_id
LIMIT CAST(sqlc.arg(lim) AS BIGINT);

-- name: PushWaits :execrows
-- Sets the next check of waits one interval on, or at their deadline if
-- that is sooner.
UPDATE task_waits SET next_check_at = MIN(baton_now() + interval_ms, deadline), checks = checks + 1
WHERE attempt_id IN (sqlc.slice(ids));

-- name: DeleteWaits :execrows
DELETE FROM task_waits WHERE attempt_id IN (sqlc.slice(ids));
