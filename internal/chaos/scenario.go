package chaos

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/baton-sched/baton/internal/workflow"
)

// Scenario is a failover scenario: a cluster to start, the work to give
// it, the faults to inject on a timeline and what must hold afterwards.
// LoadScenario reads one from YAML (see docs/chaos.md) and checks it
// whole before anything starts.
type Scenario struct {
	// Name is the scenario's name (default: the file name without .yaml).
	Name        string
	Description string
	// File is the path the scenario was read from.
	File string
	// Short is true when the file's `short:` block was applied.
	Short    bool
	Cluster  ClusterSpec
	Database DatabaseSpec
	// WitnessTick is how often a running task appends a tick line to the
	// witness file (default 250ms).
	WitnessTick time.Duration
	Workload    []Load
	Faults      []Fault
	// Duration is the length of the timeline: schedules fire until then
	// and the cluster is restored after it. Zero: until the last fault and
	// the last run start are done.
	Duration time.Duration
	// Settle is how long after the timeline every run has to end.
	Settle time.Duration
	Expect Expect
}

// ClusterSpec is the topology and timing of the cluster.
type ClusterSpec struct {
	Servers int
	Timing  Timing
	// MaxLost is the servers' max_lost (0: Baton's default).
	MaxLost int
	Zones   []ZoneSpec
	// ServerOrder is the order in which workers list the servers:
	// "given" (every worker server 1, 2, ...: all start on server 1, the
	// default) or "spread" (worker i starts on server i mod N and goes
	// round). A zone's Servers overrides it for its workers.
	ServerOrder string
	// PlainHTTP (tls: false) runs the cluster without TLS, only to measure
	// what TLS costs; by default servers serve HTTPS and demand client
	// certificates from workers.
	PlainHTTP bool
	// WorkersCommit (workers_commit) is a commit of Baton's repository the
	// workers are built from, for a mixed-version cluster (old workers,
	// new servers); empty: the workers run the servers' binary.
	WorkersCommit string
}

// Server orders.
const (
	OrderGiven  = "given"
	OrderSpread = "spread"
)

// ZoneSpec is a zone and its identical workers.
type ZoneSpec struct {
	Name     string
	Workers  int
	Capacity float64
	Group    string
	Labels   map[string]string
	// Servers is the order (server numbers from 1) in which the zone's
	// workers list the servers; empty: the cluster's ServerOrder.
	Servers []int
}

// WorkerNames are the names of the zone's workers: the zone's name and
// 1, 2, ... ("a1", "a2"), with a dash when the zone's name ends in a
// digit ("eu-1-1").
func (z ZoneSpec) WorkerNames() []string {
	sep := ""
	if z.Name != "" && z.Name[len(z.Name)-1] >= '0' && z.Name[len(z.Name)-1] <= '9' {
		sep = "-"
	}
	names := make([]string, z.Workers)
	for i := range names {
		names[i] = fmt.Sprintf("%s%s%d", z.Name, sep, i+1)
	}
	return names
}

// DatabaseSpec says where the servers' PostgreSQL database comes from:
// DSN as given (emptied before the run: every table of its public schema
// dropped, so that each run starts from nothing; kept afterwards), or a throwaway database created on
// Admin and dropped afterwards, or a private PostgreSQL server the
// harness starts (needed to restart it).
type DatabaseSpec struct {
	DSN     string
	Admin   string
	Private bool
}

// Load is one item of the workload: runs of a workflow to start.
type Load struct {
	// Workflow is the file as written in the scenario; Path is where it
	// is, Definition what it holds (Name is the workflow's name).
	Workflow   string
	Path       string
	Definition *workflow.Definition
	// Runs is how many runs to start (0: only apply the workflow, e.g. for
	// its schedules).
	Runs int
	// Rate is runs started per second (0: all at once).
	Rate float64
	// At is when the first run starts, from the start of the timeline.
	At       time.Duration
	Priority int64
	Params   map[string]string
	Line     int
	// Batch is how many runs one request starts when Rate is 0 (default
	// 100, the servers' default max_runs_per_batch).
	Batch int
	// Tasks, when set, makes the workflow that many copies of its first
	// task (named NAME-1, NAME-2, ..., none waiting on another); As, when
	// set, renames it. Both let one file give workflows of any size.
	Tasks int
	As    string
	// Refused is the name of a limit the load's request must be refused
	// for (413 or 422, the problem naming it) with nothing stored: the
	// workflow is applied at At, on its own, and its Runs are started in
	// one request; one of the two must be refused.
	Refused string
}

