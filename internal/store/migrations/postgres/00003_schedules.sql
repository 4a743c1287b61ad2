-- +goose Up
-- Schedules of workflows, as their latest version defines them. A schedule
-- fires by inserting a run with the idempotency key of its due time and
-- moving next_fire_at on, in one transaction, so a due time fires once
-- however many servers run the loop. fire_at is next_fire_at plus the
-- schedule's jitter (0 once the schedule has ended); buffered lists the due
-- times an overlap policy keeps waiting (JSON array of milliseconds, '' for
-- none).
CREATE TABLE schedules (
  id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  workflow_id  BIGINT NOT NULL,
  workflow     TEXT NOT NULL,
  name         TEXT NOT NULL,
  spec         TEXT NOT NULL,
  next_fire_at BIGINT NOT NULL,
  fire_at      BIGINT NOT NULL,
  buffered     TEXT NOT NULL DEFAULT '',
  paused       BOOLEAN NOT NULL DEFAULT false,
  note         TEXT NOT NULL DEFAULT '',
  created_at   BIGINT NOT NULL,
  updated_at   BIGINT NOT NULL,
  UNIQUE (workflow_id, name)
);
CREATE INDEX schedules_fire ON schedules (fire_at);

-- The schedule a run was fired by (0 for none). The schedule never changes,
-- so the index leaves the updates of runs heap-only.
ALTER TABLE runs ADD COLUMN schedule_id BIGINT NOT NULL DEFAULT 0;
CREATE INDEX runs_schedule ON runs (schedule_id, id) WHERE schedule_id <> 0;

-- +goose Down
DROP INDEX runs_schedule;
ALTER TABLE runs DROP COLUMN schedule_id;
DROP TABLE schedules;
