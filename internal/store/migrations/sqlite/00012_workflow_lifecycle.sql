-- +goose Up
-- Workflow lifecycle: a disabled workflow's schedules do not fire and its
-- runs cannot be started; a deleted workflow (deleted_at, ms) is gone from
-- lists and look-ups, its schedules with it, while its runs stay as history.
-- Applying its name again brings the row back with a new version.
ALTER TABLE workflows ADD COLUMN disabled BOOLEAN NOT NULL DEFAULT false;
ALTER TABLE workflows ADD COLUMN deleted_at BIGINT NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE workflows DROP COLUMN deleted_at;
ALTER TABLE workflows DROP COLUMN disabled;
