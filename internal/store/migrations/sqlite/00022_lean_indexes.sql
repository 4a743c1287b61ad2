-- +goose Up
-- PostgreSQL drops attempts_task and narrows events_run to the rows of one
-- event in this migration. SQLite keeps both as they are: its attempts
-- keep their foreign key to tasks, whose check when a task is deleted
-- reads attempts_task.
SELECT 1;

-- +goose Down
SELECT 1;
