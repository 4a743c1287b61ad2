-- +goose Up
-- Tasks of a paused run are held: claims pass them over, whatever their
-- state, until the run is resumed. Pausing holds all of a run's tasks, so
-- tasks that become ready meanwhile wait too.
ALTER TABLE tasks ADD COLUMN held BOOLEAN NOT NULL DEFAULT false;

-- Upstream tasks that ended without success (failed, upstream_failed),
-- beside needs_done: trigger rules other than all_success run on them.
ALTER TABLE tasks ADD COLUMN needs_failed BIGINT NOT NULL DEFAULT 0;

-- A task's last checkpoint (base64 of the $BATON_CHECKPOINT file its live
-- attempt uploaded, '' for none), handed to its next attempt.
ALTER TABLE tasks ADD COLUMN checkpoint TEXT NOT NULL DEFAULT '';
ALTER TABLE tasks ADD COLUMN checkpoint_at BIGINT NOT NULL DEFAULT 0;

-- Deadlines of runs whose workflow sets a timeout. The sweeper fails the
-- runs still going at their deadline and deletes the rows whose deadline
-- passed, so the table holds only runs started within their timeout.
CREATE TABLE run_deadlines (
  run_id      BIGINT PRIMARY KEY,
  deadline_at BIGINT NOT NULL
);
CREATE INDEX run_deadlines_due ON run_deadlines (deadline_at);

-- An attempt's timeout (0 for none): a running attempt the servers hear
-- nothing about past its timeout and a grace is ended timed_out by them,
-- the backstop behind the worker's own enforcement.
ALTER TABLE attempts ADD COLUMN timeout_ms BIGINT NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE attempts DROP COLUMN timeout_ms;
DROP TABLE run_deadlines;
ALTER TABLE tasks DROP COLUMN checkpoint_at;
ALTER TABLE tasks DROP COLUMN checkpoint;
ALTER TABLE tasks DROP COLUMN needs_failed;
ALTER TABLE tasks DROP COLUMN held;
