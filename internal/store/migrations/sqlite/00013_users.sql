-- +goose Up
-- Local users (package auth): people who log in to the web UI with a name
-- and a password. password_hash is a PHC string (argon2id, its parameters
-- and salt); the password itself is never stored. disabled_at (ms, 0: not
-- disabled) refuses the user's logins; deleting a user removes the row, and
-- the events keep its history.
CREATE TABLE users (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name          TEXT NOT NULL UNIQUE,
  role          TEXT NOT NULL,
  password_hash TEXT NOT NULL,
  disabled_at   BIGINT NOT NULL DEFAULT 0,
  created_by    TEXT NOT NULL DEFAULT '',
  created_at    BIGINT NOT NULL,
  updated_at    BIGINT NOT NULL
);

-- Browser sessions are tokens of kind 'session'; subject is the principal
-- they stand for ('user:alice', 'token:ci'), so that deleting a user or
-- revoking a token ends its sessions on every server.
ALTER TABLE tokens ADD COLUMN subject TEXT NOT NULL DEFAULT '';
CREATE INDEX tokens_subject ON tokens (subject);

-- +goose Down
DROP INDEX tokens_subject;
ALTER TABLE tokens DROP COLUMN subject;
DROP TABLE users;
