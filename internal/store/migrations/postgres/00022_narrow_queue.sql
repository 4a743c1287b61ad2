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

-- +goose StatementBegin
CREATE FUNCTION task_queue_sync() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    was_in BOOLEAN := TG_OP <> 'INSERT' AND (OLD.state IN ('queued', 'retry_wait') OR (OLD.state = 'running' AND OLD.slot <> ''));
    is_in  BOOLEAN := TG_OP <> 'DELETE' AND (NEW.state IN ('queued', 'retry_wait') OR (NEW.state = 'running' AND NEW.slot <> ''));
BEGIN
    IF was_in AND is_in THEN
        UPDATE task_queue SET state = NEW.state, ready_at = NEW.ready_at WHERE task_id = NEW.id;
    ELSIF was_in THEN
        DELETE FROM task_queue WHERE task_id = OLD.id;
    ELSIF is_in THEN
        INSERT INTO task_queue (task_id, state, grp, run_priority, priority, slot, ready_at)
        VALUES (NEW.id, NEW.state, NEW.grp, NEW.run_priority, NEW.priority, NEW.slot, NEW.ready_at);
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION live_attempts_sync() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    was_in BOOLEAN := TG_OP <> 'INSERT' AND OLD.state IN ('dispatched', 'running');
    is_in  BOOLEAN := TG_OP <> 'DELETE' AND NEW.state IN ('dispatched', 'running');
BEGIN
    IF was_in AND NOT is_in THEN
        DELETE FROM live_attempts WHERE attempt_id = OLD.id;
    ELSIF is_in AND NOT was_in THEN
        INSERT INTO live_attempts (attempt_id, worker_id) VALUES (NEW.id, NEW.worker_id);
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

-- The WHEN clauses are evaluated without calling the functions: only
-- rows entering or leaving a tracked state pay for a call.
CREATE TRIGGER task_queue_insert AFTER INSERT ON tasks FOR EACH ROW
    WHEN (NEW.state IN ('queued', 'retry_wait') OR (NEW.state = 'running' AND NEW.slot <> ''))
    EXECUTE FUNCTION task_queue_sync();
CREATE TRIGGER task_queue_update AFTER UPDATE OF state ON tasks FOR EACH ROW
    WHEN (OLD.state IS DISTINCT FROM NEW.state
          AND (OLD.state IN ('queued', 'retry_wait') OR NEW.state IN ('queued', 'retry_wait')
               OR (NEW.slot <> '' AND (OLD.state = 'running' OR NEW.state = 'running'))))
    EXECUTE FUNCTION task_queue_sync();
CREATE TRIGGER task_queue_delete AFTER DELETE ON tasks FOR EACH ROW
    WHEN (OLD.state IN ('queued', 'retry_wait') OR (OLD.state = 'running' AND OLD.slot <> ''))
    EXECUTE FUNCTION task_queue_sync();

CREATE TRIGGER live_attempts_insert AFTER INSERT ON attempts FOR EACH ROW
    WHEN (NEW.state IN ('dispatched', 'running'))
    EXECUTE FUNCTION live_attempts_sync();
CREATE TRIGGER live_attempts_update AFTER UPDATE OF state ON attempts FOR EACH ROW
    WHEN ((OLD.state IN ('dispatched', 'running')) IS DISTINCT FROM (NEW.state IN ('dispatched', 'running')))
    EXECUTE FUNCTION live_attempts_sync();
CREATE TRIGGER live_attempts_delete AFTER DELETE ON attempts FOR EACH ROW
    WHEN (OLD.state IN ('dispatched', 'running'))
    EXECUTE FUNCTION live_attempts_sync();

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
