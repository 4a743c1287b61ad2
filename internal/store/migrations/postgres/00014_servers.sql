-- +goose Up
-- The servers registry: every server records itself at start and its
-- commit probe refreshes last_seen_at (ms, database clock) every few
-- seconds, so the API, metrics and UI show every replica. Rows not seen
-- for a day are deleted.
CREATE TABLE servers (
  id           TEXT PRIMARY KEY,
  address      TEXT NOT NULL,
  zone         TEXT NOT NULL DEFAULT '',
  version      TEXT NOT NULL DEFAULT '',
  started_at   BIGINT NOT NULL,
  last_seen_at BIGINT NOT NULL,
  ready        BOOLEAN NOT NULL DEFAULT true
);

-- The overview reads the latest events of one kind (attempt.lost): an
-- index on (kind, id) serves it without a scan of the whole trail.
CREATE INDEX events_kind ON events (kind, id);

-- +goose Down
DROP INDEX events_kind;
DROP TABLE servers;
