package chaos

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"syscall"
	"time"

	"github.com/baton-sched/baton/client"
)

// FaultEvent is one thing the harness did to the cluster, for the report.
type FaultEvent struct {
	// At is the time from the start of the timeline.
	At     Millis `json:"at_ms"`
	Fault  int    `json:"fault"` // index in the scenario's faults, -1 for the harness's own actions
	Action string `json:"action"`
	Err    string `json:"error,omitempty"`
}

// injector carries out the fault timeline of a scenario on a cluster.
type injector struct {
	c   *Cluster
	pg  *Postgres
	sc  *Scenario
	api *client.Client
	log *slog.Logger
	t0  time.Time

	mu     sync.Mutex
	events []FaultEvent
	// cuts are when each worker (by name; "" for every worker: database
	// faults) was cut off from the servers.
	cuts map[string][]cut
	// unavailable are when each worker (by name) took no new work by an
	// operator's order (its zone cordoned or drained, itself drained).
	unavailable map[string][]cut
	// slotSets are the slot sizes set by the timeline, in order.
	slotSets []slotSet
	// paused are the runs the timeline paused and has not resumed;
	// cordoned the zones it cordoned or drained and has not uncordoned.
	paused   []int64
	cordoned map[string]bool
}

// slotSet is a slot size set at a time.
type slotSet struct {
	Slot string
	Size int64
	At   time.Time
}

// cut is a time a worker could not reach the servers (killed, stopped,
// partitioned, restarting, or the database gone): from From to To, zero
// when it never came back.
type cut struct{ From, To time.Time }

func newInjector(c *Cluster, pg *Postgres, sc *Scenario, log *slog.Logger) *injector {
	return &injector{c: c, pg: pg, sc: sc, log: log, cuts: map[string][]cut{}, unavailable: map[string][]cut{},
		cordoned: map[string]bool{}}
}

// record notes an action and its outcome; it returns err.
func (in *injector) record(fault int, action string, err error) error {
	ev := FaultEvent{At: Millis(time.Since(in.t0)), Fault: fault, Action: action}
	if err != nil {
		ev.Err = err.Error()
		in.log.Error("fault", "fault", fault, "action", action, "err", err)
	} else {
		in.log.Info("fault", "fault", fault, "action", action, "at", ev.At)
	}
	in.mu.Lock()
	in.events = append(in.events, ev)
	in.mu.Unlock()
	return err
}

// cutKey names whose contact with the servers a fault on u cuts: a
// worker's, or everyone's ("") for the database and its links; servers
// cut nobody off (workers use the others).
func cutKey(u unit) (string, bool) {
	switch {
	case u.workerLink != nil:
		return "", false // the worker still has its other servers
	case u.worker != nil:
		return u.worker.Name, true
	case u.link != nil || u.pg != nil:
		return "", true
	}
	return "", false
}

