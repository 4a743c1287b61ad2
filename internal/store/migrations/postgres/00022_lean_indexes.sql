-- +goose NO TRANSACTION
-- +goose Up
-- Fewer index entries per task. The indexes are built and dropped
-- concurrently: events may be large, and claims and reports write it.
--
-- attempts_task served the foreign key from attempts to tasks, which
-- PostgreSQL dropped in 00002: no query looks attempts up by task (they
-- are read by ID, by run, or live by worker), so the index only cost an
-- entry at each attempt's insert and another at its end (that update is
-- not heap-only: its state is in attempts_live's predicate).
DROP INDEX CONCURRENTLY IF EXISTS attempts_task;

-- A run's rows of one event are found through events_run, its packed rows
-- through events_packed: packed rows (run_hi <> 0) need no entry here.
-- The queries that read it (ListRunEvents, ListRunEventsDesc,
-- DeleteRunEvents) say run_id <> 0 AND run_hi = 0.
CREATE INDEX CONCURRENTLY IF NOT EXISTS events_run_single ON events (run_id, id) WHERE run_id <> 0 AND run_hi = 0;
DROP INDEX CONCURRENTLY IF EXISTS events_run;
ALTER INDEX events_run_single RENAME TO events_run;

-- +goose Down
DROP INDEX IF EXISTS events_run;
CREATE INDEX events_run ON events (run_id, id) WHERE run_id <> 0;
CREATE INDEX IF NOT EXISTS attempts_task ON attempts (task_id);
