-- +goose Up
-- A run's finishing update changes its state and finish time. While an
-- index named either (runs_retention by its key, runs_succeeded by its
-- predicate) that update wrote a new entry in every index of runs; now
-- none does, so it can stay heap-only. Retention finds expired runs by
-- their start (a run finishes after it is created, so one that finished
-- before the cut was created before it) and checks the finish on the row;
-- wait tasks find a succeeded run by its logical time and check the
-- state on the row.
DROP INDEX runs_retention;
DROP INDEX runs_succeeded;
CREATE INDEX runs_retention ON runs (workflow_id, created_at, id) WHERE parent_run_id = 0;
CREATE INDEX runs_logical ON runs (workflow, scheduled_at, created_at);

-- +goose Down
DROP INDEX runs_logical;
DROP INDEX runs_retention;
CREATE INDEX runs_succeeded ON runs (workflow, scheduled_at, created_at) WHERE state = 'succeeded';
CREATE INDEX runs_retention ON runs (workflow_id, finished_at, id) WHERE parent_run_id = 0 AND finished_at > 0;
