package chaos_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/baton-sched/baton/internal/chaos"
)

// goodScenario is a valid scenario; the bad cases below each change one
// line of it. Its workflow file sits next to it.
const goodScenario = `name: sample
cluster:
  servers: 2
  timing: {lease_ttl: 2s, heartbeat_interval: 500ms}
  zones:
    - {name: a, workers: 2, capacity: 4}
    - {name: b, workers: 1}
workload:
  - {workflow: flow.yaml, runs: 10, rate: 5/s}
faults:
  - {kind: kill, target: worker a1, when: {started: 50%}, for: 5s}
  - {kind: partition, target: zone b, at: 2s, for: 3s}
  - {kind: restart, target: [server 1, workers], at: 4s, rolling: true, gap: 1s}
expect:
  runs: succeeded
  failover: {p99: 5s, min: 1}
  events: {worker.lost: ">= 1"}
short:
  workload: [{runs: 3}]
  faults: [{}, {for: 1s}]
`

// writeScenario writes text as dir/x.yaml next to a workflow file.
func writeScenario(t *testing.T, text string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "flow.yaml"), []byte("name: flow\ntasks:\n  - {name: t, run: sleep 1}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "x.yaml")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestLoadScenario(t *testing.T) {
	path := writeScenario(t, goodScenario)
	sc, err := chaos.LoadScenario(path, false)
	if err != nil {
		t.Fatal(err)
	}
	if sc.Name != "sample" || sc.Cluster.Servers != 2 || sc.Cluster.Timing.LeaseTTL != 2*time.Second || sc.Short {
		t.Errorf("scenario %+v", sc)
	}
	if sc.Cluster.PlainHTTP || sc.Cluster.WorkersCommit != "" {
		t.Errorf("cluster %+v, want TLS and this build's workers by default", sc.Cluster)
	}
	sc, err = chaos.LoadScenario(writeScenario(t, strings.Replace(goodScenario, "servers: 2",
		"servers: 2\n  tls: false\n  workers_commit: 04e491183059", 1)), false)
	if err != nil || !sc.Cluster.PlainHTTP || sc.Cluster.WorkersCommit != "04e491183059" {
		t.Fatalf("tls: false, workers_commit: %+v, %v", sc, err)
	}
	var workers []string
	for _, w := range sc.WorkerSpecs() {
		workers = append(workers, w.Name)
	}
	if diff := cmp.Diff([]string{"a1", "a2", "b1"}, workers); diff != "" {
		t.Errorf("workers (-want +got):\n%s", diff)
	}
	if l := sc.Workload[0]; l.Runs != 10 || l.Rate != 5 || l.Definition.Name != "flow" {
		t.Errorf("workload %+v", l)
	}
	f := sc.Faults[0]
	if f.Kind != chaos.FaultKill || f.When == nil || f.When.What != "started" || f.When.Percent != 50 || f.For != 5*time.Second {
		t.Errorf("faults[0] %+v", f)
	}
	if got := sc.Faults[2].Targets; len(got) != 2 || got[0] != (chaos.Target{Kind: chaos.TargetServer, Name: "1"}) ||
		got[1].Kind != chaos.TargetWorkers || !sc.Faults[2].Rolling {
		t.Errorf("faults[2] targets %+v", got)
	}
	if e := sc.Expect; e.Runs["*"] != "succeeded" || e.Failover.P99 != 5*time.Second || len(e.Events) != 1 ||
		!e.Events[0].Holds(1) || e.Events[0].Holds(0) {
		t.Errorf("expect %+v", e)
	}

	onZone := writeScenario(t, strings.Replace(goodScenario, "{started: 50%}", "{running: 2, on: zone b}", 1))
	sc, err = chaos.LoadScenario(onZone, false)
	if err != nil {
		t.Fatal(err)
	}
	if w := sc.Faults[0].When; w.What != "running" || w.Count != 2 || !w.Covers("b1", "b") || w.Covers("a1", "a") {
		t.Errorf("when %+v", w)
	}

	// The busiest worker: counted one worker at a time, hit whichever it is.
	busiest := writeScenario(t, strings.Replace(goodScenario, "target: worker a1, when: {started: 50%}",
		"target: busiest, when: {running: 2, on: busiest}", 1))
	sc, err = chaos.LoadScenario(busiest, false)
	if err != nil {
		t.Fatal(err)
	}
	if f := sc.Faults[0]; len(f.Targets) != 1 || f.Targets[0].Kind != chaos.TargetBusiest || f.When.On == nil ||
		f.When.On.Kind != chaos.TargetBusiest || !f.When.Covers("a2", "a") {
		t.Errorf("busiest fault %+v, when %+v", f, f.When)
	}

	short, err := chaos.LoadScenario(path, true)
	if err != nil {
		t.Fatal(err)
	}
	if !short.Short || short.Workload[0].Runs != 3 || short.Workload[0].Rate != 5 || short.Faults[1].For != time.Second ||
		short.Faults[0].For != 5*time.Second || len(short.Faults) != 3 {
		t.Errorf("short form: workload %+v, faults %+v", short.Workload, short.Faults)
	}
}

