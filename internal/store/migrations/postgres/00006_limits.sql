-- +goose Up
-- max_active_runs: how many runs of a limited workflow are active (running
-- or paused), and the runs waiting for their turn (queued, tasks held),
-- admitted oldest first as active ones end.
CREATE TABLE workflow_active (
  workflow_id BIGINT PRIMARY KEY,
  active      BIGINT NOT NULL
);
CREATE TABLE run_waits (
  run_id      BIGINT PRIMARY KEY,
  workflow_id BIGINT NOT NULL
);
CREATE INDEX run_waits_workflow ON run_waits (workflow_id, run_id);

-- +goose Down
DROP TABLE run_waits;
DROP TABLE workflow_active;
