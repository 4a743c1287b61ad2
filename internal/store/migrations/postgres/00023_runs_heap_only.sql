-- +goose NO TRANSACTION
-- +goose Up
-- A run's finishing update changes its state and finish time. While an
-- index named either (runs_retention by its key, runs_succeeded by its
-- predicate) that update wrote a new entry in every index of runs; now
-- none does, so it can stay heap-only. Retention finds expired runs by
-- their creation (a run finishes after it is created, so one that
-- finished before the cut was created before it) and checks the finish
-- on the row; wait tasks find a succeeded run by its logical time and
-- check the state on the row. Built and dropped concurrently: runs may be
-- large, and starts and reports write it. A run of this migration that
-- died part way may have left either new index half built (invalid), so
-- a rerun builds both afresh.
DROP INDEX CONCURRENTLY IF EXISTS runs_retention_created;
DROP INDEX CONCURRENTLY IF EXISTS runs_logical;
CREATE INDEX CONCURRENTLY IF NOT EXISTS runs_retention_created ON runs (workflow_id, created_at, id) WHERE parent_run_id = 0;
CREATE INDEX CONCURRENTLY IF NOT EXISTS runs_logical ON runs (workflow, scheduled_at, created_at);
DROP INDEX CONCURRENTLY IF EXISTS runs_retention;
ALTER INDEX runs_retention_created RENAME TO runs_retention;
DROP INDEX CONCURRENTLY IF EXISTS runs_succeeded;

-- +goose Down
DROP INDEX IF EXISTS runs_logical;
DROP INDEX IF EXISTS runs_retention;
CREATE INDEX IF NOT EXISTS runs_succeeded ON runs (workflow, scheduled_at, created_at) WHERE state = 'succeeded';
CREATE INDEX IF NOT EXISTS runs_retention ON runs (workflow_id, finished_at, id) WHERE parent_run_id = 0 AND finished_at > 0;
