-- +goose Up
-- Named concurrency slots shared across workflows (Airflow's pools): a
-- task naming a slot runs only while fewer than size tasks of that slot
-- run. The running count is read from tasks through tasks_slot, exact
-- under concurrent claims because a claim locks the slot's row first.
ALTER TABLE tasks ADD COLUMN slot TEXT NOT NULL DEFAULT '';
CREATE INDEX tasks_slot ON tasks (slot, state) WHERE slot <> '';
CREATE TABLE slots (
  name        TEXT PRIMARY KEY,
  size        BIGINT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  updated_at  BIGINT NOT NULL
);

-- +goose Down
DROP TABLE slots;
DROP INDEX tasks_slot;
ALTER TABLE tasks DROP COLUMN slot;
