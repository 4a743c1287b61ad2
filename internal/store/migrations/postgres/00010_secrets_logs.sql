-- +goose Up
-- Secrets, encrypted by the servers (package secrets): the id of the key
-- that sealed each value, its nonce and ciphertext (base64). Values never
-- appear in any other table.
CREATE TABLE secrets (
  name       TEXT PRIMARY KEY,
  key_id     TEXT NOT NULL,
  nonce      TEXT NOT NULL,
  ciphertext TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  created_by TEXT NOT NULL DEFAULT '',
  updated_at BIGINT NOT NULL,
  updated_by TEXT NOT NULL DEFAULT ''
);

-- What is kept of each attempt's output (max_log_bytes): the head, whole,
-- up to half the cap; past it the chunk at head_seq ends with a marker
-- line, and only the latest chunks (from tail_from on, tail_bytes in all)
-- are kept. last_seq is the highest chunk seen, so that a batch of new
-- chunks needs no look-up for ones stored already.
CREATE TABLE log_stats (
  attempt_id BIGINT PRIMARY KEY,
  head_bytes BIGINT NOT NULL DEFAULT 0,
  head_seq   BIGINT NOT NULL DEFAULT 0,
  tail_bytes BIGINT NOT NULL DEFAULT 0,
  tail_from  BIGINT NOT NULL DEFAULT 0,
  last_seq   BIGINT NOT NULL DEFAULT 0,
  dropped    BIGINT NOT NULL DEFAULT 0
);
ALTER TABLE logs ADD COLUMN size BIGINT NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE logs DROP COLUMN size;
DROP TABLE log_stats;
DROP TABLE secrets;
