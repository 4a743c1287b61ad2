-- +goose Up
-- Credentials (package auth): API tokens (kind api), worker join tokens
-- (kind join) and the per-worker credentials registrations issue (kind
-- worker, bound to worker_id). Only the SHA-256 hash of a secret is kept.
-- scope is what the grant covers ("*": all workflows). zones and
-- worker_groups (comma-separated, '' for any) bound a join token.
-- Times are milliseconds; 0 means never (expires_at, revoked_at,
-- last_used_at).
CREATE TABLE tokens (
  id BIGSERIAL PRIMARY KEY,
  name          TEXT NOT NULL UNIQUE,
  kind          TEXT NOT NULL DEFAULT 'api',
  hash          TEXT NOT NULL UNIQUE,
  role          TEXT NOT NULL,
  scope         TEXT NOT NULL DEFAULT '*',
  zones         TEXT NOT NULL DEFAULT '',
  worker_groups TEXT NOT NULL DEFAULT '',
  worker_id     TEXT NOT NULL DEFAULT '',
  expires_at    BIGINT NOT NULL DEFAULT 0,
  revoked_at    BIGINT NOT NULL DEFAULT 0,
  last_used_at  BIGINT NOT NULL DEFAULT 0,
  created_by    TEXT NOT NULL DEFAULT '',
  created_at    BIGINT NOT NULL
);
CREATE INDEX tokens_worker ON tokens (worker_id);

-- +goose Down
DROP TABLE tokens;
