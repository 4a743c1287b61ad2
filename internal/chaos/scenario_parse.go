package chaos

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v4"

	"github.com/baton-sched/baton/internal/workflow"
)

// LoadScenario reads a scenario file and checks it whole: every problem
// (unknown field, unknown fault kind or target, bad duration, workflow
// file that does not parse) is reported with its field and line, in a
// *ScenarioError. Workflow files are found relative to the scenario's
// directory. With short, the file's `short:` block is laid over it; the
// block is checked either way.
func LoadScenario(path string, short bool) (*Scenario, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read scenario: %w", err)
	}
	return ParseScenario(path, data, short)
}

// ParseScenario is LoadScenario of data read from file.
func ParseScenario(file string, data []byte, short bool) (*Scenario, error) {
	var doc yaml.Node
	if err := yaml.NewDecoder(bytes.NewReader(data)).Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, &ScenarioError{File: file, Problems: []Problem{{Message: "empty scenario file"}}}
		}
		return nil, &ScenarioError{File: file, Problems: []Problem{{Line: yamlErrorLine(err), Message: yamlErrorText(err)}}}
	}
	root := resolve(doc.Content[0])
	if root.Kind != yaml.MappingNode {
		return nil, &ScenarioError{File: file, Problems: []Problem{{Line: root.Line,
			Message: "a scenario is a mapping of name, cluster, database, workload, faults, expect, ..."}}}
	}
	base, overlay := splitShort(root)
	p := &parser{file: file, dir: filepath.Dir(file), workflows: map[string]*workflow.Definition{}}
	full := p.scenario(&p.decoder, base)
	var shortForm *Scenario
	if overlay != nil {
		if resolve(overlay).Kind != yaml.MappingNode {
			p.addf(overlay, "short", "want a mapping of the fields to change in the short form, got %s", describe(resolve(overlay)))
		} else {
			d := &decoder{}
			shortForm = p.scenario(d, merge(base, overlay))
			p.adopt(d, overlay)
		}
	}
	if err := p.err(file); err != nil {
		return nil, err
	}
	if short && shortForm != nil {
		shortForm.Short = true
		return shortForm, nil
	}
	full.Short = short
	return full, nil
}

