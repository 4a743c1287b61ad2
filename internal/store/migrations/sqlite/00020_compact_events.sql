-- +goose Up
-- Compact audit events: the run, task and attempt events one transaction
-- writes under one actor are stored in one row (kind 'events.packed'),
-- whose packed column holds them and whose run_id and run_hi bound the
-- runs they name (at most store.PackedRunSpan apart). Other events keep a
-- row each, run_hi 0. The store expands packed rows on reading, each event
-- with the ID row ID * 1024 + its place in the row.
ALTER TABLE events ADD COLUMN run_hi BIGINT NOT NULL DEFAULT 0;
ALTER TABLE events ADD COLUMN packed TEXT NOT NULL DEFAULT '';
-- A run's packed rows: those whose run_id is at most the span below it.
CREATE INDEX events_packed ON events (run_id, id) WHERE run_hi <> 0;

-- +goose Down
DROP INDEX events_packed;
ALTER TABLE events DROP COLUMN packed;
ALTER TABLE events DROP COLUMN run_hi;
