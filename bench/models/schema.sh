#!/usr/bin/env bash
# schema.sh DB MODEL: a fresh database DB with Baton's schema (bin/baton
# migrate), changed for MODEL:
#   current       as migrated
#   on-task       a live attempt kept on its task's row (worker, zone,
#                 dispatch time, timeout), found by worker (tasks_live) and
#                 by attempt ID (tasks_attempt); attempts holds ended
#                 attempts only, written once, so it loses attempts_live
#   on-task-2     on-task, with the attempt's state on the task too, so an
#                 attempt can end before its task does (two task updates)
set -euo pipefail
db=$1 model=$2
P="psql -X -q -v ON_ERROR_STOP=1 -h ${PGHOST:-127.0.0.1} -U ${PGUSER:-postgres}"
$P -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" 2>/dev/null
"$(dirname "$0")/../../bin/baton" migrate \
  --database "postgres://${PGUSER:-postgres}@${PGHOST:-127.0.0.1}:5432/$db?sslmode=disable" >/dev/null
case $model in
current) ;;
on-task | on-task-2)
  $P -d "$db" \
    -c "ALTER TABLE tasks ADD COLUMN worker_id TEXT NOT NULL DEFAULT '', ADD COLUMN zone TEXT NOT NULL DEFAULT '',
          ADD COLUMN dispatched_at BIGINT NOT NULL DEFAULT 0, ADD COLUMN timeout_ms BIGINT NOT NULL DEFAULT 0,
          ADD COLUMN attempt_state TEXT NOT NULL DEFAULT ''" \
    -c "CREATE INDEX tasks_live ON tasks (worker_id) WHERE state = 'running'" \
    -c "CREATE INDEX tasks_attempt ON tasks (attempt_id) WHERE state = 'running'" \
    -c "DROP INDEX attempts_live" -c "ALTER TABLE attempts SET (fillfactor = 100)" \
    -c "CREATE SEQUENCE attempt_ids" ;;
*) echo "unknown model $model" >&2; exit 2 ;;
esac