// defaultBatch is Load.Batch's default.
const defaultBatch = 100

// FaultKind is what a fault does.
type FaultKind string

// The fault kinds.
const (
	FaultKill      FaultKind = "kill"      // SIGKILL
	FaultStop      FaultKind = "stop"      // SIGSTOP
	FaultCont      FaultKind = "cont"      // SIGCONT
	FaultRestart   FaultKind = "restart"   // stop (SIGTERM or SIGKILL) and start again
	FaultPartition FaultKind = "partition" // no byte through the target's links
	FaultLatency   FaultKind = "latency"   // delay on the target's links
	FaultLoss      FaultKind = "loss"      // a share of the target's packets lost (held back for a retransmission)

	// Operator actions, through the API as a person would.
	FaultCordon   FaultKind = "cordon"   // cordon a zone
	FaultUncordon FaultKind = "uncordon" // uncordon a zone
	FaultDrain    FaultKind = "drain"    // drain a zone or a worker
	FaultCancel   FaultKind = "cancel"   // cancel running runs of a workflow
	FaultPause    FaultKind = "pause"    // pause running runs of a workflow (resumed after for)
	FaultRerun    FaultKind = "rerun"    // rerun failed runs of a workflow
	FaultSlot     FaultKind = "slot"     // set a slot's size
)

// FaultKinds lists every kind, in the order docs and errors give them.
var FaultKinds = []FaultKind{FaultKill, FaultStop, FaultCont, FaultRestart, FaultPartition, FaultLatency, FaultLoss,
	FaultCordon, FaultUncordon, FaultDrain, FaultCancel, FaultPause, FaultRerun, FaultSlot}

// Operator reports whether the kind is an operator action (an API call)
// rather than a fault of processes or links.
func (k FaultKind) Operator() bool {
	switch k {
	case FaultCordon, FaultUncordon, FaultDrain, FaultCancel, FaultPause, FaultRerun, FaultSlot:
		return true
	}
	return false
}

// onLinks reports whether the kind acts on links.
func (k FaultKind) onLinks() bool {
	return k == FaultPartition || k == FaultLatency || k == FaultLoss
}

// TargetKind is what a target names.
type TargetKind string

// The target kinds.
const (
	TargetWorker   TargetKind = "worker"   // one worker by name
	TargetZone     TargetKind = "zone"     // every worker of a zone
	TargetWorkers  TargetKind = "workers"  // every worker
	TargetServer   TargetKind = "server"   // one server by number, from 1
	TargetServers  TargetKind = "servers"  // every server
	TargetDatabase TargetKind = "database" // the links of every server to the database
	TargetPostgres TargetKind = "postgres" // the private PostgreSQL server
	TargetLink     TargetKind = "link"     // one worker's link to one server: "link a1 2"
	TargetWorkflow TargetKind = "workflow" // the runs of a workflow, for cancel, pause and rerun
	TargetSlot     TargetKind = "slot"     // a slot, for slot
	// TargetBusiest is the worker running the most attempts when the
	// fault starts (the one a when: {running: N, on: busiest} saw): a
	// fault that needs a busy worker whichever one placement filled.
	TargetBusiest TargetKind = "busiest"
)

// Target is one thing a fault hits, as written: "worker a1", "zone b",
// "server 2", "workers", "servers", "database", "postgres", "link a1 2",
// "workflow etl", "slot db".
type Target struct {
	Kind TargetKind
	Name string // worker, zone, workflow or slot name, server number
	// Server is the server number of a link target.
	Server int
}

func (t Target) String() string {
	switch {
	case t.Kind == TargetLink:
		return fmt.Sprintf("link %s %d", t.Name, t.Server)
	case t.Name == "":
		return string(t.Kind)
	}
	return string(t.Kind) + " " + t.Name
}

