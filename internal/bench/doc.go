// Package bench measures Baton on a fresh database, as `baton bench` and
// `make bench` run it: sustained throughput through the whole protocol
// (noop and shell tasks, per window so that decay shows), the raw queue
// lifecycle of the same database as a baseline, DAG latency (a 1 → 1000 →
// 1 fan-out and a 100-task chain), dispatch latency at low load and at half
// the peak beside a bare commit's latency, schedule lateness, a large
// backlog, API reads over a large history, a fleet of heartbeating
// workers against one server process, and failover time.
//
// Everything but the baseline goes through Baton as users and workers do:
// an in-process server on a loopback port, runs started through the HTTP
// API, and worker agents speaking the worker protocol over HTTP. The
// baseline speaks SQL to the database directly, on purpose: it measures
// what this database can do right now, without Baton, so that results can
// be read as a ratio to it.
package bench
