// Package worker is the worker agent that `baton worker` runs: it registers
// with the servers, keeps its lease with heartbeats, long-polls for
// attempts, runs each one as a shell command in its own process group
// under a small shim process, streams the output, and reports how each
// attempt started and ended. It talks to servers only over HTTP, through
// package client, and never to the database.
//
// # Loops
//
// An Agent runs, between Start and Stop:
//
//   - the session loop (heartbeat.go): register (retrying until a server
//     answers), then heartbeat every HeartbeatInterval with the running
//     attempt IDs; kill what the answer lists; follow the draining state;
//     on 410 Gone kill everything and register again under a new ID;
//   - the lease watchdog (lease.go): self-fencing, below;
//   - the claim loop (claim.go): long-poll for as many attempts as there is
//     room for (MaxTasks, free CU), only while the lease is valid and the
//     worker is neither draining nor stopping;
//   - the reporter (reporter.go) and the log shipper (logs.go): batch and
//     deliver start/finish reports and output chunks, keeping whatever was
//     not acknowledged and retrying with backoff (reports on two batches
//     in flight at once, an attempt's reports in order);
//   - one goroutine per attempt (attempt.go, executor.go).
//
// # An attempt on the worker
//
//	claimed ──lease valid──▶ starting ──shim started──▶ running ──exit──▶ exited
//	   │                        │        (start report)    │                │
//	   │ stopping / no lease    │ cannot start             │ kill           │ outputs read,
//	   ▼                        ▼                          ▼                │ logs flushed
//	finish lost / fenced     finish failed       SIGTERM, SIGKILL after     ▼
//	(never started)                              KillGrace; or SIGKILL   finish report
//
// The finish report says, by what ended the attempt:
//
//	exit code 0                       succeeded (with the outputs)
//	exit code n / signal n            failed ("exit status n", "killed by signal n")
//	Assignment.Timeout passed         timed_out (SIGTERM, SIGKILL after KillGrace)
//	the worker's lease ran out        fenced    (SIGKILL, by the agent or its shim)
//	Stop after ShutdownGrace          lost      ("worker shut down": requeued at once)
//	the heartbeat's Preempt list      cancelled (SIGTERM, SIGKILL after KillGrace;
//	                                             the task is requeued elsewhere)
//	the servers said it is not live   nothing   (409 on a report or logs, the
//	                                             heartbeat's Kill list, 410 Gone)
//
// The first of these causes is the one reported: an attempt the worker
// fenced is reported fenced when it reconnects even though the servers
// have moved the task on meanwhile; they refuse the report (409), which
// records the late report in the audit trail.
//
// A finish report is made after the attempt's last output chunk was
// delivered, and kept until a server answered it (200 accepted or 409
// fenced): a worker cut off from the servers delivers its results when it
// reconnects.
//
// # Containment
//
// Each task runs as `<Shim> -ppid <agent pid> -lease <d> -- /bin/sh -c
// <command>`. The shim (ShimMain) leads a new process group, runs the shell
// as its child in that group, and kills the whole group with SIGKILL when
// the agent dies (parent-death signal, or EOF on its control pipe), when
// its lease runs out without renewal, or when the shell exits (leftover
// background jobs). The agent signals the whole group, so a timeout or a
// kill reaches grandchildren too. Only a process that leaves the group on
// purpose (setsid, setpgid) escapes; cgroups would be needed to hold it.
//
// # Self-fencing timeline
//
// The servers renew the lease when a heartbeat arrives and hand the
// worker's attempts to others once it expired (LeaseTTL) and a sweep saw
// it. The agent only knows when it sent its last successful heartbeat, an
// instant before the servers renewed, so it trusts its lease until
//
//	deadline = sent + LeaseTTL − margin,   margin = max(LeaseTTL/5, 200ms)
//
// With the defaults (TTL 3s, heartbeat 1s):
//
//	t=0      heartbeat sent, answered: the lease runs to t=3s on the servers
//	t=1,2    heartbeats fail (partition, servers down, agent stopped)
//	t=2.4    local deadline: the agent SIGKILLs its tasks' groups, stops
//	         claiming; each shim, told the deadline after every renewal,
//	         kills its group by itself at the same time, so a SIGSTOPped
//	         or hung agent's tasks stop too
//	t=3      the servers' lease expires; the next sweep marks the attempts
//	         lost and the tasks run again elsewhere
//	later    a heartbeat gets through: the agent reports the killed attempts
//	         as fenced (refused with 409 if already superseded), or on 410
//	         Gone registers again
//
// So two attempts of one task never overlap, as long as clocks run at the
// same rate and the agent notices the deadline within the margin.
package worker