// TestLoadScenarioRefusesMistakes: every mistake is refused before
// anything starts, naming the file, the line and the field.
func TestLoadScenarioRefusesMistakes(t *testing.T) {
	for _, tc := range []struct {
		name     string
		old, new string // one line of goodScenario changed
		want     string // the error line, after the file name
	}{
		{"typo in a field", "target: worker a1,", "traget: worker a1,",
			`:11: faults[0].traget: unknown field "traget" (did you mean target?)`},
		{"unknown fault kind", "{kind: kill,", "{kind: kil,",
			`:11: faults[0].kind: unknown fault kind "kil" (did you mean kill? want kill, stop, cont, restart, partition, latency, loss, cordon, `},
		{"unknown worker", "target: worker a1", "target: worker z9",
			`:11: faults[0].target: target "worker z9": no worker "z9" in the cluster (workers: a1, a2, b1)`},
		{"unknown target kind", "target: zone b", "target: rack b",
			`:12: faults[1].target: unknown target "rack b"`},
		{"server out of range", "server 1, workers", "server 3, workers",
			`:13: faults[2].target[0]: target "server 3": servers are numbered 1 to 2`},
		{"bare number for a duration", "at: 2s, for: 3s", "at: 2, for: 3s",
			`:12: faults[1].at: bad duration 2: give a unit, e.g. "2s"`},
		{"bad duration unit", "at: 2s, for: 3s", "at: 2s, for: 3x",
			`:12: faults[1].for: bad duration: invalid duration "3x": unknown unit "x"`},
		{"field the kind does not take", "rolling: true, gap: 1s}", "rolling: true, gap: 1s, latency: 1s}",
			`:13: faults[2].latency: a restart fault takes no latency`},
		{"partition without for", "at: 2s, for: 3s}", "at: 2s}",
			`:12: faults[1]: a partition fault needs for: how long it lasts`},
		{"no running attempt", "{started: 50%}", "{running: 0}",
			`:11: faults[0].when.running: must be at least 1, got 0`},
		{"bad percentage", "started: 50%", "started: 150%",
			`:11: faults[0].when.started: bad percentage "150%"`},
		{"unknown workflow file", "workflow: flow.yaml", "workflow: nope.yaml",
			`:9: workload[0].workflow: open `},
		{"bad rate", "rate: 5/s", "rate: fast",
			`:9: workload[0].rate: bad rate "fast"`},
		{"unknown run state", "runs: succeeded", "runs: done",
			`:15: expect.runs: unknown run state "done"`},
		{"bad event count", `">= 1"`, `"at least 1"`,
			`:17: expect.events.worker.lost: bad count "at least 1"`},
		{"mistake in the short block", "faults: [{}, {for: 1s}]", "faults: [{}, {for: 1}]",
			`:20: short.faults[1].for: bad duration 1: give a unit`},
		{"unknown top-level field", "name: sample", "nam: sample",
			`:1: nam: unknown field "nam" (did you mean name?)`},
		{"duplicate zone", "{name: b, workers: 1}", "{name: a, workers: 1}",
			`:7: cluster.zones[1].name: zone "a" given twice`},
		{"on without running", "{started: 50%}", "{started: 50%, on: zone b}",
			`:11: faults[0].when.on: on counts running attempts: use it with running`},
		{"two conditions", "{started: 50%}", "{started: 50%, finished: 2}",
			`:11: faults[0].when: give one condition`},
		{"on a server", "{started: 50%}", "{running: 2, on: server 1}",
			`:11: faults[0].when.on: "server 1": want worker NAME, zone NAME, workers or busiest`},
		{"link to a server that is not there", "target: zone b", "target: link a1 3",
			`:12: faults[1].target: target "link a1 3": servers are numbered 1 to 2`},
		{"link of an unknown worker", "target: zone b", "target: link z1 1",
			`:12: faults[1].target: target "link z1 1": no worker "z1" in the cluster`},
		{"bad direction", "at: 2s, for: 3s}", "at: 2s, for: 3s, direction: sideways}",
			`:12: faults[1].direction: unknown direction "sideways" (want both, upstream or downstream)`},
		{"busiest with a name", "target: zone b", "target: busiest b1",
			`:12: faults[1].target: target "busiest b1": busiest takes no name`},
		{"operator action on the busiest worker", "{kind: partition, target: zone b, at: 2s, for: 3s}", "{kind: cordon, target: busiest, at: 2s}",
			`:12: faults[1].target: target "busiest": a cordon fault cannot hit busiest`},
		{"operator action on a worker", "{kind: partition, target: zone b, at: 2s, for: 3s}", "{kind: cordon, target: worker a1, at: 2s}",
			`:12: faults[1].target: target "worker a1": a cordon fault cannot hit worker`},
		{"cancel of a workflow not in the workload", "{kind: partition, target: zone b, at: 2s, for: 3s}", "{kind: cancel, target: workflow other, at: 2s}",
			`:12: faults[1].target: target "workflow other": no workflow "other" in the workload (flow)`},
		{"slot without size", "{kind: partition, target: zone b, at: 2s, for: 3s}", "{kind: slot, target: slot db, at: 2s}",
			`:12: faults[1]: a slot action needs size`},
		{"loss over 100%", "{kind: partition, target: zone b, at: 2s, for: 3s}", "{kind: loss, target: zone b, at: 2s, for: 3s, loss: 150%}",
			`:12: faults[1].loss: bad share "150%"`},
		{"unknown server order", "servers: 2", "servers: 2\n  server_order: random",
			`:4: cluster.server_order: unknown server order "random" (want given or spread)`},
		{"bad workers commit", "servers: 2", "servers: 2\n  workers_commit: HEAD~1",
			`:4: cluster.workers_commit: want a commit hash of Baton's repository (7 to 40 hex digits), got "HEAD~1"`},
		{"tls not a boolean", "servers: 2", "servers: 2\n  tls: maybe", `:4: cluster.tls:`},
		{"zone server twice", "{name: b, workers: 1}", "{name: b, workers: 1, servers: [1, 1]}",
			`:7: cluster.zones[1].servers[1]: server 1 given twice`},
		{"phase ending before it starts", "events: {worker.lost: \">= 1\"}", "phases: [{from: 5s, to: 2s, events: {worker.lost: 0}}]",
			`:17: expect.phases[0].to: must be after from (5s)`},
		{"ended_once of an unknown workflow", "runs: succeeded", "ended_once: [nope]",
			`:15: expect.ended_once[0]: no workflow "nope" in the workload`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if !strings.Contains(goodScenario, tc.old) {
				t.Fatalf("%q is not in the scenario", tc.old)
			}
			path := writeScenario(t, strings.Replace(goodScenario, tc.old, tc.new, 1))
			_, err := chaos.LoadScenario(path, false)
			var se *chaos.ScenarioError
			if !errors.As(err, &se) {
				t.Fatalf("error %v, want a *ScenarioError", err)
			}
			if !strings.Contains(err.Error(), path+tc.want) {
				t.Errorf("error:\n%v\nwant a line starting\n%s%s", err, path, tc.want)
			}
		})
	}
}

