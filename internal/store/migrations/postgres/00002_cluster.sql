-- +goose Up
-- Zones: the recorded health (computed from worker liveness by the zone
-- monitor) and the operator's cordon.
CREATE TABLE zones (
  name       TEXT PRIMARY KEY,
  state      TEXT NOT NULL DEFAULT 'healthy',
  cordoned   BOOLEAN NOT NULL DEFAULT false,
  reason     TEXT NOT NULL DEFAULT '',
  changed_at BIGINT NOT NULL
);

-- Leader leases: a holder and a term, renewed against the database clock.
-- They only spread loop work; correctness never depends on them.
CREATE TABLE leader_leases (
  name       TEXT PRIMARY KEY,
  holder     TEXT NOT NULL,
  term       BIGINT NOT NULL,
  expires_at BIGINT NOT NULL
);

-- Marks of background loops: when the last sweep ran, so that a sweep after
-- an outage of every server or of the database extends live leases instead
-- of declaring every worker lost.
CREATE TABLE loop_marks (
  name TEXT PRIMARY KEY,
  at   BIGINT NOT NULL
);
INSERT INTO loop_marks (name, at) VALUES ('sweep', 0);

-- An operator asked the attempt's worker to stop it so that its task moves
-- elsewhere (drain --reschedule). The attempt stays live until the worker
-- reports it stopped, so it never overlaps its successor.
ALTER TABLE attempts ADD COLUMN stop_requested BOOLEAN NOT NULL DEFAULT false;

-- Placement constraints of a task: labels is a JSON object of worker labels
-- it requires ('' for none); zones_allow and zones_deny are zone lists
-- written ',a,b,' ('' for none). preempted counts attempts an operator
-- moved elsewhere: they count neither as failures nor as losses.
ALTER TABLE tasks ADD COLUMN labels TEXT NOT NULL DEFAULT '';
ALTER TABLE tasks ADD COLUMN zones_allow TEXT NOT NULL DEFAULT '';
ALTER TABLE tasks ADD COLUMN zones_deny TEXT NOT NULL DEFAULT '';
ALTER TABLE tasks ADD COLUMN preempted BIGINT NOT NULL DEFAULT 0;

-- Zone and worker events name their zone.
ALTER TABLE events ADD COLUMN zone TEXT NOT NULL DEFAULT '';

CREATE INDEX workers_zone ON workers (zone, state);

-- Nothing looks attempts up by task: the index only cost writes.
DROP INDEX attempts_task;

-- Lists filter runs by creation time and state along their ID order,
-- newest first, where the runs asked for mostly are: without an index on
-- state, the update that finishes a run touches no index (HOT) when its
-- page has room, which the fill factor keeps.
DROP INDEX runs_created;
DROP INDEX runs_state;
ALTER TABLE runs SET (fillfactor = 50);
-- A task is updated twice after its insert (claimed, ended), an attempt
-- once or twice: room on the page keeps each new version beside the old
-- one, so an update dirties one page, and needs no extra lock record.
ALTER TABLE tasks SET (fillfactor = 50);
ALTER TABLE attempts SET (fillfactor = 60);

-- The engine writes every reference together with what it refers to, in
-- one transaction; the foreign keys of the hot tables only cost a row lock
-- (and a WAL record) on the referenced row per insert, all runs of a
-- workflow locking the same workflow row.
ALTER TABLE runs DROP CONSTRAINT runs_workflow_id_fkey;
ALTER TABLE runs DROP CONSTRAINT runs_version_id_fkey;
ALTER TABLE tasks DROP CONSTRAINT tasks_run_id_fkey;
ALTER TABLE attempts DROP CONSTRAINT attempts_task_id_fkey;

-- +goose Down
ALTER TABLE attempts ADD FOREIGN KEY (task_id) REFERENCES tasks (id);
ALTER TABLE tasks ADD FOREIGN KEY (run_id) REFERENCES runs (id);
ALTER TABLE runs ADD FOREIGN KEY (version_id) REFERENCES workflow_versions (id);
ALTER TABLE runs ADD FOREIGN KEY (workflow_id) REFERENCES workflows (id);
ALTER TABLE runs RESET (fillfactor);
ALTER TABLE tasks RESET (fillfactor);
ALTER TABLE attempts RESET (fillfactor);
CREATE INDEX runs_state ON runs (state, id);
CREATE INDEX runs_created ON runs (created_at);
CREATE INDEX attempts_task ON attempts (task_id, number);
DROP INDEX workers_zone;
ALTER TABLE events DROP COLUMN zone;
ALTER TABLE tasks DROP COLUMN preempted;
ALTER TABLE tasks DROP COLUMN zones_deny;
ALTER TABLE tasks DROP COLUMN zones_allow;
ALTER TABLE tasks DROP COLUMN labels;
ALTER TABLE attempts DROP COLUMN stop_requested;
DROP TABLE loop_marks;
DROP TABLE leader_leases;
DROP TABLE zones;
