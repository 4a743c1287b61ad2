-- +goose Up
-- PostgreSQL moves the state-dependent indexes of tasks and attempts to
-- narrow tables (task_queue, live_attempts) so that state changes are
-- heap-only there. SQLite has no heap-only updates: its schema stays, and
-- this migration keeps both dialects at the same version.
SELECT 1;

-- +goose Down
SELECT 1;