// yamlErrorLine digs the line out of a YAML syntax error ("yaml: line 3: ...").
func yamlErrorLine(err error) int {
	m := regexp.MustCompile(`line (\d+)`).FindStringSubmatch(err.Error())
	if m == nil {
		return 0
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

func yamlErrorText(err error) string {
	s := strings.TrimPrefix(err.Error(), "yaml: ")
	return regexp.MustCompile(`^line \d+: `).ReplaceAllString(s, "")
}

// splitShort returns the scenario without its short block, and the block.
func splitShort(root *yaml.Node) (base, overlay *yaml.Node) {
	out := *root
	out.Content = nil
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value == "short" {
			overlay = root.Content[i+1]
			continue
		}
		out.Content = append(out.Content, root.Content[i], root.Content[i+1])
	}
	return &out, overlay
}

// parser reads one scenario file.
type parser struct {
	decoder
	file, dir string
	// workflows caches parsed workflow files by path.
	workflows map[string]*workflow.Definition
}

// adopt takes the problems of the short form that the full form does not
// have: those in the short block name it in their path; others arise
// from combining it with the rest.
func (p *parser) adopt(d *decoder, overlay *yaml.Node) {
	lines := map[int]bool{}
	var mark func(n *yaml.Node)
	mark = func(n *yaml.Node) {
		if n == nil {
			return
		}
		lines[n.Line] = true
		for _, c := range n.Content {
			mark(c)
		}
	}
	mark(overlay)
	for _, pr := range d.problems {
		if slices.Contains(p.problems, pr) {
			continue
		}
		if lines[pr.Line] {
			pr.Path = join("short", pr.Path)
		} else {
			pr.Message = "in the short form: " + pr.Message
		}
		p.problems = append(p.problems, pr)
	}
}

// The fields of each part of a scenario.
var (
	scenarioFields = []string{"name", "description", "cluster", "database", "witness_tick", "workload", "duration",
		"settle", "faults", "expect", "short"}
	clusterFields  = []string{"servers", "timing", "max_lost", "zones", "server_order", "tls", "workers_commit"}
	timingFields   = []string{"lease_ttl", "heartbeat_interval", "sweep_interval"}
	zoneFields     = []string{"name", "workers", "capacity", "group", "labels", "servers"}
	databaseFields = []string{"dsn", "admin", "private"}
	loadFields     = []string{"workflow", "runs", "rate", "at", "priority", "params", "batch", "tasks", "as", "refused"}
	expectFields   = []string{"runs", "max_overlap", "failover", "events", "phases", "alerts", "priority_order", "ended_once",
		"liveness", "limits", "heartbeats"}
	heartbeatFields = []string{"p99", "max", "failed"}
	phaseFields     = []string{"from", "to", "events"}
	livenessFields  = []string{"max_gap", "p99_wait"}
	failoverFields  = []string{"p50", "p99", "max", "min"}
	runStates       = []string{"succeeded", "failed", "cancelled", "terminal"}
)

// scenario decodes a whole scenario (without its short block).
func (p *parser) scenario(d *decoder, root *yaml.Node) *Scenario {
	f := d.fields(root, "", scenarioFields...)
	s := &Scenario{File: p.file, WitnessTick: defaultWitnessTick, Settle: defaultSettle}
	s.Name = strings.TrimSuffix(filepath.Base(p.file), filepath.Ext(p.file))
	if v, ok := f["name"]; ok {
		s.Name = d.str(v.value, "name")
	}
	if v, ok := f["description"]; ok {
		s.Description, _ = d.scalar(v.value, "description", "a string")
	}
	s.Cluster = p.cluster(d, f["cluster"])
	s.Database = p.database(d, f["database"])
	if v, ok := f["witness_tick"]; ok {
		if s.WitnessTick = d.duration(v.value, "witness_tick"); s.WitnessTick < 10*time.Millisecond && s.WitnessTick > 0 {
			d.addf(v.value, "witness_tick", "must be at least 10ms")
		}
	}
	if v, ok := f["duration"]; ok {
		s.Duration = d.duration(v.value, "duration")
	}
	if v, ok := f["settle"]; ok {
		s.Settle = d.duration(v.value, "settle")
	}
	for i, n := range d.list(f["workload"].value, "workload") {
		s.Workload = append(s.Workload, p.load(d, n, index("workload", i)))
	}
	if len(s.Workload) == 0 {
		d.addf(keyOr(f, "workload", root), "workload", "give at least one workflow to run")
	}
	p.checkWorkflowNames(d, s, f["workload"].value)
	for i, n := range d.list(f["faults"].value, "faults") {
		s.Faults = append(s.Faults, p.fault(d, s, n, i))
	}
	s.Expect = p.expect(d, s, f["expect"].value)
	return s
}

// keyOr is the key node of a field, else fallback (for a missing field,
// the mapping that should hold it).
func keyOr(f map[string]field, name string, fallback *yaml.Node) *yaml.Node {
	if v, ok := f[name]; ok {
		return v.key
	}
	return fallback
}

func (p *parser) cluster(d *decoder, fl field) ClusterSpec {
	c := ClusterSpec{Servers: 1}
	if fl.value == nil {
		d.addf(nil, "cluster", "missing: give at least cluster.zones")
		return c
	}
	f := d.fields(fl.value, "cluster", clusterFields...)
	if v, ok := f["servers"]; ok {
		c.Servers = d.integer(v.value, "cluster.servers", 1)
	}
	if v, ok := f["max_lost"]; ok {
		c.MaxLost = d.integer(v.value, "cluster.max_lost", 1)
	}
	if v, ok := f["tls"]; ok {
		c.PlainHTTP = !d.boolean(v.value, "cluster.tls")
	}
	if v, ok := f["workers_commit"]; ok {
		if c.WorkersCommit = d.str(v.value, "cluster.workers_commit"); !isCommit(c.WorkersCommit) {
			d.addf(v.value, "cluster.workers_commit", "want a commit hash of Baton's repository (7 to 40 hex digits), got %q",
				c.WorkersCommit)
		}
	}
	if v, ok := f["timing"]; ok {
		t := d.fields(v.value, "cluster.timing", timingFields...)
		for name, dst := range map[string]*time.Duration{"lease_ttl": &c.Timing.LeaseTTL,
			"heartbeat_interval": &c.Timing.HeartbeatInterval, "sweep_interval": &c.Timing.SweepInterval} {
			if tv, ok := t[name]; ok {
				if *dst = d.duration(tv.value, "cluster.timing."+name); *dst == 0 {
					d.addf(tv.value, "cluster.timing."+name, "must be more than 0")
				}
			}
		}
		lease := cmp.Or(c.Timing.LeaseTTL, 3*time.Second)
		if hb := cmp.Or(c.Timing.HeartbeatInterval, time.Second); hb >= lease {
			d.addf(v.value, "cluster.timing", "heartbeat_interval (%v) must be shorter than lease_ttl (%v)", hb, lease)
		}
	}
	c.ServerOrder = OrderGiven
	if v, ok := f["server_order"]; ok {
		if c.ServerOrder = d.str(v.value, "cluster.server_order"); c.ServerOrder != OrderGiven && c.ServerOrder != OrderSpread {
			d.addf(v.value, "cluster.server_order", "unknown server order %q (want given or spread)", c.ServerOrder)
		}
	}
	zones := d.list(f["zones"].value, "cluster.zones")
	if len(zones) == 0 {
		d.addf(keyOr(f, "zones", fl.value), "cluster.zones", "give at least one zone with its workers")
	}
	for i, n := range zones {
		path := index("cluster.zones", i)
		zf := d.fields(n, path, zoneFields...)
		z := ZoneSpec{Workers: 1, Capacity: defaultCapacity}
		if v, ok := zf["name"]; ok {
			z.Name = d.str(v.value, path+".name")
			if err := workflow.CheckZone(z.Name); err != nil && z.Name != "" {
				d.addf(v.value, path+".name", "%v", err)
			}
			if slices.ContainsFunc(c.Zones, func(o ZoneSpec) bool { return o.Name == z.Name }) {
				d.addf(v.value, path+".name", "zone %q given twice", z.Name)
			}
		} else {
			d.addf(n, path, `missing required field "name"`)
		}
		if v, ok := zf["workers"]; ok {
			z.Workers = d.integer(v.value, path+".workers", 0)
		}
		if v, ok := zf["capacity"]; ok {
			z.Capacity = d.number(v.value, path+".capacity", false)
		}
		if v, ok := zf["group"]; ok {
			z.Group = d.str(v.value, path+".group")
		}
		if v, ok := zf["labels"]; ok {
			z.Labels = d.stringMap(v.value, path+".labels")
			if err := workflow.CheckLabels(z.Labels); err != nil {
				d.addf(v.value, path+".labels", "%v", err)
			}
		}
		if v, ok := zf["servers"]; ok {
			z.Servers = p.serverOrder(d, v.value, path+".servers", c.Servers)
		}
		c.Zones = append(c.Zones, z)
	}
	return c
}

// serverOrder reads a list of server numbers: each server once.
func (p *parser) serverOrder(d *decoder, n *yaml.Node, path string, servers int) []int {
	var out []int
	for i, item := range d.list(n, path) {
		k := d.integer(item, index(path, i), 1)
		switch {
		case k > servers:
			d.addf(item, index(path, i), "servers are numbered 1 to %d", servers)
		case slices.Contains(out, k):
			d.addf(item, index(path, i), "server %d given twice", k)
		}
		out = append(out, k)
	}
	if len(out) == 0 {
		d.addf(n, path, "list the servers in the order the zone's workers try them, e.g. [2, 1]")
	}
	return out
}

func (p *parser) database(d *decoder, fl field) DatabaseSpec {
	var db DatabaseSpec
	if fl.value == nil {
		return db
	}
	f := d.fields(fl.value, "database", databaseFields...)
	if v, ok := f["dsn"]; ok {
		db.DSN = d.str(v.value, "database.dsn")
	}
	if v, ok := f["admin"]; ok {
		db.Admin = d.str(v.value, "database.admin")
	}
	if v, ok := f["private"]; ok {
		db.Private = d.boolean(v.value, "database.private")
	}
	for _, u := range []string{db.DSN, db.Admin} {
		if u != "" && !strings.HasPrefix(u, "postgres://") && !strings.HasPrefix(u, "postgresql://") {
			d.addf(fl.value, "database", "%q: want a postgres:// URL", u)
		}
	}
	switch {
	case db.DSN != "" && db.Admin != "":
		d.addf(f["admin"].key, "database.admin", "give dsn (a database to use as is) or admin (where to create a throwaway one), not both")
	case db.Private && (db.DSN != "" || db.Admin != ""):
		d.addf(f["private"].key, "database.private", "a private PostgreSQL server takes neither dsn nor admin")
	}
	return db
}

func (p *parser) load(d *decoder, n *yaml.Node, path string) Load {
	f := d.fields(n, path, loadFields...)
	l := Load{Line: resolve(n).Line, Batch: defaultBatch}
	if v, ok := f["batch"]; ok {
		l.Batch = d.integer(v.value, path+".batch", 1)
	}
	if v, ok := f["tasks"]; ok {
		l.Tasks = d.integer(v.value, path+".tasks", 1)
	}
	if v, ok := f["as"]; ok {
		l.As = d.str(v.value, path+".as")
	}
	if v, ok := f["refused"]; ok {
		l.Refused = d.str(v.value, path+".refused")
	}
	if v, ok := f["workflow"]; ok {
		l.Workflow = d.str(v.value, path+".workflow")
		if l.Workflow != "" {
			l.Path = l.Workflow
			if !filepath.IsAbs(l.Path) {
				l.Path = filepath.Join(p.dir, l.Path)
			}
			l.Definition = p.workflowAs(d, v.value, path+".workflow", l.Path, l.As, l.Tasks)
		}
	} else {
		d.addf(n, path, `missing required field "workflow" (a workflow file, relative to the scenario)`)
	}
	if v, ok := f["runs"]; ok {
		l.Runs = d.integer(v.value, path+".runs", 0)
	}
	if v, ok := f["rate"]; ok {
		l.Rate = p.rate(d, v.value, path+".rate")
	}
	if v, ok := f["at"]; ok {
		l.At = d.duration(v.value, path+".at")
	}
	if v, ok := f["priority"]; ok {
		l.Priority = int64(d.integer(v.value, path+".priority", -1<<31))
	}
	if v, ok := f["params"]; ok {
		l.Params = d.stringMap(v.value, path+".params")
	}
	if l.Definition != nil && l.Runs > 0 {
		if _, err := workflow.ResolveParams(l.Definition, l.Params); err != nil {
			d.addf(keyOr(f, "params", n), path+".params", "%v", err)
		}
	}
	return l
}

// rate reads runs per second: a number, or "N/s", "N/m".
func (p *parser) rate(d *decoder, n *yaml.Node, path string) float64 {
	s, ok := d.scalar(n, path, "a rate such as 10/s")
	if !ok {
		return 0
	}
	num, unit, _ := strings.Cut(s, "/")
	v, err := strconv.ParseFloat(strings.TrimSpace(num), 64)
	per := map[string]float64{"": 1, "s": 1, "m": 60, "min": 60}[strings.TrimSpace(unit)]
	if err != nil || per == 0 || v <= 0 {
		d.addf(n, path, "bad rate %q: want runs per second or minute, e.g. 10/s or 30/m", s)
		return 0
	}
	return v / per
}

// workflowAs parses a workflow file of the workload, renamed to as and
// made of tasks copies of its first task when they are set, once per
// variant.
func (p *parser) workflowAs(d *decoder, n *yaml.Node, path, file, as string, tasks int) *workflow.Definition {
	key := variantKey(file, as, tasks)
	if def, ok := p.workflows[key]; ok {
		return def
	}
	p.workflows[key] = nil
	src, err := os.ReadFile(file)
	if err != nil {
		d.addf(n, path, "%v", err)
		return nil
	}
	if src, err = expandWorkflow(src, as, tasks); err != nil {
		d.addf(n, path, "%v", err)
		return nil
	}
	def, err := workflow.Parse(file, src)
	if err != nil {
		d.addf(n, path, "workflow does not parse:\n%v", err)
		return nil
	}
	p.workflows[key] = def
	return def
}

// checkWorkflowNames refuses two different files defining one workflow.
func (p *parser) checkWorkflowNames(d *decoder, s *Scenario, n *yaml.Node) {
	byName := map[string]string{}
	for i, l := range s.Workload {
		if l.Definition == nil {
			continue
		}
		key := variantKey(l.Path, l.As, l.Tasks)
		if other, ok := byName[l.Definition.Name]; ok && other != key {
			d.addf(n, index("workload", i)+".workflow", "%s and %s both define workflow %q", other, key, l.Definition.Name)
		}
		byName[l.Definition.Name] = key
	}
}

func (p *parser) expect(d *decoder, s *Scenario, n *yaml.Node) Expect {
	e := Expect{Runs: map[string]string{"*": "succeeded"}, Alerts: DefaultAlerts}
	if isNull(n) {
		return e
	}
	f := d.fields(n, "expect", expectFields...)
	if v, ok := f["runs"]; ok {
		names := map[string]bool{"*": true}
		for _, l := range s.Workload {
			if l.Definition != nil {
				names[l.Definition.Name] = true
			}
		}
		if r := resolve(v.value); r != nil && r.Kind == yaml.MappingNode {
			for wf, state := range d.stringMap(r, "expect.runs") {
				if !names[wf] {
					d.addf(r, "expect.runs."+wf, "no workflow %q in the workload", wf)
				}
				e.Runs[wf] = p.runState(d, r, "expect.runs."+wf, state)
			}
		} else if state, ok := d.scalar(v.value, "expect.runs", "a run state or a mapping of workflow to state"); ok {
			e.Runs["*"] = p.runState(d, v.value, "expect.runs", state)
		}
	}
	if v, ok := f["max_overlap"]; ok {
		e.MaxOverlap = d.duration(v.value, "expect.max_overlap")
	}
	if v, ok := f["failover"]; ok {
		ff := d.fields(v.value, "expect.failover", failoverFields...)
		for name, dst := range map[string]*time.Duration{"p50": &e.Failover.P50, "p99": &e.Failover.P99, "max": &e.Failover.Max} {
			if fv, ok := ff[name]; ok {
				*dst = d.duration(fv.value, "expect.failover."+name)
			}
		}
		if fv, ok := ff["min"]; ok {
			e.Failover.Min = d.integer(fv.value, "expect.failover.min", 0)
		}
	}
	if v, ok := f["events"]; ok {
		e.Events = p.eventCounts(d, v.value, "expect.events", EventCount{})
	}
	for i, n := range d.list(f["phases"].value, "expect.phases") {
		path := index("expect.phases", i)
		pf := d.fields(n, path, phaseFields...)
		w := EventCount{Window: true}
		if v, ok := pf["from"]; ok {
			w.From = d.duration(v.value, path+".from")
		}
		if v, ok := pf["to"]; ok {
			if w.To = d.duration(v.value, path+".to"); w.To <= w.From {
				d.addf(v.value, path+".to", "must be after from (%v)", w.From)
			}
		}
		if v, ok := pf["events"]; ok {
			e.Events = append(e.Events, p.eventCounts(d, v.value, path+".events", w)...)
		} else {
			d.addf(n, path, "a phase needs events: the counts expected in its window")
		}
	}
	if v, ok := f["liveness"]; ok {
		lf := d.fields(v.value, "expect.liveness", livenessFields...)
		if lv, ok := lf["max_gap"]; ok {
			e.Liveness.MaxGap = d.duration(lv.value, "expect.liveness.max_gap")
		}
		if lv, ok := lf["p99_wait"]; ok {
			e.Liveness.P99Wait = d.duration(lv.value, "expect.liveness.p99_wait")
		}
	}
	if v, ok := f["limits"]; ok {
		e.Limits = d.boolean(v.value, "expect.limits")
	}
	if v, ok := f["heartbeats"]; ok {
		e.Heartbeats = &HeartbeatBound{}
		hf := d.fields(v.value, "expect.heartbeats", heartbeatFields...)
		if hv, ok := hf["p99"]; ok {
			e.Heartbeats.P99 = d.duration(hv.value, "expect.heartbeats.p99")
		}
		if hv, ok := hf["max"]; ok {
			e.Heartbeats.Max = d.duration(hv.value, "expect.heartbeats.max")
		}
		if hv, ok := hf["failed"]; ok {
			e.Heartbeats.Failed = d.integer(hv.value, "expect.heartbeats.failed", 0)
		}
	}
	if v, ok := f["alerts"]; ok {
		e.Alerts = d.stringList(v.value, "expect.alerts")
	}
	if v, ok := f["priority_order"]; ok {
		e.PriorityOrder = d.boolean(v.value, "expect.priority_order")
	}
	if v, ok := f["ended_once"]; ok {
		if r := resolve(v.value); r != nil && r.Kind == yaml.ScalarNode {
			e.EndedOnce = d.boolean(r, "expect.ended_once")
		} else {
			for i, wf := range d.stringList(v.value, "expect.ended_once") {
				if !slices.ContainsFunc(s.Workload, func(l Load) bool { return l.Definition != nil && l.Definition.Name == wf }) {
					d.addf(v.value, index("expect.ended_once", i), "no workflow %q in the workload", wf)
				}
				e.EndedOnceOf = append(e.EndedOnceOf, wf)
			}
		}
	}
	return e
}

// eventCounts reads a mapping of event kind to count bound, each with
// the window of base.
func (p *parser) eventCounts(d *decoder, n *yaml.Node, path string, base EventCount) []EventCount {
	r := resolve(n)
	var out []EventCount
	for kind, spec := range d.stringMap(r, path) {
		line := r.Line
		for i := 0; i+1 < len(r.Content); i += 2 {
			if r.Content[i].Value == kind {
				line = r.Content[i].Line
			}
		}
		ec, err := parseCount(spec)
		if err != nil {
			d.addf(&yaml.Node{Line: line}, path+"."+kind, "%v", err)
		}
		ec.Kind, ec.Line, ec.Window, ec.From, ec.To = kind, line, base.Window, base.From, base.To
		out = append(out, ec)
	}
	slices.SortFunc(out, func(a, b EventCount) int {
		return cmp.Or(cmp.Compare(a.Line, b.Line), strings.Compare(a.Kind, b.Kind))
	})
	return out
}

func (p *parser) runState(d *decoder, n *yaml.Node, path, state string) string {
	if !slices.Contains(runStates, state) {
		d.addf(n, path, "unknown run state %q (want %s)", state, strings.Join(runStates, ", "))
	}
	return state
}

// parseCount reads an event count bound: "3", ">= 1", "< 5".
func parseCount(s string) (EventCount, error) {
	s = strings.TrimSpace(s)
	ec := EventCount{Op: "=="}
	for _, op := range []string{">=", "<=", "==", ">", "<"} {
		if rest, ok := strings.CutPrefix(s, op); ok {
			ec.Op, s = op, strings.TrimSpace(rest)
			break
		}
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return ec, fmt.Errorf("bad count %q: want a number of events, optionally after >=, <=, >, < or ==", s)
	}
	ec.N = n
	return ec, nil
}

// isCommit reports whether s looks like a git commit hash.
func isCommit(s string) bool {
	if len(s) < 7 || len(s) > 40 {
		return false
	}
	for _, r := range s {
		if !strings.ContainsRune("0123456789abcdef", r) {
			return false
		}
	}
	return true
}
