-- +goose Up
-- Heap-only state changes. PostgreSQL makes an update heap-only (no new
-- index entries, little WAL) only when no column an index uses, in its
-- key or its predicate, changes. The indexes that found queued tasks,
-- retry waits, a slot's tasks and a worker's live attempts all named the
-- state, so no update of tasks or attempts was heap-only. They move to two
-- narrow tables that triggers keep equal to the state of the rows, on
-- every path that writes tasks or attempts (claims, reports, retries,
-- recovery, cancels, retention, migrate-store):
--
-- task_queue: a row per task that is queued or waiting to retry, and per
-- task of a slot that is running (it holds the slot): inserted when the
-- task gets there, deleted when it leaves.
-- live_attempts: a row per attempt that is dispatched or running.
--
-- Derived tables say so in their comment; migrate-store fills them
-- through the triggers instead of copying them.
CREATE TABLE task_queue (
    task_id      BIGINT PRIMARY KEY,
    state        TEXT   NOT NULL,
    grp          TEXT   NOT NULL,
    run_priority BIGINT NOT NULL,
    priority     BIGINT NOT NULL,
    slot         TEXT   NOT NULL,
    ready_at     BIGINT NOT NULL
);
COMMENT ON TABLE task_queue IS 'baton:derived from tasks by the trigger task_queue_sync';
CREATE INDEX task_queue_claim ON task_queue (grp, run_priority DESC, priority DESC, task_id) WHERE state = 'queued';
CREATE INDEX task_queue_retry ON task_queue (ready_at) WHERE state = 'retry_wait';
CREATE INDEX task_queue_slot ON task_queue (slot, state) WHERE slot <> '';

CREATE TABLE live_attempts (
    attempt_id BIGINT PRIMARY KEY,
    worker_id  TEXT   NOT NULL
);
COMMENT ON TABLE live_attempts IS 'baton:derived from attempts by the trigger live_attempts_sync';
CREATE INDEX live_attempts_worker ON live_attempts (worker_id);

-- Statement-level triggers over the statement's transition tables: one
-- set-based statement per statement on tasks or attempts (a claim of 25
-- tasks, a start of 100 runs), not a call per row.
-- +goose StatementBegin
CREATE FUNCTION task_queue_sync() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO task_queue (task_id, state, grp, run_priority, priority, slot, ready_at)
        SELECT id, state, grp, run_priority, priority, slot, ready_at FROM new_rows
        WHERE state IN ('queued', 'retry_wait') OR (state = 'running' AND slot <> '');
    ELSIF TG_OP = 'DELETE' THEN
        DELETE FROM task_queue q USING old_rows o
        WHERE q.task_id = o.id AND (o.state IN ('queued', 'retry_wait') OR (o.state = 'running' AND o.slot <> ''));
    ELSE
        WITH c AS (
            SELECT n.id, n.state, n.grp, n.run_priority, n.priority, n.slot, n.ready_at,
                   o.state IN ('queued', 'retry_wait') OR (o.state = 'running' AND o.slot <> '') AS was_in,
                   n.state IN ('queued', 'retry_wait') OR (n.state = 'running' AND n.slot <> '') AS is_in
            FROM old_rows o JOIN new_rows n ON n.id = o.id
            WHERE o.state IS DISTINCT FROM n.state
        ), gone AS (
            DELETE FROM task_queue q USING c WHERE q.task_id = c.id AND c.was_in AND NOT c.is_in
        ), moved AS (
            UPDATE task_queue q SET state = c.state, ready_at = c.ready_at
            FROM c WHERE q.task_id = c.id AND c.was_in AND c.is_in
        )
        INSERT INTO task_queue (task_id, state, grp, run_priority, priority, slot, ready_at)
        SELECT id, state, grp, run_priority, priority, slot, ready_at FROM c WHERE c.is_in AND NOT c.was_in;
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION live_attempts_sync() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO live_attempts (attempt_id, worker_id)
        SELECT id, worker_id FROM new_rows WHERE state IN ('dispatched', 'running');
    ELSIF TG_OP = 'DELETE' THEN
        DELETE FROM live_attempts l USING old_rows o
        WHERE l.attempt_id = o.id AND o.state IN ('dispatched', 'running');
    ELSE
        WITH c AS (
            SELECT n.id, n.worker_id, o.state IN ('dispatched', 'running') AS was_in,
                   n.state IN ('dispatched', 'running') AS is_in
            FROM old_rows o JOIN new_rows n ON n.id = o.id
            WHERE o.state IS DISTINCT FROM n.state
        ), gone AS (
            DELETE FROM live_attempts l USING c WHERE l.attempt_id = c.id AND c.was_in AND NOT c.is_in
        )
        INSERT INTO live_attempts (attempt_id, worker_id)
        SELECT id, worker_id FROM c WHERE c.is_in AND NOT c.was_in;
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER task_queue_insert AFTER INSERT ON tasks REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION task_queue_sync();
CREATE TRIGGER task_queue_update AFTER UPDATE ON tasks REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION task_queue_sync();
CREATE TRIGGER task_queue_delete AFTER DELETE ON tasks REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION task_queue_sync();

CREATE TRIGGER live_attempts_insert AFTER INSERT ON attempts REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION live_attempts_sync();
CREATE TRIGGER live_attempts_update AFTER UPDATE ON attempts REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION live_attempts_sync();
CREATE TRIGGER live_attempts_delete AFTER DELETE ON attempts REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION live_attempts_sync();

INSERT INTO task_queue (task_id, state, grp, run_priority, priority, slot, ready_at)
SELECT id, state, grp, run_priority, priority, slot, ready_at FROM tasks
WHERE state IN ('queued', 'retry_wait') OR (state = 'running' AND slot <> '');
INSERT INTO live_attempts (attempt_id, worker_id)
SELECT id, worker_id FROM attempts WHERE state IN ('dispatched', 'running');

DROP INDEX tasks_queue;
DROP INDEX tasks_retry;
DROP INDEX tasks_slot;
DROP INDEX attempts_live;

-- +goose Down
CREATE INDEX tasks_queue ON tasks (grp, run_priority DESC, priority DESC, id) WHERE state = 'queued';
CREATE INDEX tasks_retry ON tasks (ready_at) WHERE state = 'retry_wait';
CREATE INDEX tasks_slot ON tasks (slot, state) WHERE slot <> '';
CREATE INDEX attempts_live ON attempts (worker_id) WHERE state IN ('dispatched', 'running');
DROP TRIGGER live_attempts_delete ON attempts;
DROP TRIGGER live_attempts_update ON attempts;
DROP TRIGGER live_attempts_insert ON attempts;
DROP TRIGGER task_queue_delete ON tasks;
DROP TRIGGER task_queue_update ON tasks;
DROP TRIGGER task_queue_insert ON tasks;
DROP FUNCTION live_attempts_sync();
DROP FUNCTION task_queue_sync();
DROP TABLE live_attempts;
DROP TABLE task_queue;
