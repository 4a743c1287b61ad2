-- Batched forms of shared inserts: pgx sends a whole batch in one round trip.

-- name: InsertTasks :batchexec
INSERT INTO tasks (run_id, idx, name, state, grp, cu, priority, run_priority, needs_total,
                   labels, zones_allow, zones_deny, ready_at, created_at)
VALUES (sqlc.arg(run_id), sqlc.arg(idx), sqlc.arg(name), sqlc.arg(state), sqlc.arg(grp),
        sqlc.arg(cu), sqlc.arg(priority), sqlc.arg(run_priority), sqlc.arg(needs_total),
        sqlc.arg(labels), sqlc.arg(zones_allow), sqlc.arg(zones_deny), baton_now(), baton_now());

-- name: InsertEvents :batchexec
INSERT INTO events (at, kind, actor, run_id, task_id, task, attempt_id, worker_id,
                    old_state, new_state, reason, zone)
VALUES (baton_now(), sqlc.arg(kind), sqlc.arg(actor), sqlc.arg(run_id), sqlc.arg(task_id),
        sqlc.arg(task), sqlc.arg(attempt_id), sqlc.arg(worker_id), sqlc.arg(old_state),
        sqlc.arg(new_state), sqlc.arg(reason), sqlc.arg(zone));

-- name: InsertLogs :batchexec
INSERT INTO logs (attempt_id, seq, stream, at, data)
VALUES (sqlc.arg(attempt_id), sqlc.arg(seq), sqlc.arg(stream), baton_now(), sqlc.arg(data))
ON CONFLICT (attempt_id, seq) DO NOTHING;
