-- +goose Up
-- A live attempt lives on its task's row; ended attempts are rows of
-- ended_attempts, written once, when they end; the view attempts reads
-- both (see PostgreSQL's 00024). A dispatch takes its ID from the
-- table's AUTOINCREMENT counter (sqlite_sequence), so that ended rows,
-- written with their IDs, and rows inserted without one never meet an ID
-- twice.
ALTER TABLE tasks ADD COLUMN worker_id TEXT NOT NULL DEFAULT '';
ALTER TABLE tasks ADD COLUMN zone TEXT NOT NULL DEFAULT '';
ALTER TABLE tasks ADD COLUMN dispatched_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE tasks ADD COLUMN attempt_started_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE tasks ADD COLUMN timeout_ms BIGINT NOT NULL DEFAULT 0;
ALTER TABLE tasks ADD COLUMN stop_requested BOOLEAN NOT NULL DEFAULT false;

UPDATE tasks
SET worker_id = (SELECT a.worker_id FROM attempts a WHERE a.id = tasks.attempt_id),
    zone = (SELECT a.zone FROM attempts a WHERE a.id = tasks.attempt_id),
    dispatched_at = (SELECT a.dispatched_at FROM attempts a WHERE a.id = tasks.attempt_id),
    attempt_started_at = (SELECT a.started_at FROM attempts a WHERE a.id = tasks.attempt_id),
    timeout_ms = (SELECT a.timeout_ms FROM attempts a WHERE a.id = tasks.attempt_id),
    stop_requested = (SELECT a.stop_requested FROM attempts a WHERE a.id = tasks.attempt_id)
WHERE state = 'running' AND attempt_id IN (SELECT id FROM attempts WHERE state IN ('dispatched', 'running'));
DELETE FROM attempts
WHERE state IN ('dispatched', 'running') AND id IN (SELECT attempt_id FROM tasks WHERE state = 'running');
UPDATE attempts SET state = 'lost', reason = 'its task no longer ran under it', finished_at = baton_now()
WHERE state IN ('dispatched', 'running');

DROP INDEX attempts_live;
ALTER TABLE attempts RENAME TO ended_attempts;
INSERT INTO sqlite_sequence (name, seq)
SELECT 'ended_attempts', COALESCE((SELECT MAX(attempt_id) FROM tasks), 0)
WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'ended_attempts');
CREATE INDEX tasks_live ON tasks (worker_id) WHERE state = 'running';
CREATE INDEX tasks_attempt ON tasks (attempt_id) WHERE state = 'running';

CREATE VIEW live_attempts AS
SELECT t.attempt_id AS id, t.id AS task_id, t.run_id, t.name AS task, t.attempts AS number,
       CAST(CASE WHEN t.attempt_started_at = 0 THEN 'dispatched' ELSE 'running' END AS TEXT) AS state,
       CAST('' AS TEXT) AS reason, t.worker_id, t.zone, CAST(0 AS BIGINT) AS exit_code, t.dispatched_at,
       t.attempt_started_at AS started_at, CAST(0 AS BIGINT) AS finished_at, t.stop_requested, t.timeout_ms
FROM tasks t
WHERE t.state = 'running' AND NOT EXISTS (SELECT 1 FROM ended_attempts e WHERE e.id = t.attempt_id);

CREATE VIEW attempts AS
SELECT id, task_id, run_id, task, number, state, reason, worker_id, zone, exit_code, dispatched_at, started_at,
       finished_at, stop_requested, timeout_ms
FROM ended_attempts
UNION ALL
SELECT id, task_id, run_id, task, number, state, reason, worker_id, zone, exit_code, dispatched_at, started_at,
       finished_at, stop_requested, timeout_ms
FROM live_attempts;

-- +goose Down
DROP VIEW attempts;
INSERT INTO ended_attempts (id, task_id, run_id, task, number, state, reason, worker_id, zone, exit_code,
                            dispatched_at, started_at, finished_at, stop_requested, timeout_ms)
SELECT id, task_id, run_id, task, number, state, reason, worker_id, zone, exit_code, dispatched_at,
       started_at, finished_at, stop_requested, timeout_ms
FROM live_attempts;
DROP VIEW live_attempts;
DROP INDEX tasks_attempt;
DROP INDEX tasks_live;
ALTER TABLE ended_attempts RENAME TO attempts;
CREATE INDEX attempts_live ON attempts (worker_id) WHERE state IN ('dispatched', 'running');
ALTER TABLE tasks DROP COLUMN stop_requested;
ALTER TABLE tasks DROP COLUMN timeout_ms;
ALTER TABLE tasks DROP COLUMN attempt_started_at;
ALTER TABLE tasks DROP COLUMN dispatched_at;
ALTER TABLE tasks DROP COLUMN zone;
ALTER TABLE tasks DROP COLUMN worker_id;
