package chaos

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v4"
)

// faultFields are the fields every fault takes; kindFields those only
// some kinds take.
var (
	faultFields = []string{"kind", "target", "at", "when", "rolling", "repeat", "gap"}
	kindFields  = map[FaultKind][]string{
		FaultKill:      {"for"},
		FaultStop:      {"for"},
		FaultCont:      {},
		FaultRestart:   {"down", "signal"},
		FaultPartition: {"for", "mode", "direction"},
		FaultLatency:   {"for", "latency", "jitter", "direction"},
		FaultLoss:      {"for", "loss", "retransmit", "direction"},
		FaultCordon:    {},
		FaultUncordon:  {},
		FaultDrain:     {"reschedule"},
		FaultCancel:    {"runs"},
		FaultPause:     {"runs", "for"},
		FaultRerun:     {"runs"},
		FaultSlot:      {"size"},
	}
	allFaultFields = []string{"kind", "target", "at", "when", "for", "down", "signal", "mode", "latency", "jitter",
		"direction", "loss", "retransmit", "runs", "reschedule", "size", "rolling", "repeat", "gap"}
	// targetKinds are the targets each kind of fault may hit.
	targetKinds = map[FaultKind][]TargetKind{
		FaultKill:      {TargetWorker, TargetBusiest, TargetZone, TargetWorkers, TargetServer, TargetServers},
		FaultStop:      {TargetWorker, TargetBusiest, TargetZone, TargetWorkers, TargetServer, TargetServers},
		FaultCont:      {TargetWorker, TargetZone, TargetWorkers, TargetServer, TargetServers},
		FaultRestart:   {TargetWorker, TargetBusiest, TargetZone, TargetWorkers, TargetServer, TargetServers, TargetPostgres},
		FaultPartition: {TargetWorker, TargetBusiest, TargetZone, TargetWorkers, TargetServer, TargetDatabase, TargetLink},
		FaultLatency:   {TargetWorker, TargetBusiest, TargetZone, TargetWorkers, TargetServer, TargetDatabase, TargetLink},
		FaultLoss:      {TargetWorker, TargetBusiest, TargetZone, TargetWorkers, TargetServer, TargetDatabase, TargetLink},
		FaultCordon:    {TargetZone},
		FaultUncordon:  {TargetZone},
		FaultDrain:     {TargetZone, TargetWorker},
		FaultCancel:    {TargetWorkflow},
		FaultPause:     {TargetWorkflow},
		FaultRerun:     {TargetWorkflow},
		FaultSlot:      {TargetSlot},
	}
	triggerFields = []string{"started", "finished", "running", "on"}
)

func kindNames() string {
	names := make([]string, len(FaultKinds))
	for i, k := range FaultKinds {
		names[i] = string(k)
	}
	return strings.Join(names, ", ")
}

