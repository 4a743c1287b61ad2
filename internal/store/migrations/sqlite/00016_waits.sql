-- +goose Up
-- Wait tasks (sensors): one row per live attempt of a wait task, the whole
-- state of the wait. The servers take the due rows (next_check_at passed),
-- check their conditions and end the attempt or push next_check_at on; the
-- row goes when the attempt ends. workflow, from_ms and to_ms are the
-- condition "a run of workflow whose logical time (scheduled_at, else
-- created_at) is in [from_ms, to_ms) succeeded"; until_ms > 0 the
-- condition "the time is reached"; http the condition "an HTTP endpoint
-- answers", rendered at each check (its headers may hold secrets, which are
-- never stored here).
CREATE TABLE task_waits (
  attempt_id      BIGINT PRIMARY KEY,
  task_id         BIGINT NOT NULL,
  run_id          BIGINT NOT NULL,
  workflow        TEXT NOT NULL DEFAULT '',
  from_ms         BIGINT NOT NULL DEFAULT 0,
  to_ms           BIGINT NOT NULL DEFAULT 0,
  until_ms        BIGINT NOT NULL DEFAULT 0,
  http            BOOLEAN NOT NULL DEFAULT false,
  interval_ms     BIGINT NOT NULL,
  next_check_at   BIGINT NOT NULL,
  deadline        BIGINT NOT NULL,
  skip_on_timeout BOOLEAN NOT NULL DEFAULT false,
  checks          BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX task_waits_due ON task_waits (next_check_at);
-- A run that succeeds makes the waits for its workflow due at once.
CREATE INDEX task_waits_workflow ON task_waits (workflow) WHERE workflow <> '';
-- The workflow condition looks for a succeeded run of a workflow by its
-- logical time; only succeeded runs enter this index.
CREATE INDEX runs_succeeded ON runs (workflow, scheduled_at, created_at) WHERE state = 'succeeded';

-- +goose Down
DROP INDEX runs_succeeded;
DROP TABLE task_waits;
