-- +goose Up
-- Event triggers. trigger_subscriptions lists, for the latest version of
-- each workflow, the upstream workflow names whose succeeded runs start
-- one of its runs (on: workflow_succeeded); apply replaces a workflow's
-- rows.
CREATE TABLE trigger_subscriptions (
  upstream    TEXT NOT NULL,
  workflow_id BIGINT NOT NULL,
  PRIMARY KEY (upstream, workflow_id)
);
CREATE INDEX trigger_subscriptions_workflow ON trigger_subscriptions (workflow_id);

-- run_triggers records each event that started (or was to start) a run:
-- the unique (workflow_id, trigger_key) makes a trigger fire exactly once
-- per event ('run:<upstream run id>' for workflow_succeeded, 'webhook:...'
-- for a webhook call). context is the JSON the run's templates read as
-- trigger.* (the upstream run's params and outputs, or the webhook's
-- body); run_id is 0 when the event started nothing (reason says why).
CREATE TABLE run_triggers (
  id                INTEGER PRIMARY KEY AUTOINCREMENT,
  workflow_id       BIGINT NOT NULL,
  trigger_key       TEXT NOT NULL,
  kind              TEXT NOT NULL,
  run_id            BIGINT NOT NULL DEFAULT 0,
  upstream_run_id   BIGINT NOT NULL DEFAULT 0,
  upstream_workflow TEXT NOT NULL DEFAULT '',
  depth             BIGINT NOT NULL DEFAULT 0,
  context           TEXT NOT NULL DEFAULT '{}',
  reason            TEXT NOT NULL DEFAULT '',
  created_at        BIGINT NOT NULL,
  UNIQUE (workflow_id, trigger_key)
);
CREATE INDEX run_triggers_run ON run_triggers (run_id) WHERE run_id <> 0;
CREATE INDEX run_triggers_upstream ON run_triggers (upstream_run_id) WHERE upstream_run_id <> 0;

-- webhook_tokens holds the one webhook token of a workflow, as the SHA-256
-- of its secret (package auth); a new token replaces the old.
CREATE TABLE webhook_tokens (
  workflow_id BIGINT NOT NULL PRIMARY KEY,
  hash        TEXT NOT NULL UNIQUE,
  created_by  TEXT NOT NULL DEFAULT '',
  created_at  BIGINT NOT NULL
);

-- +goose Down
DROP TABLE webhook_tokens;
DROP INDEX run_triggers_upstream;
DROP INDEX run_triggers_run;
DROP TABLE run_triggers;
DROP INDEX trigger_subscriptions_workflow;
DROP TABLE trigger_subscriptions;