// fault decodes faults[i].
func (p *parser) fault(d *decoder, s *Scenario, n *yaml.Node, i int) Fault {
	path := index("faults", i)
	fl := Fault{Index: i, Line: resolve(n).Line, Repeat: 1}
	f := d.fields(n, path, allFaultFields...)
	if v, ok := f["kind"]; ok {
		if k, ok := d.scalar(v.value, path+".kind", "a fault kind"); ok {
			fl.Kind = FaultKind(k)
			if !slices.Contains(FaultKinds, fl.Kind) {
				msg := fmt.Sprintf("unknown fault kind %q (want %s)", k, kindNames())
				if s := suggest(k, strings.Split(kindNames(), ", ")); s != "" {
					msg = fmt.Sprintf("unknown fault kind %q (did you mean %s? want %s)", k, s, kindNames())
				}
				d.addf(v.value, path+".kind", "%s", msg)
				return fl
			}
		}
	} else {
		d.addf(n, path, `missing required field "kind" (%s)`, kindNames())
		return fl
	}
	for name, v := range f {
		if !slices.Contains(faultFields, name) && !slices.Contains(kindFields[fl.Kind], name) {
			d.addf(v.key, join(path, name), "a %s fault takes no %s (it takes %s)", fl.Kind, name,
				strings.Join(append(slices.Clone(faultFields), kindFields[fl.Kind]...), ", "))
		}
	}
	if v, ok := f["target"]; ok {
		for j, t := range d.stringList(v.value, path+".target") {
			tp := path + ".target"
			if r := resolve(v.value); r.Kind == yaml.SequenceNode {
				tp = index(tp, j)
			}
			if tg, err := parseTarget(s, fl.Kind, t); err != nil {
				d.addf(v.value, tp, "%v", err)
			} else {
				fl.Targets = append(fl.Targets, tg)
			}
		}
	} else {
		d.addf(n, path, `missing required field "target" (e.g. "worker a1", "zone b", "server 1")`)
	}
	p.faultTiming(d, s, &fl, f, n, path)
	if v, ok := f["signal"]; ok {
		fl.Signal = d.str(v.value, path+".signal")
		if fl.Signal != "term" && fl.Signal != "kill" {
			d.addf(v.value, path+".signal", "unknown signal %q (want term or kill)", fl.Signal)
		}
	}
	if v, ok := f["mode"]; ok {
		switch mode := d.str(v.value, path+".mode"); mode {
		case "drop":
		case "reset":
			fl.Reset = true
		default:
			d.addf(v.value, path+".mode", "unknown partition mode %q (want drop or reset)", mode)
		}
	}
	if v, ok := f["latency"]; ok {
		fl.Latency = d.duration(v.value, path+".latency")
	}
	if v, ok := f["jitter"]; ok {
		fl.Jitter = d.duration(v.value, path+".jitter")
	}
	if fl.Kind == FaultLatency && fl.Latency == 0 {
		d.addf(keyOr(f, "latency", n), path+".latency", "a latency fault needs the delay to add, e.g. latency: 200ms")
	}
	p.faultExtra(d, &fl, f, n, path)
	return fl
}

// faultExtra decodes the fields of link direction, packet loss and
// operator actions.
func (p *parser) faultExtra(d *decoder, fl *Fault, f map[string]field, n *yaml.Node, path string) {
	fl.Direction = "both"
	if v, ok := f["direction"]; ok {
		fl.Direction = d.str(v.value, path+".direction")
		if !slices.Contains([]string{"both", "upstream", "downstream"}, fl.Direction) {
			d.addf(v.value, path+".direction", "unknown direction %q (want both, upstream or downstream)", fl.Direction)
		}
		if fl.Direction != "both" && fl.Kind == FaultPartition && fl.Reset {
			d.addf(v.value, path+".direction", "a reset partition cuts both ways")
		}
	}
	if v, ok := f["loss"]; ok {
		fl.Loss = p.share(d, v.value, path+".loss")
	} else if fl.Kind == FaultLoss {
		d.addf(n, path, "a loss fault needs loss: the share of packets lost, e.g. loss: 20%%")
	}
	fl.Retransmit = defaultRetransmit
	if v, ok := f["retransmit"]; ok {
		if fl.Retransmit = d.duration(v.value, path+".retransmit"); fl.Retransmit <= 0 {
			d.addf(v.value, path+".retransmit", "must be more than 0")
		}
	}
	fl.Runs = 1
	if v, ok := f["runs"]; ok {
		if text, ok := d.scalar(v.value, path+".runs", "a number of runs or all"); ok && text == "all" {
			fl.Runs = -1
		} else {
			fl.Runs = d.integer(v.value, path+".runs", 1)
		}
	}
	if v, ok := f["reschedule"]; ok {
		fl.Reschedule = d.boolean(v.value, path+".reschedule")
	}
	if v, ok := f["size"]; ok {
		fl.Size = int64(d.integer(v.value, path+".size", 0))
	} else if fl.Kind == FaultSlot {
		d.addf(n, path, "a slot action needs size: the slot's new size")
	}
	if fl.Kind.Operator() && (fl.Rolling || fl.Kind != FaultPause && fl.For > 0) {
		d.addf(n, path, "a %s action takes no rolling (and only pause takes for)", fl.Kind)
	}
}

// defaultRetransmit is how long a lost packet is held back: TCP's
// minimum retransmission timeout on Linux.
const defaultRetransmit = 200 * time.Millisecond