// grayScenario uses the harness's operator actions, link faults, server
// orders and the liveness, limits and phase expectations.
const grayScenario = `cluster:
  servers: 2
  server_order: spread
  zones:
    - {name: a, workers: 2}
    - {name: b, workers: 2, servers: [2, 1]}
workload:
  - {workflow: flow.yaml, runs: 10}
faults:
  - {kind: partition, target: link a1 2, at: 1s, for: 2s, direction: upstream}
  - {kind: loss, target: database, at: 1s, for: 2s, loss: 20%}
  - {kind: cordon, target: zone b, at: 2s}
  - {kind: uncordon, target: zone b, at: 3s}
  - {kind: drain, target: worker a2, at: 4s, reschedule: true}
  - {kind: pause, target: workflow flow, at: 1s, runs: all, for: 2s}
  - {kind: cancel, target: workflow flow, at: 2s, runs: 2}
  - {kind: rerun, target: workflow flow, at: 5s}
  - {kind: slot, target: slot db, at: 0s, size: 3}
expect:
  runs: terminal
  ended_once: [flow]
  liveness: {max_gap: 2s, p99_wait: 4s}
  limits: true
  heartbeats: {p99: 1s}
  events: {attempt.fenced: 0}
  phases:
    - {from: 1s, to: 3s, events: {worker.lost: 0, attempt.lost: "<= 1"}}
`

