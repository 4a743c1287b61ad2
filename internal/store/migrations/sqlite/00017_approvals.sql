-- +goose Up
-- Approval tasks: the servers start an approval task's attempt and record
-- here what it waits for. A person's decision (or the timeout's default,
-- or the run's end) moves state from pending, once: every decision is a
-- guarded update on state = 'pending'. Times are ms, database clock;
-- deadline_at 0 means no timeout.
CREATE TABLE approvals (
  attempt_id   BIGINT PRIMARY KEY,
  run_id       BIGINT NOT NULL,
  task_id      BIGINT NOT NULL,
  task         TEXT NOT NULL,
  workflow     TEXT NOT NULL,
  message      TEXT NOT NULL,
  outcome      TEXT NOT NULL DEFAULT '',
  deadline_at  BIGINT NOT NULL DEFAULT 0,
  state        TEXT NOT NULL DEFAULT 'pending',
  actor        TEXT NOT NULL DEFAULT '',
  note         TEXT NOT NULL DEFAULT '',
  requested_at BIGINT NOT NULL,
  decided_at   BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX approvals_state ON approvals (state, deadline_at);
CREATE INDEX approvals_run ON approvals (run_id);

-- +goose Down
DROP INDEX approvals_run;
DROP INDEX approvals_state;
DROP TABLE approvals;
