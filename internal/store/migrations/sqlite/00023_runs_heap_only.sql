-- +goose Up
-- Retention finds expired runs by their creation, as on PostgreSQL (see its
-- 00023): the same query and cursor in both dialects.
DROP INDEX runs_retention;
CREATE INDEX runs_retention ON runs (workflow_id, created_at, id) WHERE parent_run_id = 0;

-- +goose Down
DROP INDEX runs_retention;
CREATE INDEX runs_retention ON runs (workflow_id, finished_at, id) WHERE parent_run_id = 0 AND finished_at > 0;
