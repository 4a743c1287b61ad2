-- +goose Up
-- Sub-workflows: a child run remembers the task (and its run) that
-- started it, so that its end finishes that task's attempt and the
-- parent's cancel and pause reach it.
ALTER TABLE runs ADD COLUMN parent_run_id BIGINT NOT NULL DEFAULT 0;
ALTER TABLE runs ADD COLUMN parent_task_id BIGINT NOT NULL DEFAULT 0;
CREATE INDEX runs_parent ON runs (parent_run_id, parent_task_id, id) WHERE parent_run_id <> 0;

-- +goose Down
DROP INDEX runs_parent;
ALTER TABLE runs DROP COLUMN parent_task_id;
ALTER TABLE runs DROP COLUMN parent_run_id;