// Fault is one entry of the fault timeline.
type Fault struct {
	Index   int // in the scenario's faults list
	Line    int
	Kind    FaultKind
	Targets []Target
	// At is when the fault starts, from the start of the timeline; When,
	// if set, is the condition that starts it (not before At).
	At   time.Duration
	When *Trigger
	// For is how long the fault lasts before it is undone: a killed
	// process is started again, a stopped one continued, a partition
	// healed, latency removed. Zero: not undone (kill, stop).
	For time.Duration
	// Down is how long a restarted process stays down.
	Down time.Duration
	// Signal is how restart stops a process: "term" (graceful, the
	// default) or "kill".
	Signal string
	// Reset makes a partition reset connections instead of dropping
	// their packets.
	Reset bool
	// Latency and Jitter are the delay a latency fault adds to each
	// direction of its links.
	Latency, Jitter time.Duration
	// Direction is the way a link fault acts: "both" (default),
	// "upstream" (from the worker to the server, or the server to the
	// database) or "downstream" (the answers), for one-way partitions.
	Direction string
	// Loss is the share (0 < Loss <= 1) of the packets a loss fault
	// loses; each is held back for a retransmission timeout (Retransmit,
	// default 200ms) as TCP would.
	Loss       float64
	Retransmit time.Duration
	// Runs is how many runs cancel, pause and rerun act on (default 1;
	// -1: all of them).
	Runs int
	// Reschedule makes a drain hand running tasks elsewhere at once.
	Reschedule bool
	// Size is the slot size a slot action sets.
	Size int64
	// Rolling applies the fault to the processes (or links) of its
	// targets one after another, each undone before the next, instead of
	// all at once.
	Rolling bool
	// Repeat is how many times the fault is applied in all (default 1);
	// Gap is the pause after each application (and between the steps of
	// a rolling fault).
	Repeat int
	Gap    time.Duration
}

// hasBusiest reports whether the fault targets the busiest worker.
func (f Fault) hasBusiest() bool {
	return slices.ContainsFunc(f.Targets, func(t Target) bool { return t.Kind == TargetBusiest })
}

// onWorker returns the fault with its busiest target replaced by the
// worker named.
func (f Fault) onWorker(name string) Fault {
	f.Targets = slices.Clone(f.Targets)
	for i, t := range f.Targets {
		if t.Kind == TargetBusiest {
			f.Targets[i] = Target{Kind: TargetWorker, Name: name}
		}
	}
	return f
}

func (f Fault) String() string {
	ts := make([]string, len(f.Targets))
	for i, t := range f.Targets {
		ts[i] = t.String()
	}
	return fmt.Sprintf("faults[%d] %s %s", f.Index, f.Kind, strings.Join(ts, ", "))
}

// Trigger starts a fault when the workload reaches a point: when at least
// Count (or Percent of the workload's runs) runs have started or
// finished, or at least Count attempts run at once (on the workers of On,
// when set; on one worker, the busiest, when On is busiest).
type Trigger struct {
	// What is "started", "finished" or "running".
	What    string
	Count   int
	Percent float64 // 0 < Percent <= 100, for started and finished
	On      *Target // a worker, a zone, the workers or the busiest worker, for running
}

func (t Trigger) String() string {
	if t.Percent > 0 {
		return fmt.Sprintf("%s %g%%", t.What, t.Percent)
	}
	if t.On != nil {
		return fmt.Sprintf("%s %d on %s", t.What, t.Count, t.On)
	}
	return fmt.Sprintf("%s %d", t.What, t.Count)
}

// onBusiest reports whether the trigger counts the busiest worker's
// attempts alone.
func (t Trigger) onBusiest() bool { return t.On != nil && t.On.Kind == TargetBusiest }

// Covers reports whether a worker of that name and zone is one the
// trigger counts (for busiest: every worker, each counted apart).
func (t Trigger) Covers(name, zone string) bool {
	switch {
	case t.On == nil || t.On.Kind == TargetWorkers || t.On.Kind == TargetBusiest:
		return true
	case t.On.Kind == TargetZone:
		return zone == t.On.Name
	}
	return name == t.On.Name
}

