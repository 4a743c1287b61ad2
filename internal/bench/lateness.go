package bench

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/baton-sched/baton/client"
	"github.com/baton-sched/baton/internal/store"
)

// latenessSchedules is how many "@every 1s" schedules the lateness
// scenario runs at once: the most one workflow may define.
const latenessSchedules = 100

// Lateness is how late schedules fired.
type Lateness struct {
	Schedules int `json:"schedules"`
	// Firing is due time → run created, over every run fired.
	Firing Summary `json:"firing"`
}

// lateness applies a workflow with latenessSchedules schedules due every
// second (noop tasks), lets them fire for d, removes them, and summarises
// how long after its due time each run was created.
func (e *env) lateness(ctx context.Context, d time.Duration) (*Lateness, error) {
	var def strings.Builder
	def.WriteString("name: bench-schedules\ntasks:\n  - {name: t, noop: true}\nschedules:\n")
	for i := range latenessSchedules {
		fmt.Fprintf(&def, "  - {name: s%d, cron: \"@every 1s\", overlap: allow_all, catchup: all}\n", i)
	}
	if _, err := e.api.Apply(ctx, []client.SourceFile{{Filename: "bench-schedules.yaml", Content: def.String()}}); err != nil {
		return nil, err
	}
	// Skip the first second: the schedules start at their next due time
	// after the apply.
	from := time.Now().Add(time.Second)
	if err := client.Wait(ctx, d); err != nil {
		return nil, err
	}
	to := time.Now().Add(-time.Second)
	var ids []int64
	err := e.store.Read(ctx, func(tx store.Tx) error {
		ss, err := tx.Schedules().List(ctx)
		for _, s := range ss {
			if s.Workflow == "bench-schedules" {
				ids = append(ids, s.ID)
			}
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	// Every due time in the window fires, however late on a loaded
	// machine: wait for them (the lateness measured includes the wait)
	// before removing the schedules.
	want := int(to.Sub(from).Seconds()) * latenessSchedules
	var late []time.Duration
	deadline := time.Now().Add(30 * time.Second)
	for {
		if late, err = e.firedIn(ctx, ids, from, to, d); err != nil || len(late) >= want || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond) // poll interval
	}
	if err != nil {
		return nil, err
	}
	// Removing the schedules stops them; their runs stay.
	_, err = e.api.Apply(ctx, []client.SourceFile{{Filename: "bench-schedules.yaml",
		Content: "name: bench-schedules\ntasks:\n  - {name: t, noop: true}\n"}})
	if err != nil {
		return nil, err
	}
	if len(late) < want {
		return nil, fmt.Errorf("%d runs fired in %v by %d schedules due every second, want %d", len(late), to.Sub(from),
			latenessSchedules, want)
	}
	return &Lateness{Schedules: latenessSchedules, Firing: summarize(late)}, nil
}

// firedIn returns how late each run of the schedules due in (from, to)
// was created.
func (e *env) firedIn(ctx context.Context, ids []int64, from, to time.Time, d time.Duration) ([]time.Duration, error) {
	var late []time.Duration
	err := e.store.Read(ctx, func(tx store.Tx) error {
		for _, id := range ids {
			runs, err := tx.Schedules().RecentRuns(ctx, id, int64(d/time.Second)+10)
			if err != nil {
				return err
			}
			for _, r := range runs {
				if due := time.UnixMilli(r.ScheduledAt); due.After(from) && due.Before(to) {
					late = append(late, time.Duration(r.CreatedAt-r.ScheduledAt)*time.Millisecond)
				}
			}
		}
		return nil
	})
	return late, err
}
