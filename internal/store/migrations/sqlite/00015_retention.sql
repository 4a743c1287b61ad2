-- +goose Up
-- Retention: the loop that deletes finished runs past their age looks them
-- up per workflow, oldest finished first, among runs that are not
-- sub-workflow runs (those go with their parent); and the audit events not
-- tied to a run by their time. Rows enter these indexes only when a run
-- finishes and for the few events without a run, so the hot path pays
-- nothing for them.
CREATE INDEX runs_retention ON runs (workflow_id, finished_at, id) WHERE parent_run_id = 0 AND finished_at > 0;
CREATE INDEX events_audit ON events (at, id) WHERE run_id = 0;
-- Deleting a task checks that no attempt names it (the foreign key): with
-- no index on attempts.task_id that check reads every attempt, for each
-- task deleted. The column never changes, so the index costs an insert
-- per attempt and leaves its updates as cheap as they were.
CREATE INDEX attempts_task ON attempts (task_id);

-- +goose Down
DROP INDEX attempts_task;
DROP INDEX events_audit;
DROP INDEX runs_retention;
