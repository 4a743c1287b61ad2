-- +goose Up
-- start_requests records each run start request that came with an
-- Idempotency-Key header, once per workflow and key, in the transaction
-- that started its runs: a repeat of the request returns the same runs
-- and starts nothing. body_hash is the SHA-256 of the request (its runs
-- and its caller), so that the key reused for another request is refused.
-- run_ids lists the IDs of the answer's runs in order, each as its
-- difference to the one before (store.EncodeRunIDs). Rows older than the
-- retention of request keys (24 h by default) are deleted by the
-- retention loop, through start_requests_created.
CREATE TABLE start_requests (
  workflow_id BIGINT NOT NULL,
  request_key TEXT NOT NULL,
  body_hash   TEXT NOT NULL,
  run_ids     TEXT NOT NULL,
  created_at  BIGINT NOT NULL,
  PRIMARY KEY (workflow_id, request_key)
);
CREATE INDEX start_requests_created ON start_requests (created_at);

-- +goose Down
DROP INDEX start_requests_created;
DROP TABLE start_requests;
