-- +goose Up
-- Tasks of a paused run are held: claims pass them over, whatever their
-- state, until the run is resumed. Pausing holds all of a run's tasks, so
-- tasks that become ready meanwhile wait too.
ALTER TABLE tasks ADD COLUMN held BOOLEAN NOT NULL DEFAULT false;

-- +goose Down
ALTER TABLE tasks DROP COLUMN held;