// Expect is what must hold once the workload settled. The contract
// checks (finished stays finished, one live attempt, rerunnable: false,
// exactly-once ticks, no alert missing) always run; these fields set
// their bounds and add checks of their own.
type Expect struct {
	// Runs is the state every run must end in, by workflow name; "*" is
	// every other workflow. A state is succeeded, failed, cancelled or
	// terminal (any of the three).
	Runs map[string]string
	// MaxOverlap is how long two attempts of a task may both be seen
	// running (default 0).
	MaxOverlap time.Duration
	// Failover bounds the time from a lost attempt's loss to its task's
	// next attempt running; zero fields are not checked.
	Failover FailoverBound
	// Events are counts of event kinds the log must hold.
	Events []EventCount
	// Alerts are the event kinds the harness's alert channel subscribes
	// to; every such event must be delivered.
	Alerts []string
	// PriorityOrder checks that no run started while a run of higher
	// priority created before it still waited.
	PriorityOrder bool
	// EndedOnce checks that no task ran to its end twice, even when the
	// first attempt's result never reached the servers (as it may not
	// when its worker is cut off or killed right after the task ended):
	// for every workflow, or for those EndedOnceOf names.
	EndedOnce   bool
	EndedOnceOf []string
	// Liveness bounds how long work may wait with capacity free.
	Liveness LivenessBound
	// Limits checks that no slot ran more tasks than its size and no
	// workflow more runs than its max_active_runs.
	Limits bool
	// Heartbeats, when set, runs the heartbeat probe through the
	// timeline and bounds its round trips.
	Heartbeats *HeartbeatBound
}

// HeartbeatBound bounds the heartbeat probe's round trips; zero fields
// are measured, not checked. Failed is how many may fail.
type HeartbeatBound struct {
	P99, Max time.Duration
	Failed   int
}

// EndedOnceFor reports whether ended_once is checked for a workflow.
func (e Expect) EndedOnceFor(workflow string) bool {
	return e.EndedOnce || slices.Contains(e.EndedOnceOf, workflow)
}

// LivenessBound bounds how work keeps moving: the longest time with a
// task waiting and capacity free but no attempt starting (MaxGap), and
// the 99th percentile of the wait from queued to running (P99Wait).
// Zero fields are measured and reported, not checked.
type LivenessBound struct {
	MaxGap, P99Wait time.Duration
}

// FailoverBound bounds failover times.
type FailoverBound struct {
	P50, P99, Max time.Duration
	// Min is how many failovers must have been measured (so that a fault
	// that hit nothing fails the scenario).
	Min int
}

// EventCount is a bound on the number of events of a kind, in the whole
// log or in a window of the timeline.
type EventCount struct {
	Kind string
	Op   string // ==, >=, <=, >, <
	N    int
	Line int
	// From and To bound the window, from the start of the timeline;
	// Window is false for the whole log. To zero: to the end.
	Window   bool
	From, To time.Duration
}

// Holds reports whether n events satisfy the bound.
func (e EventCount) Holds(n int) bool {
	switch e.Op {
	case ">=":
		return n >= e.N
	case "<=":
		return n <= e.N
	case ">":
		return n > e.N
	case "<":
		return n < e.N
	}
	return n == e.N
}

func (e EventCount) String() string {
	if e.Window {
		return fmt.Sprintf("%s %s %d %s", e.Kind, e.Op, e.N, e.window())
	}
	return fmt.Sprintf("%s %s %d", e.Kind, e.Op, e.N)
}

func (e EventCount) window() string {
	if e.To == 0 {
		return fmt.Sprintf("from %v", e.From)
	}
	return fmt.Sprintf("from %v to %v", e.From, e.To)
}

// DefaultAlerts are the event kinds the harness subscribes to when the
// scenario does not say.
var DefaultAlerts = []string{"alert.task_lost", "worker.lost", "zone.down", "zone.up", "run.failed"}

// Defaults of a scenario.
const (
	defaultWitnessTick = 250 * time.Millisecond
	defaultSettle      = 2 * time.Minute
	defaultCapacity    = 4
)

// RunTotal is the number of runs the workload starts (those of loads
// that expect a refusal do not count).
func (s *Scenario) RunTotal() int {
	n := 0
	for _, l := range s.Workload {
		if l.Refused == "" {
			n += l.Runs
		}
	}
	return n
}

// WorkerSpecs lists the workers of the cluster, zone by zone.
func (s *Scenario) WorkerSpecs() []WorkerSpec {
	var out []WorkerSpec
	for _, z := range s.Cluster.Zones {
		for _, name := range z.WorkerNames() {
			spec := WorkerSpec{Name: name, Zone: z.Name, Group: z.Group, Capacity: z.Capacity, Labels: z.Labels,
				Servers: z.Servers}
			if len(spec.Servers) == 0 && s.Cluster.ServerOrder == OrderSpread {
				for j := range s.Cluster.Servers {
					spec.Servers = append(spec.Servers, (len(out)+j)%s.Cluster.Servers+1)
				}
			}
			out = append(out, spec)
		}
	}
	return out
}
