package chaos

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/baton-sched/baton/client"
)

// operatorReason is the reason the harness gives its operator actions.
const operatorReason = "chaos: operator action of the timeline"

// operate carries out one operator action of the timeline through the
// API, as a person would, and records it.
func (in *injector) operate(ctx context.Context, f Fault) error {
	var errs []error
	for _, t := range f.Targets {
		errs = append(errs, in.operateOn(ctx, f, t))
	}
	return errors.Join(errs...)
}

func (in *injector) operateOn(ctx context.Context, f Fault, t Target) error {
	switch f.Kind {
	case FaultCordon, FaultUncordon:
		return in.zoneAction(ctx, f, t.Name, string(f.Kind))
	case FaultDrain:
		if t.Kind == TargetZone {
			return in.zoneAction(ctx, f, t.Name, "drain")
		}
		return in.drainWorker(ctx, f, t.Name)
	case FaultSlot:
		err := retry(ctx, 30*time.Second, func(ctx context.Context) error {
			_, err := in.api.SetSlot(ctx, client.Slot{Name: t.Name, Size: f.Size, Description: "set by a chaos scenario"})
			return err
		})
		if err == nil {
			in.mu.Lock()
			in.slotSets = append(in.slotSets, slotSet{Slot: t.Name, Size: f.Size, At: time.Now()})
			in.mu.Unlock()
		}
		return in.record(f.Index, fmt.Sprintf("slot %s size %d", t.Name, f.Size), err)
	case FaultCancel, FaultPause, FaultRerun:
		return in.runAction(ctx, f, t.Name)
	}
	return in.record(f.Index, f.String(), fmt.Errorf("%s is not an operator action", f.Kind))
}

// zoneAction cordons, uncordons or drains a zone; its workers take no
// new work until it is uncordoned.
func (in *injector) zoneAction(ctx context.Context, f Fault, zone, action string) error {
	err := retry(ctx, 30*time.Second, func(ctx context.Context) error {
		_, err := in.api.ZoneAction(ctx, zone, action, client.DrainRequest{Reschedule: f.Reschedule, Reason: operatorReason})
		return err
	})
	if err == nil {
		for _, w := range in.c.ZoneWorkers(zone) {
			if action == "uncordon" {
				in.available(w.Name)
			} else {
				in.unavailable1(w.Name)
			}
		}
	}
	return in.record(f.Index, action+" zone "+zone, err)
}

// drainWorker drains every live worker of a name.
func (in *injector) drainWorker(ctx context.Context, f Fault, name string) error {
	var ids []string
	err := retry(ctx, 30*time.Second, func(ctx context.Context) (err error) {
		ids, err = in.c.WorkerIDs(ctx, name)
		return err
	})
	if err == nil && len(ids) == 0 {
		err = fmt.Errorf("no live worker %s", name)
	}
	for _, id := range ids {
		err = errors.Join(err, retry(ctx, 30*time.Second, func(ctx context.Context) error {
			_, err := in.api.DrainWorker(ctx, id, client.DrainRequest{Reschedule: f.Reschedule, Reason: operatorReason})
			return err
		}))
	}
	if err == nil {
		in.unavailable1(name)
	}
	return in.record(f.Index, "drain worker "+name, err)
}

// runAction cancels, pauses (and after f.For resumes) or reruns f.Runs
// runs of a workflow: the oldest running ones (failed ones for rerun).
func (in *injector) runAction(ctx context.Context, f Fault, workflow string) error {
	want := "running"
	if f.Kind == FaultRerun {
		want = "failed"
	}
	runs, err := listRuns(ctx, in.api, workflow)
	if err != nil {
		return in.record(f.Index, fmt.Sprintf("%s runs of %s", f.Kind, workflow), err)
	}
	slices.SortFunc(runs, func(a, b client.Run) int { return int(a.ID - b.ID) })
	var picked []int64
	for _, r := range runs {
		if r.State == want && (f.Runs < 0 || len(picked) < f.Runs) {
			picked = append(picked, r.ID)
		}
	}
	if len(picked) == 0 {
		return in.record(f.Index, fmt.Sprintf("%s runs of %s", f.Kind, workflow), fmt.Errorf("no %s run of %s", want, workflow))
	}
	var errs []error
	for _, id := range picked {
		err := retry(ctx, 30*time.Second, func(ctx context.Context) error {
			var err error
			switch f.Kind {
			case FaultCancel:
				_, err = in.api.CancelRun(ctx, id, operatorReason)
			case FaultPause:
				_, err = in.api.PauseRun(ctx, id, "pause", operatorReason)
			case FaultRerun:
				_, err = in.api.Rerun(ctx, id, client.RerunRequest{Reason: operatorReason})
			}
			return err
		})
		if err == nil && f.Kind == FaultPause {
			in.mu.Lock()
			in.paused = append(in.paused, id)
			in.mu.Unlock()
		}
		errs = append(errs, in.record(f.Index, fmt.Sprintf("%s run %d of %s", f.Kind, id, workflow), err))
	}
	if f.Kind != FaultPause || f.For == 0 {
		return errors.Join(errs...)
	}
	if sleep(ctx, f.For) != nil {
		return errors.Join(append(errs, ctx.Err())...)
	}
	return errors.Join(append(errs, in.resume(ctx, f.Index, picked))...)
}

// resume resumes runs the timeline paused.
func (in *injector) resume(ctx context.Context, fault int, ids []int64) error {
	var errs []error
	for _, id := range ids {
		err := retry(ctx, 30*time.Second, func(ctx context.Context) error {
			_, err := in.api.PauseRun(ctx, id, "resume", operatorReason)
			return err
		})
		if err == nil {
			in.mu.Lock()
			in.paused = slices.DeleteFunc(in.paused, func(p int64) bool { return p == id })
			in.mu.Unlock()
		}
		errs = append(errs, in.record(fault, fmt.Sprintf("resume run %d", id), err))
	}
	return errors.Join(errs...)
}

// unavailable1 notes that a worker takes no new work from now on.
func (in *injector) unavailable1(name string) {
	in.mu.Lock()
	defer in.mu.Unlock()
	if cs := in.unavailable[name]; len(cs) == 0 || !cs[len(cs)-1].To.IsZero() {
		in.unavailable[name] = append(in.unavailable[name], cut{From: time.Now()})
	}
}

// available notes that a worker takes new work again.
func (in *injector) available(name string) {
	in.mu.Lock()
	defer in.mu.Unlock()
	if cs := in.unavailable[name]; len(cs) > 0 && cs[len(cs)-1].To.IsZero() {
		cs[len(cs)-1].To = time.Now()
	}
}

// restoreOperations resumes the runs the timeline left paused and
// uncordons the zones it left cordoned, so that the workload can settle.
func (in *injector) restoreOperations(ctx context.Context) error {
	in.mu.Lock()
	paused := slices.Clone(in.paused)
	var zones []string
	for _, z := range in.sc.Cluster.Zones {
		for _, name := range z.WorkerNames() {
			if cs := in.unavailable[name]; len(cs) > 0 && cs[len(cs)-1].To.IsZero() && !slices.Contains(zones, z.Name) {
				zones = append(zones, z.Name)
			}
		}
	}
	in.mu.Unlock()
	errs := []error{in.resume(ctx, -1, paused)}
	for _, z := range zones {
		errs = append(errs, in.zoneAction(ctx, Fault{Index: -1}, z, "uncordon"))
	}
	return errors.Join(errs...)
}