func TestLoadScenarioGrayFeatures(t *testing.T) {
	sc, err := chaos.LoadScenario(writeScenario(t, grayScenario), false)
	if err != nil {
		t.Fatal(err)
	}
	var orders [][]int
	for _, w := range sc.WorkerSpecs() {
		orders = append(orders, w.Servers)
	}
	if diff := cmp.Diff([][]int{{1, 2}, {2, 1}, {2, 1}, {2, 1}}, orders); diff != "" {
		t.Errorf("server orders of a1, a2, b1, b2 (-want +got):\n%s", diff)
	}
	f := sc.Faults
	if f[0].Targets[0] != (chaos.Target{Kind: chaos.TargetLink, Name: "a1", Server: 2}) || f[0].Direction != "upstream" {
		t.Errorf("faults[0] %+v", f[0])
	}
	if f[1].Kind != chaos.FaultLoss || f[1].Loss != 0.2 || f[1].Retransmit != 200*time.Millisecond || f[1].Direction != "both" {
		t.Errorf("faults[1] %+v", f[1])
	}
	if !f[2].Kind.Operator() || f[0].Kind.Operator() || !f[4].Reschedule || f[4].Targets[0].Kind != chaos.TargetWorker {
		t.Errorf("faults[2] %+v, faults[4] %+v", f[2], f[4])
	}
	if f[5].Runs != -1 || f[5].For != 2*time.Second || f[6].Runs != 2 || f[7].Runs != 1 || f[8].Size != 3 ||
		f[8].Targets[0] != (chaos.Target{Kind: chaos.TargetSlot, Name: "db"}) {
		t.Errorf("run and slot actions %+v %+v %+v %+v", f[5], f[6], f[7], f[8])
	}
	e := sc.Expect
	if e.EndedOnce || !e.EndedOnceFor("flow") || e.EndedOnceFor("other") || !e.Limits ||
		e.Liveness != (chaos.LivenessBound{MaxGap: 2 * time.Second, P99Wait: 4 * time.Second}) ||
		e.Heartbeats == nil || e.Heartbeats.P99 != time.Second {
		t.Errorf("expect %+v", e)
	}
	var counts []string
	for _, c := range e.Events {
		counts = append(counts, c.String())
	}
	if diff := cmp.Diff([]string{"attempt.fenced == 0", "attempt.lost <= 1 from 1s to 3s", "worker.lost == 0 from 1s to 3s"}, counts); diff != "" {
		t.Errorf("event counts (-want +got):\n%s", diff)
	}
}

func TestLoadScenarioSyntaxError(t *testing.T) {
	path := writeScenario(t, "name: x\ncluster: [\n")
	_, err := chaos.LoadScenario(path, false)
	if err == nil || !strings.HasPrefix(err.Error(), path+":") {
		t.Errorf("error %v, want the file and line of the syntax error", err)
	}
}

// TestShippedScenariosLoad: every scenario of scenarios/ is valid in both
// its forms.
func TestShippedScenariosLoad(t *testing.T) {
	files, err := filepath.Glob("../../scenarios/*.yaml")
	if err != nil || len(files) < 10 {
		t.Fatalf("scenarios: %v %v", files, err)
	}
	for _, f := range files {
		for _, short := range []bool{false, true} {
			sc, err := chaos.LoadScenario(f, short)
			if err != nil {
				t.Errorf("%v", err)
				continue
			}
			if sc.RunTotal() == 0 && !hasSchedule(sc) {
				t.Errorf("%s: no work", f)
			}
		}
	}
}

func hasSchedule(sc *chaos.Scenario) bool {
	for _, l := range sc.Workload {
		if len(l.Definition.Schedules) > 0 {
			return true
		}
	}
	return false
}
