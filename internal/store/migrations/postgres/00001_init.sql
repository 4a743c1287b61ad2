-- +goose Up
-- Times are milliseconds since the Unix epoch, judged by the database clock
-- (baton_now). Absent values are 0 or '' so both dialects map to plain Go types.

-- +goose StatementBegin
CREATE FUNCTION baton_now() RETURNS BIGINT LANGUAGE sql STABLE AS $$
  SELECT (extract(epoch FROM now()) * 1000)::bigint
$$;
-- +goose StatementEnd

CREATE TABLE workflows (
  id                BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name              TEXT NOT NULL UNIQUE,
  latest_version    BIGINT NOT NULL DEFAULT 0,
  latest_version_id BIGINT NOT NULL DEFAULT 0,
  latest_digest     TEXT NOT NULL DEFAULT '',
  created_at        BIGINT NOT NULL,
  updated_at        BIGINT NOT NULL
);

CREATE TABLE workflow_versions (
  id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  workflow_id BIGINT NOT NULL REFERENCES workflows (id),
  version     BIGINT NOT NULL,
  digest      TEXT NOT NULL,
  spec        TEXT NOT NULL,
  source      TEXT NOT NULL DEFAULT '',
  created_by  TEXT NOT NULL DEFAULT '',
  created_at  BIGINT NOT NULL,
  UNIQUE (workflow_id, version)
);

CREATE TABLE runs (
  id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  workflow_id     BIGINT NOT NULL REFERENCES workflows (id),
  workflow        TEXT NOT NULL,
  version_id      BIGINT NOT NULL REFERENCES workflow_versions (id),
  version         BIGINT NOT NULL,
  state           TEXT NOT NULL,
  reason          TEXT NOT NULL DEFAULT '',
  params          TEXT NOT NULL DEFAULT '{}',
  idempotency_key TEXT NOT NULL DEFAULT '',
  priority        BIGINT NOT NULL DEFAULT 0,
  scheduled_at    BIGINT NOT NULL DEFAULT 0,
  created_by      TEXT NOT NULL DEFAULT '',
  tasks_total     BIGINT NOT NULL,
  tasks_left      BIGINT NOT NULL,
  tasks_failed    BIGINT NOT NULL DEFAULT 0,
  created_at      BIGINT NOT NULL,
  started_at      BIGINT NOT NULL DEFAULT 0,
  finished_at     BIGINT NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX runs_idempotency ON runs (workflow_id, idempotency_key) WHERE idempotency_key <> '';
CREATE INDEX runs_workflow ON runs (workflow, id);
CREATE INDEX runs_state ON runs (state, id);
CREATE INDEX runs_created ON runs (created_at);

CREATE TABLE tasks (
  id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  run_id       BIGINT NOT NULL REFERENCES runs (id),
  idx          BIGINT NOT NULL,
  name         TEXT NOT NULL,
  state        TEXT NOT NULL,
  reason       TEXT NOT NULL DEFAULT '',
  grp          TEXT NOT NULL,
  cu           DOUBLE PRECISION NOT NULL,
  priority     BIGINT NOT NULL DEFAULT 0,
  run_priority BIGINT NOT NULL DEFAULT 0,
  needs_total  BIGINT NOT NULL,
  needs_done   BIGINT NOT NULL DEFAULT 0,
  attempts     BIGINT NOT NULL DEFAULT 0,
  lost         BIGINT NOT NULL DEFAULT 0,
  attempt_id   BIGINT NOT NULL DEFAULT 0,
  avoid_worker TEXT NOT NULL DEFAULT '',
  avoid_zone   TEXT NOT NULL DEFAULT '',
  outputs      TEXT NOT NULL DEFAULT '',
  ready_at     BIGINT NOT NULL DEFAULT 0,
  created_at   BIGINT NOT NULL,
  started_at   BIGINT NOT NULL DEFAULT 0,
  finished_at  BIGINT NOT NULL DEFAULT 0,
  UNIQUE (run_id, idx)
);
CREATE INDEX tasks_queue ON tasks (grp, run_priority DESC, priority DESC, id) WHERE state = 'queued';
CREATE INDEX tasks_retry ON tasks (ready_at) WHERE state = 'retry_wait';

CREATE TABLE attempts (
  id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  task_id       BIGINT NOT NULL REFERENCES tasks (id),
  run_id        BIGINT NOT NULL,
  task          TEXT NOT NULL,
  number        BIGINT NOT NULL,
  state         TEXT NOT NULL,
  reason        TEXT NOT NULL DEFAULT '',
  worker_id     TEXT NOT NULL,
  zone          TEXT NOT NULL DEFAULT '',
  exit_code     BIGINT NOT NULL DEFAULT 0,
  dispatched_at BIGINT NOT NULL,
  started_at    BIGINT NOT NULL DEFAULT 0,
  finished_at   BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX attempts_task ON attempts (task_id, number);
CREATE INDEX attempts_run ON attempts (run_id);
CREATE INDEX attempts_live ON attempts (worker_id) WHERE state IN ('dispatched', 'running');

CREATE TABLE workers (
  id               TEXT PRIMARY KEY,
  name             TEXT NOT NULL,
  zone             TEXT NOT NULL,
  grp              TEXT NOT NULL,
  labels           TEXT NOT NULL DEFAULT '{}',
  capacity         DOUBLE PRECISION NOT NULL,
  state            TEXT NOT NULL,
  version          TEXT NOT NULL DEFAULT '',
  lease_expires_at BIGINT NOT NULL,
  registered_at    BIGINT NOT NULL,
  last_seen_at     BIGINT NOT NULL
);
CREATE INDEX workers_live ON workers (lease_expires_at) WHERE state IN ('active', 'draining');

CREATE TABLE events (
  id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at         BIGINT NOT NULL,
  kind       TEXT NOT NULL,
  actor      TEXT NOT NULL,
  run_id     BIGINT NOT NULL DEFAULT 0,
  task_id    BIGINT NOT NULL DEFAULT 0,
  task       TEXT NOT NULL DEFAULT '',
  attempt_id BIGINT NOT NULL DEFAULT 0,
  worker_id  TEXT NOT NULL DEFAULT '',
  old_state  TEXT NOT NULL DEFAULT '',
  new_state  TEXT NOT NULL DEFAULT '',
  reason     TEXT NOT NULL DEFAULT ''
);
CREATE INDEX events_run ON events (run_id, id) WHERE run_id <> 0;

CREATE TABLE logs (
  id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  attempt_id BIGINT NOT NULL,
  seq        BIGINT NOT NULL,
  stream     TEXT NOT NULL,
  at         BIGINT NOT NULL,
  data       TEXT NOT NULL,
  UNIQUE (attempt_id, seq)
);

-- +goose Down
DROP TABLE logs;
DROP TABLE events;
DROP TABLE workers;
DROP TABLE attempts;
DROP TABLE tasks;
DROP TABLE runs;
DROP TABLE workflow_versions;
DROP TABLE workflows;
DROP FUNCTION baton_now();
