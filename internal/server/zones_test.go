package server_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/baton-sched/baton/client"
	"github.com/baton-sched/baton/internal/engine"
	"github.com/baton-sched/baton/internal/server"
	"github.com/baton-sched/baton/internal/store"
	"github.com/baton-sched/baton/internal/store/storetest"
)

func TestZonesAPI(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s store.Store) {
		f := newFixture(t, s, engine.Config{})
		if _, err := f.c.Apply(f.ctx, []client.SourceFile{{Filename: "h.yaml", Content: hello}}); err != nil {
			t.Fatal(err)
		}
		var regs []client.Registration
		for _, spec := range []client.RegisterRequest{
			{Name: "a1", Zone: "a", Capacity: 4}, {Name: "b1", Zone: "b", Capacity: 2}, {Name: "b2", Zone: "b", Capacity: 2},
		} {
			reg, err := f.c.Register(f.ctx, spec)
			if err != nil {
				t.Fatal(err)
			}
			regs = append(regs, reg)
		}
		if _, err := f.c.StartRun(f.ctx, "hello", client.StartRunRequest{}); err != nil {
			t.Fatal(err)
		}
		as, err := f.c.Claim(f.ctx, regs[1].Worker.ID, client.ClaimRequest{Max: 1, FreeCU: 2})
		if err != nil || len(as) != 1 {
			t.Fatalf("claim: %v %v", as, err)
		}

		p, err := f.c.Zones(f.ctx)
		if err != nil || len(p.Zones) != 2 || len(p.Groups) != 1 {
			t.Fatalf("zones: %+v %v", p, err)
		}
		b := p.Zones[1]
		if b.Name != "b" || b.State != "healthy" || b.Workers != 2 || b.LiveCU != 4 || b.UsedCU != 1 || b.Availability != 1 {
			t.Errorf("zone b: %+v", b)
		}
		if g := p.Groups[0]; g.Group != "default" || g.RegisteredCU != 8 || g.Availability != 1 {
			t.Errorf("group: %+v", g)
		}
		ws, err := f.c.Workers(f.ctx, false)
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range ws {
			if w.Name == "b1" && (w.Running != 1 || w.UsedCU != 1) {
				t.Errorf("worker b1: running %d, used %g CU; want 1 and 1", w.Running, w.UsedCU)
			}
		}

		z, err := f.c.ZoneAction(f.ctx, "b", "drain", client.DrainRequest{Reschedule: true, Reason: "maintenance"})
		if err != nil || !z.Cordoned {
			t.Fatalf("drain zone b: %+v %v", z, err)
		}
		beat, err := f.c.Heartbeat(f.ctx, regs[1].Worker.ID, []int64{as[0].AttemptID})
		if err != nil || beat.State != "draining" || len(beat.Preempt) != 1 || beat.Preempt[0] != as[0].AttemptID {
			t.Errorf("heartbeat after drain --reschedule: %+v %v, want draining and the attempt to preempt", beat, err)
		}
		evs, err := f.c.Events(f.ctx, client.EventFilter{Kind: "zone.cordoned"})
		if err != nil || len(evs.Items) != 1 || evs.Items[0].Actor != "token:test" || evs.Items[0].Zone != "b" {
			t.Errorf("zone.cordoned events %+v %v, want one by token:test in zone b", evs.Items, err)
		}
		if _, err := f.c.ZoneAction(f.ctx, "b", "uncordon", client.DrainRequest{}); err != nil {
			t.Errorf("uncordon: %v", err)
		}
		if _, err := f.c.ZoneAction(f.ctx, "nowhere", "cordon", client.DrainRequest{}); !client.IsNotFound(err) {
			t.Errorf("cordon of an unknown zone: %v, want 404", err)
		}
		if _, err := f.c.ZoneAction(f.ctx, "b", "explode", client.DrainRequest{}); client.StatusOf(err) != http.StatusUnprocessableEntity {
			t.Errorf("unknown action: %v, want 422", err)
		}

		w, err := f.c.DrainWorker(f.ctx, regs[0].Worker.ID, client.DrainRequest{})
		if err != nil || w.State != "draining" {
			t.Errorf("drain worker: %+v %v", w, err)
		}
		if err := f.c.StopWorker(f.ctx, regs[0].Worker.ID, nil); err != nil {
			t.Fatal(err)
		}
		if _, err := f.c.DrainWorker(f.ctx, regs[0].Worker.ID, client.DrainRequest{}); !client.IsGone(err) {
			t.Errorf("drain of a stopped worker: %v, want 410", err)
		}
	})
}

func TestMetricsShowZonesAndAvailability(t *testing.T) {
	f := newFixture(t, storetest.OpenSQLite(t), engine.Config{})
	for _, z := range []string{"a", "b"} {
		if _, err := f.c.Register(f.ctx, client.RegisterRequest{Name: z + "1", Zone: z, Capacity: 3}); err != nil {
			t.Fatal(err)
		}
	}
	resp, err := authGet(f.url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{
		`baton_availability_ratio{group="default"} 1`,
		`baton_zone_state{state="healthy",zone="a"} 1`,
		`baton_zone_state{state="down",zone="b"} 0`,
		`baton_capacity_cu{group="default",kind="live",zone="b"} 3`,
		`baton_zone_workers{status="live",zone="a"} 1`,
		`baton_events_total{kind="worker.active"} 2`,
		`go_goroutines`,
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

func TestElectorOneLeaderAndHandover(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s store.Store) {
		ctx := context.Background()
		e := engine.New(s, engine.Config{})
		cfg := server.ElectorConfig{Name: "loops", TTL: time.Minute}
		cfg.Holder = "s1"
		s1 := server.NewElector(e, cfg)
		cfg.Holder = "s2"
		s2 := server.NewElector(e, cfg)
		if !s1.RunOnce(ctx) || !s1.Leading() {
			t.Fatal("s1 did not take a free lease")
		}
		if s2.RunOnce(ctx) || s2.Leading() {
			t.Fatal("s2 leads while s1 holds the lease")
		}
		if !s1.RunOnce(ctx) {
			t.Error("s1 could not renew its term")
		}
		s1.Stop() // resigns: s2 need not wait a minute
		if s1.Leading() {
			t.Error("s1 still leads after Stop")
		}
		if !s2.RunOnce(ctx) || !s2.Leading() {
			t.Error("s2 did not take over the resigned lease")
		}
		s2.Stop()
	})
}