// share reads a fraction: "20%" or 0.2, more than 0 and at most 1.
func (p *parser) share(d *decoder, n *yaml.Node, path string) float64 {
	text, ok := d.scalar(n, path, "a share such as 20% or 0.2")
	if !ok {
		return 0
	}
	x, err := 0.0, error(nil)
	if pct, isPct := strings.CutSuffix(strings.TrimSpace(text), "%"); isPct {
		x, err = strconv.ParseFloat(strings.TrimSpace(pct), 64)
		x /= 100
	} else {
		x, err = strconv.ParseFloat(text, 64)
	}
	if err != nil || x <= 0 || x > 1 {
		d.addf(n, path, "bad share %q: want more than 0%% and at most 100%%, e.g. 20%% or 0.2", text)
		return 0
	}
	return x
}

// faultTiming decodes when a fault starts, how long it lasts and how
// often it repeats.
func (p *parser) faultTiming(d *decoder, s *Scenario, fl *Fault, f map[string]field, n *yaml.Node, path string) {
	if v, ok := f["at"]; ok {
		fl.At = d.duration(v.value, path+".at")
	}
	if v, ok := f["when"]; ok {
		fl.When = p.trigger(d, s, v.value, path+".when")
	}
	if v, ok := f["for"]; ok {
		if fl.For = d.duration(v.value, path+".for"); fl.For == 0 {
			d.addf(v.value, path+".for", "must be more than 0")
		}
	} else if fl.Kind.onLinks() {
		d.addf(n, path, "a %s fault needs for: how long it lasts", fl.Kind)
	}
	if v, ok := f["down"]; ok {
		fl.Down = d.duration(v.value, path+".down")
	}
	if v, ok := f["rolling"]; ok {
		fl.Rolling = d.boolean(v.value, path+".rolling")
	}
	if v, ok := f["repeat"]; ok {
		fl.Repeat = d.integer(v.value, path+".repeat", 1)
	}
	if v, ok := f["gap"]; ok {
		fl.Gap = d.duration(v.value, path+".gap")
	}
}