// cutOff notes that u lost contact with the servers now.
func (in *injector) cutOff(u unit) {
	key, ok := cutKey(u)
	if !ok {
		return
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	in.cuts[key] = append(in.cuts[key], cut{From: time.Now()})
}

// reconnect notes that u is back in contact now.
func (in *injector) reconnect(u unit) {
	if key, ok := cutKey(u); ok {
		in.reconnectKey(key)
	}
}

func (in *injector) reconnectKey(key string) {
	in.mu.Lock()
	defer in.mu.Unlock()
	if cs := in.cuts[key]; len(cs) > 0 && cs[len(cs)-1].To.IsZero() {
		cs[len(cs)-1].To = time.Now()
	}
}

// unit is one thing a fault acts on: a worker (with its links), a
// server, a server's link to the database, or PostgreSQL.
type unit struct {
	name   string
	worker *Worker
	server *Server
	link   *Link // a server's database link
	pg     *Postgres
	// workerLink is one link of worker (to one server).
	workerLink *Link
}

// units expands a fault's targets into the units it acts on, in order,
// each once.
func (in *injector) units(f Fault) ([]unit, error) {
	var out []unit
	add := func(u unit) {
		if !slices.ContainsFunc(out, func(o unit) bool { return o.name == u.name }) {
			out = append(out, u)
		}
	}
	links := f.Kind.onLinks()
	servers := in.c.Servers()
	for _, t := range f.Targets {
		switch t.Kind {
		case TargetWorker:
			w := in.c.Worker(t.Name)
			if w == nil {
				return nil, fmt.Errorf("no worker %s", t.Name)
			}
			add(unit{name: "worker " + w.Name, worker: w})
		case TargetZone:
			for _, w := range in.c.ZoneWorkers(t.Name) {
				add(unit{name: "worker " + w.Name, worker: w})
			}
		case TargetWorkers:
			for _, w := range in.c.Workers() {
				add(unit{name: "worker " + w.Name, worker: w})
			}
		case TargetServer, TargetServers, TargetDatabase:
			for i, s := range servers {
				if t.Kind == TargetServer && fmt.Sprint(i+1) != t.Name {
					continue
				}
				if links || t.Kind == TargetDatabase {
					add(unit{name: fmt.Sprintf("server %d database link", i+1), link: s.DBLink})
				} else {
					add(unit{name: fmt.Sprintf("server %d", i+1), server: s})
				}
			}
		case TargetLink:
			w := in.c.Worker(t.Name)
			if w == nil || t.Server < 1 || t.Server > len(w.Links) {
				return nil, fmt.Errorf("no link from worker %s to server %d", t.Name, t.Server)
			}
			add(unit{name: fmt.Sprintf("link %s->server %d", w.Name, t.Server), worker: w, workerLink: w.Links[t.Server-1]})
		case TargetBusiest:
			return nil, errors.New("the busiest worker was not resolved")
		case TargetPostgres:
			if in.pg == nil {
				return nil, errors.New("no private PostgreSQL server")
			}
			add(unit{name: "postgres", pg: in.pg})
		}
	}
	return out, nil
}

// run waits for the fault's start, then applies it Repeat times. wait
// returns the fault to apply (its busiest target resolved to a worker).
func (in *injector) run(ctx context.Context, f Fault, wait func(context.Context, Fault) (Fault, error)) error {
	f, err := wait(ctx, f)
	if err != nil {
		return in.record(f.Index, fmt.Sprintf("%s never started", f), err)
	}
	if f.Kind.Operator() {
		var errs []error
		for r := range f.Repeat {
			if r > 0 && sleep(ctx, f.Gap) != nil {
				break
			}
			errs = append(errs, in.operate(ctx, f))
		}
		return errors.Join(errs...)
	}
	units, err := in.units(f)
	if err != nil {
		return in.record(f.Index, f.String(), err)
	}
	var errs []error
	for r := range f.Repeat {
		if r > 0 && sleep(ctx, f.Gap) != nil {
			break
		}
		if f.Rolling {
			for i, u := range units {
				if i > 0 && sleep(ctx, f.Gap) != nil {
					break
				}
				errs = append(errs, in.apply(ctx, f, []unit{u}))
			}
		} else {
			errs = append(errs, in.apply(ctx, f, units))
		}
	}
	return errors.Join(errs...)
}

// apply does the fault to units at once, holds it for f.For and undoes it.
func (in *injector) apply(ctx context.Context, f Fault, units []unit) error {
	if f.Kind == FaultRestart {
		return in.each(units, func(_ int, u unit) error { return in.restart(ctx, f, u) })
	}
	done := make([]bool, len(units))
	err := in.each(units, func(i int, u unit) error {
		err := in.record(f.Index, string(f.Kind)+" "+u.name, in.do(f, u))
		done[i] = err == nil
		return err
	})
	if f.For == 0 {
		return err
	}
	if sleep(ctx, f.For) != nil {
		return errors.Join(err, ctx.Err())
	}
	return errors.Join(err, in.each(units, func(i int, u unit) error {
		if !done[i] {
			return nil
		}
		return in.undo(ctx, f, u)
	}))
}

// each calls do for every unit at once and waits for them all.
func (in *injector) each(units []unit, do func(int, unit) error) error {
	errs := make([]error, len(units))
	var wg sync.WaitGroup
	for i, u := range units {
		wg.Go(func() { errs[i] = do(i, u) })
	}
	wg.Wait()
	return errors.Join(errs...)
}

// do starts a fault on one unit.
func (in *injector) do(f Fault, u unit) error {
	switch f.Kind {
	case FaultKill, FaultStop, FaultCont:
		sig := map[FaultKind]syscall.Signal{FaultKill: syscall.SIGKILL, FaultStop: syscall.SIGSTOP, FaultCont: syscall.SIGCONT}[f.Kind]
		p := u.process()
		if p == nil {
			return fmt.Errorf("%s: not a process", u.name)
		}
		if f.Kind == FaultCont {
			defer in.reconnect(u)
		} else {
			in.cutOff(u)
		}
		if f.Kind == FaultKill {
			return p.Kill()
		}
		return p.Signal(sig)
	case FaultPartition:
		in.cutOff(u)
		return u.eachLink(func(l *Link) error {
			if f.Reset {
				l.Cut()
				return nil
			}
			return l.PartitionWay(f.Direction)
		})
	case FaultLatency:
		return u.eachLink(func(l *Link) error { return l.SlowWay(f.Latency, f.Jitter, f.Direction) })
	case FaultLoss:
		return u.eachLink(func(l *Link) error { return l.Lose(f.Loss, f.Retransmit, f.Direction) })
	}
	return fmt.Errorf("%s: cannot %s", u.name, f.Kind)
}

// undo ends a fault on one unit after its duration.
func (in *injector) undo(ctx context.Context, f Fault, u unit) error {
	defer in.reconnect(u)
	switch f.Kind {
	case FaultKill:
		return in.record(f.Index, "start "+u.name, in.startAgain(ctx, u))
	case FaultStop:
		return in.record(f.Index, "cont "+u.name, u.process().Thaw())
	case FaultPartition:
		return in.record(f.Index, "heal "+u.name, u.eachLink(func(l *Link) error {
			if f.Reset {
				return l.Restore()
			}
			return l.Heal()
		}))
	case FaultLatency:
		return in.record(f.Index, "unslow "+u.name, u.eachLink(func(l *Link) error { return l.Unslow() }))
	case FaultLoss:
		return in.record(f.Index, "unlose "+u.name, u.eachLink(func(l *Link) error { return l.Unlose() }))
	}
	return nil
}

// restart stops a unit (SIGTERM or SIGKILL), keeps it down for f.Down and
// starts it again, waiting until it serves.
func (in *injector) restart(ctx context.Context, f Fault, u unit) error {
	in.cutOff(u)
	defer in.reconnect(u)
	if u.pg != nil {
		down, err := u.pg.Restart(ctx, f.Down)
		return in.record(f.Index, fmt.Sprintf("restart postgres (down %v)", down.Round(time.Millisecond)), err)
	}
	p := u.process()
	var err error
	if f.Signal == "kill" {
		err = p.Kill()
	} else {
		// A worker lets its tasks finish for up to 30 s before it exits.
		err = p.Terminate(45 * time.Second)
	}
	if in.record(f.Index, "stop "+u.name, err) != nil && p.Running() {
		return err
	}
	if sleep(ctx, f.Down) != nil {
		return ctx.Err()
	}
	return in.record(f.Index, "start "+u.name, in.startAgain(ctx, u))
}

// startAgain starts a process that was stopped, waiting until it serves.
func (in *injector) startAgain(ctx context.Context, u unit) error {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	switch {
	case u.worker != nil:
		return in.c.RestartWorker(ctx, u.worker)
	case u.server != nil:
		return in.c.StartServer(ctx, u.server)
	}
	return fmt.Errorf("%s: not a process", u.name)
}

func (u unit) process() *Process {
	switch {
	case u.worker != nil:
		return u.worker.Process
	case u.server != nil:
		return u.server.Process
	}
	return nil
}

// eachLink calls do for every link of the unit: a worker's links to
// every server, or a server's link to the database.
func (u unit) eachLink(do func(*Link) error) error {
	var links []*Link
	switch {
	case u.workerLink != nil:
		links = []*Link{u.workerLink}
	case u.worker != nil:
		links = u.worker.Links
	case u.link != nil:
		links = []*Link{u.link}
	default:
		return fmt.Errorf("%s: no links", u.name)
	}
	var errs []error
	for _, l := range links {
		errs = append(errs, do(l))
	}
	return errors.Join(errs...)
}

// restore undoes what the timeline left so that the outcome can settle
// and be read: it thaws every process, heals and unslows every link and
// starts the database if it is down. Processes killed for good stay down,
// servers too unless none is left, in which case they are all started.
func (in *injector) restore(ctx context.Context) error {
	var errs []error
	for _, w := range in.c.Workers() {
		if w.Running() {
			errs = append(errs, w.Thaw())
			in.reconnect(unit{worker: w})
		}
		for _, l := range w.Links {
			errs = append(errs, l.Heal(), l.Unslow(), l.Unlose(), l.Restore())
		}
	}
	defer in.reconnectKey("") // the database and its links are back
	if in.pg != nil && !in.pg.Running() {
		errs = append(errs, in.record(-1, "start postgres", in.pg.start(ctx)))
	}
	alive := false
	for _, s := range in.c.Servers() {
		if s.DBLink != nil {
			errs = append(errs, s.DBLink.Heal(), s.DBLink.Unslow(), s.DBLink.Unlose(), s.DBLink.Restore())
		}
		if s.Running() {
			alive = true
			errs = append(errs, s.Thaw())
		}
	}
	for i, s := range in.c.Servers() {
		if !alive {
			errs = append(errs, in.record(-1, fmt.Sprintf("start server %d (none was left)", i+1), in.startAgain(ctx, unit{server: s})))
		}
	}
	errs = append(errs, in.restoreOperations(ctx))
	return errors.Join(errs...)
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	return sleepUntil(ctx, time.Now().Add(d))
}
