package chaos

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/baton-sched/baton/client"
)

// evidence is everything the checks look at, gathered once the workload
// settled: the runs and attempts from the database (through the API),
// the event log, the alerts received, the witness file and what the
// harness did and when.
type evidence struct {
	sc *Scenario
	// started are the runs the workload started, by ID.
	started map[int64]startedRun
	// runs are every run of the workload's workflows (scheduled ones too).
	runs    []runEvidence
	events  []client.Event
	workers map[string]client.Worker // by ID, lost and stopped ones too
	witness Witness
	alerts  []Alert
	// alertsFrom: events from then on must have reached the alert channel.
	alertsFrom time.Time
	// appliedAt and pausedAt bound the time the schedules ran.
	appliedAt, pausedAt time.Time
	// cuts are when each worker (by name; "" for all) was cut off from
	// the servers by a fault.
	cuts     map[string][]cut
	faults   []FaultEvent
	startErr []error
	// t0 is the start of the timeline.
	t0 time.Time
	// unavailable are when each worker took no new work by an operator's
	// order; slotSets the slot sizes the timeline set; slots the slots
	// at the end.
	unavailable map[string][]cut
	slotSets    []slotSet
	slots       []client.Slot
	// refusals are what became of the loads that expect a refusal, and
	// stored what each left in the database (empty: nothing).
	refusals []Refusal
	stored   map[int]string
}

// runEvidence is a run with its tasks and every attempt.
type runEvidence struct {
	client.RunDetail
	Attempts []client.Attempt // by task, then number
}