// trigger decodes a when: condition.
func (p *parser) trigger(d *decoder, s *Scenario, n *yaml.Node, path string) *Trigger {
	f := d.fields(n, path, triggerFields...)
	on, hasOn := f["on"]
	delete(f, "on")
	if len(f) != 1 {
		if r := resolve(n); r != nil && r.Kind == yaml.MappingNode && len(r.Content) != 2+2*btoi(hasOn) {
			d.addf(n, path, "give one condition: started, finished (a number or a percentage of the workload's runs) or running (attempts, optionally on: a worker or zone)")
		}
		return nil
	}
	t := &Trigger{}
	for what, v := range f {
		t.What = what
		text, ok := d.scalar(v.value, join(path, what), "a number or a percentage")
		if !ok {
			return nil
		}
		if pct, isPct := strings.CutSuffix(strings.TrimSpace(text), "%"); isPct && what != "running" {
			x, err := strconv.ParseFloat(strings.TrimSpace(pct), 64)
			if err != nil || x <= 0 || x > 100 {
				d.addf(v.value, join(path, what), "bad percentage %q: want more than 0%% and at most 100%%", text)
			}
			if s.RunTotal() == 0 {
				d.addf(v.value, join(path, what), "a percentage of the workload's runs, but the workload starts none")
			}
			t.Percent = x
			continue
		}
		t.Count = d.integer(v.value, join(path, what), 1)
		if rt := s.RunTotal(); what != "running" && t.Count > rt {
			d.addf(v.value, join(path, what), "%d runs, but the workload starts %d", t.Count, rt)
		}
	}
	if hasOn {
		text, _ := d.scalar(on.value, path+".on", "a worker or a zone")
		tg, err := parseTarget(s, FaultKill, text)
		switch {
		case t.What != "running":
			d.addf(on.key, path+".on", "on counts running attempts: use it with running")
		case err != nil:
			d.addf(on.value, path+".on", "%v", err)
		case tg.Kind != TargetWorker && tg.Kind != TargetZone && tg.Kind != TargetWorkers && tg.Kind != TargetBusiest:
			d.addf(on.value, path+".on", "%q: want worker NAME, zone NAME, workers or busiest", text)
		default:
			t.On = &tg
		}
	}
	return t
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// parseTarget reads one target and checks it exists and suits the kind.
func parseTarget(s *Scenario, kind FaultKind, text string) (Target, error) {
	const want = "want worker NAME, zone NAME, server N, workers, busiest, servers, database, postgres, link WORKER N, workflow NAME or slot NAME"
	fields := strings.Fields(text)
	if len(fields) == 0 || len(fields) > 3 || len(fields) == 3 && fields[0] != string(TargetLink) {
		return Target{}, fmt.Errorf("bad target %q: %s", text, want)
	}
	t := Target{Kind: TargetKind(fields[0])}
	if len(fields) >= 2 {
		t.Name = fields[1]
	}
	if t.Kind == TargetLink {
		if len(fields) != 3 {
			return t, fmt.Errorf("target %q: name the worker and the server number, e.g. %q", text, "link a1 2")
		}
		n, err := strconv.Atoi(fields[2])
		if err != nil || n < 1 || n > s.Cluster.Servers {
			return t, fmt.Errorf("target %q: servers are numbered 1 to %d", text, s.Cluster.Servers)
		}
		t.Server = n
	}
	named := map[TargetKind]bool{TargetWorker: true, TargetZone: true, TargetServer: true, TargetLink: true,
		TargetWorkflow: true, TargetSlot: true}
	known := []TargetKind{TargetWorker, TargetZone, TargetWorkers, TargetBusiest, TargetServer, TargetServers, TargetDatabase, TargetPostgres,
		TargetLink, TargetWorkflow, TargetSlot}
	switch {
	case !slices.Contains(known, t.Kind):
		return t, fmt.Errorf("unknown target %q: %s", text, want)
	case named[t.Kind] && t.Name == "":
		return t, fmt.Errorf("target %q: name the %s, e.g. %q", text, t.Kind, exampleTarget(s, t.Kind))
	case !named[t.Kind] && t.Name != "":
		return t, fmt.Errorf("target %q: %s takes no name", text, t.Kind)
	case !slices.Contains(targetKinds[kind], t.Kind):
		msg := fmt.Sprintf("a %s fault cannot hit %s", kind, t.Kind)
		if t.Kind == TargetServers && kind.onLinks() {
			msg += ": partition and latency act on links; name the servers' links to the database as database or server N"
		}
		if t.Kind == TargetPostgres {
			msg += ": PostgreSQL can only be restarted"
		}
		return t, fmt.Errorf("target %q: %s", text, msg)
	}
	switch t.Kind {
	case TargetWorker, TargetLink:
		var all []string
		for _, z := range s.Cluster.Zones {
			all = append(all, z.WorkerNames()...)
		}
		if !slices.Contains(all, t.Name) {
			return t, fmt.Errorf("target %q: no worker %q in the cluster (workers: %s)", text, t.Name, strings.Join(all, ", "))
		}
	case TargetZone:
		if !slices.ContainsFunc(s.Cluster.Zones, func(z ZoneSpec) bool { return z.Name == t.Name }) {
			return t, fmt.Errorf("target %q: no zone %q in cluster.zones", text, t.Name)
		}
	case TargetServer:
		n, err := strconv.Atoi(t.Name)
		if err != nil || n < 1 || n > s.Cluster.Servers {
			return t, fmt.Errorf("target %q: servers are numbered 1 to %d", text, s.Cluster.Servers)
		}
	case TargetWorkflow:
		var names []string
		for _, l := range s.Workload {
			if l.Definition != nil {
				names = append(names, l.Definition.Name)
			}
		}
		if !slices.Contains(names, t.Name) {
			return t, fmt.Errorf("target %q: no workflow %q in the workload (%s)", text, t.Name, strings.Join(names, ", "))
		}
	case TargetPostgres:
		if !s.Database.Private {
			return t, fmt.Errorf("target %q: restarting PostgreSQL needs the harness's own server (database: {private: true})", text)
		}
	}
	return t, nil
}

func exampleTarget(s *Scenario, kind TargetKind) string {
	switch kind {
	case TargetServer:
		return "server 1"
	case TargetZone:
		if len(s.Cluster.Zones) > 0 {
			return "zone " + s.Cluster.Zones[0].Name
		}
	case TargetWorker:
		if len(s.Cluster.Zones) > 0 && s.Cluster.Zones[0].Workers > 0 {
			return "worker " + s.Cluster.Zones[0].WorkerNames()[0]
		}
	}
	return string(kind) + " NAME"
}
