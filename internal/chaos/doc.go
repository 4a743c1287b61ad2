// Package chaos runs Baton clusters as real processes on loopback and
// injects faults into them, so that tests and users' failover scenarios
// (`baton chaos run`, docs/chaos.md) check the contract of DESIGN.md
// section 1 against the real thing.
//
// A Cluster is N `baton server` processes sharing one PostgreSQL database
// and any number of `baton worker` processes in zones. Each worker talks to
// each server through its own in-process TCP proxy (a Link, built on
// toxiproxy), so one worker, or all the workers of a zone, can be cut off
// from the servers while the rest of the cluster goes on:
//
//	worker a1 ──link──┐
//	worker a1 ──link──┼──▶ server 1 ──┐
//	worker b1 ──link──┤               ├──▶ PostgreSQL
//	worker b1 ──link──┴──▶ server 2 ──┘
//
// Processes are killed (SIGKILL), frozen (SIGSTOP) and thawed (SIGCONT)
// with real signals; Postgres can be a private instance the harness owns,
// so it can be restarted without disturbing anything else on the machine.
//
// Tasks that should leave evidence use WitnessCommand: they append start,
// tick and end lines with their attempt ID and the time to a witness file,
// which ReadWitness turns into the spans each attempt really ran, so that
// two attempts of one task running at once are visible however the
// servers saw it.
//
// A Scenario (scenario.go; read and checked whole by LoadScenario,
// scenario_parse.go and fault_parse.go) describes a cluster, a workload,
// a fault timeline and expectations. Run (runner.go) carries it out:
//
//	load + check the file ──▶ database (throwaway, given, or private)
//	  ──▶ servers, alert webhook, workers ──▶ apply workflows, each task
//	      wrapped to write the witness (workload.go)
//	  ──▶ timeline: runs started at their rates, faults at their times
//	      or conditions (faults.go) ──▶ restore ──▶ pause schedules
//	  ──▶ settle (every run ended) ──▶ gather evidence (evidence.go)
//	  ──▶ checks (checks.go, checks_time.go) ──▶ Report (report.go)
package chaos
