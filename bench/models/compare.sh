#!/usr/bin/env bash
# compare.sh [ROUNDS] [SECONDS] [MODEL...]: each model's lifecycle script
# (MODEL.sql) run by pgbench, 4 clients, on a fresh database, the models
# interleaved, ROUNDS times (default 3 rounds of 40 s; models current and
# on-task). A VACUUM of the hot tables every 10 s stands in for the
# leader's. CPU is the whole machine's busy time over the round (PostgreSQL
# and pgbench; keep the machine otherwise idle), WAL the database's.
# Needs bin/baton (make build) and PostgreSQL (PGHOST, PGUSER).
set -euo pipefail
cd "$(dirname "$0")"
rounds=${1:-3} secs=${2:-40}
shift 2 2>/dev/null || shift $#
models=("$@")
[ ${#models[@]} -eq 0 ] && models=(current on-task)
P="psql -X -Atq -h ${PGHOST:-127.0.0.1} -U ${PGUSER:-postgres}"
busy() { awk '/^cpu /{print $2+$3+$4+$7+$8}' /proc/stat; }
hz=$(getconf CLK_TCK)
printf "%-6s %-10s %10s %14s %10s\n" round model tasks/s "CPU µs/task" "WAL B/task"
for r in $(seq "$rounds"); do
  for m in "${models[@]}"; do
    db=baton_model_${m//-/_}
    ./schema.sh "$db" "$m"
    (while sleep 10; do $P -d "$db" -c "VACUUM (SKIP_LOCKED) tasks, attempts, runs" 2>/dev/null || true; done) &
    vac=$!
    w0=$($P -d "$db" -c "SELECT pg_current_wal_lsn()") b0=$(busy)
    pgbench -h "${PGHOST:-127.0.0.1}" -U "${PGUSER:-postgres}" -n -c 4 -j 2 -T "$secs" -f "$m.sql" "$db" >/dev/null
    b1=$(busy) w1=$($P -d "$db" -c "SELECT pg_current_wal_lsn()")
    kill $vac; wait $vac 2>/dev/null || true
    n=$($P -d "$db" -c "SELECT count(*) FROM attempts WHERE state = 'succeeded'")
    wal=$($P -d "$db" -c "SELECT pg_wal_lsn_diff('$w1', '$w0')")
    awk -v r="$r" -v m="$m" -v n="$n" -v w="$wal" -v b=$((b1 - b0)) -v hz="$hz" -v s="$secs" \
      'BEGIN { printf "%-6s %-10s %10.0f %14.1f %10.0f\n", r, m, n / s, b / hz / n * 1e6, w / n }'
    $P -c "DROP DATABASE $db"
  done
done
