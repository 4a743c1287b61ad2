-- +goose Up
-- Alert channels: webhooks subscribed to event kinds ("run.failed", or a
-- prefix "zone.*"), events a comma-separated list.
CREATE TABLE alert_channels (
  name       TEXT PRIMARY KEY,
  url        TEXT NOT NULL,
  secret     TEXT NOT NULL DEFAULT '',
  events     TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);

-- The outbox: one row per alert to deliver, written in the transaction of
-- its event, deleted once a channel accepted it. A delivery leases its
-- rows (next_at moved on) so that none is lost to a crash mid-send, and an
-- alert may be sent twice but keeps its alert_id.
CREATE TABLE alert_outbox (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  alert_id   TEXT NOT NULL UNIQUE,
  channel    TEXT NOT NULL,
  kind       TEXT NOT NULL,
  payload    TEXT NOT NULL,
  state      TEXT NOT NULL DEFAULT 'pending',
  attempts   BIGINT NOT NULL DEFAULT 0,
  next_at    BIGINT NOT NULL,
  last_error TEXT NOT NULL DEFAULT '',
  created_at BIGINT NOT NULL
);
CREATE INDEX alert_outbox_due ON alert_outbox (next_at) WHERE state = 'pending';

-- +goose Down
DROP TABLE alert_outbox;
DROP TABLE alert_channels;