// gather reads the evidence, first waiting (briefly) for alerts still on
// their way.
func (r *runner) gather(ctx context.Context, witness string) (*evidence, error) {
	ev := &evidence{sc: r.sc, started: map[int64]startedRun{}, workers: map[string]client.Worker{},
		alertsFrom: r.channelAt.Add(subscriptionDelay), appliedAt: r.appliedAt, pausedAt: r.pausedAt}
	for _, s := range r.load.started() {
		ev.started[s.ID] = s
	}
	r.load.mu.Lock()
	ev.startErr = slices.Clone(r.load.errs)
	ev.refusals = slices.Clone(r.load.refusals)
	r.load.mu.Unlock()
	if err := r.storedByRefusals(ctx, ev); err != nil {
		return nil, err
	}
	r.in.mu.Lock()
	ev.cuts, ev.faults = r.in.cuts, slices.Clone(r.in.events)
	ev.unavailable, ev.slotSets, ev.t0 = r.in.unavailable, slices.Clone(r.in.slotSets), r.in.t0
	r.in.mu.Unlock()

	// Some events come a little after the work settled (zone.up is
	// recorded by the leader's zone monitor), and alerts are delivered at
	// least once, with back-off: wait until the events expected are there
	// and no alert is missing, or long enough for a few tries.
	deadline := time.Now().Add(30 * time.Second)
	for {
		events, err := allEvents(ctx, r.api)
		if err != nil {
			return nil, err
		}
		ev.events, ev.alerts = events, r.sink.Alerts()
		if len(missingAlerts(ev)) == 0 && eventsReached(ev) || time.Now().After(deadline) {
			break
		}
		if err := client.Wait(ctx, 500*time.Millisecond); err != nil { // poll interval
			return nil, err
		}
	}
	for _, name := range r.workflows() {
		runs, err := listRuns(ctx, r.api, name)
		if err != nil {
			return nil, err
		}
		for _, run := range runs {
			re := runEvidence{}
			err := retry(ctx, 30*time.Second, func(ctx context.Context) (err error) {
				if re.RunDetail, err = r.api.Run(ctx, run.ID); err != nil {
					return err
				}
				re.Attempts, err = r.api.Attempts(ctx, run.ID)
				return err
			})
			if err != nil {
				return nil, fmt.Errorf("run %d: %w", run.ID, err)
			}
			slices.SortFunc(re.Attempts, func(a, b client.Attempt) int {
				if c := strings.Compare(a.Task, b.Task); c != 0 {
					return c
				}
				return int(a.Number - b.Number)
			})
			ev.runs = append(ev.runs, re)
		}
	}
	slices.SortFunc(ev.runs, func(a, b runEvidence) int { return int(a.ID - b.ID) })
	var ws []client.Worker
	err := retry(ctx, 30*time.Second, func(ctx context.Context) (err error) {
		ws, err = r.api.Workers(ctx, true)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list workers: %w", err)
	}
	for _, w := range ws {
		ev.workers[w.ID] = w
	}
	if r.sc.Expect.Limits {
		err := retry(ctx, 30*time.Second, func(ctx context.Context) (err error) {
			ev.slots, err = r.api.Slots(ctx)
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("list slots: %w", err)
		}
	}
	if ev.witness, err = ReadWitness(witness); err != nil {
		return nil, err
	}
	return ev, nil
}

// storedByRefusals looks for what the refused requests may have left:
// the workflow of a refused apply, runs of a refused start (when no other
// load starts runs of that workflow).
func (r *runner) storedByRefusals(ctx context.Context, ev *evidence) error {
	ev.stored = map[int]string{}
	for _, ref := range ev.refusals {
		l := r.sc.Workload[ref.Load]
		name := l.Definition.Name
		switch ref.Step {
		case "apply":
			err := retry(ctx, 30*time.Second, func(ctx context.Context) error {
				_, err := r.api.Workflow(ctx, name)
				return err
			})
			switch {
			case err == nil:
				ev.stored[ref.Load] = "workflow " + name + " exists"
			case !client.IsNotFound(err):
				return fmt.Errorf("workflow %s: %w", name, err)
			}
		case "start":
			shared := slices.ContainsFunc(r.sc.Workload, func(o Load) bool {
				return o.Refused == "" && o.Definition.Name == name
			})
			if shared {
				continue
			}
			runs, err := listRuns(ctx, r.api, name)
			if err != nil {
				return err
			}
			if len(runs) > 0 {
				ev.stored[ref.Load] = fmt.Sprintf("%d runs of %s exist", len(runs), name)
			}
		}
	}
	return nil
}

// eventsReached reports whether the event log holds at least as many
// events of each kind as the expectations need (fewer can only grow).
func eventsReached(ev *evidence) bool {
	for _, want := range ev.sc.Expect.Events {
		need := want.N
		switch want.Op {
		case ">":
			need++
		case "<", "<=":
			continue
		}
		if countEventsIn(ev, want) < need {
			return false
		}
	}
	return true
}

// countEvents counts the events of a kind (or prefix.*).
func countEvents(ev *evidence, kind string) int {
	return countEventsIn(ev, EventCount{Kind: kind})
}

// countEventsIn counts the events of want's kind in want's window, if
// it has one.
func countEventsIn(ev *evidence, want EventCount) int {
	n := 0
	for _, e := range ev.events {
		if !matchKind(e.Kind, want.Kind) {
			continue
		}
		if want.Window {
			at := e.At.Sub(ev.t0)
			if at < want.From || want.To > 0 && at >= want.To {
				continue
			}
		}
		n++
	}
	return n
}

// allEvents reads the whole event log.
func allEvents(ctx context.Context, api *client.Client) ([]client.Event, error) {
	var out []client.Event
	f := client.EventFilter{Limit: 10000}
	for {
		var page client.Page[client.Event]
		err := retry(ctx, 30*time.Second, func(ctx context.Context) (err error) {
			page, err = api.Events(ctx, f)
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("read events: %w", err)
		}
		out = append(out, page.Items...)
		if page.Next == "" || len(page.Items) == 0 {
			return out, nil
		}
		f.After = page.Items[len(page.Items)-1].ID
	}
}

// tasks groups a run's attempts by task name.
func (re runEvidence) tasks() map[string][]client.Attempt {
	out := map[string][]client.Attempt{}
	for _, a := range re.Attempts {
		out[a.Task] = append(out[a.Task], a)
	}
	return out
}

// task returns the run's task of that name.
func (re runEvidence) task(name string) (client.Task, bool) {
	for _, t := range re.Tasks {
		if t.Name == name {
			return t, true
		}
	}
	return client.Task{}, false
}

// matchKind reports whether an event kind matches a subscription: the
// kind itself or a prefix ("zone.*").
func matchKind(kind, pattern string) bool {
	if prefix, ok := strings.CutSuffix(pattern, "*"); ok {
		return strings.HasPrefix(kind, prefix)
	}
	return kind == pattern
}
