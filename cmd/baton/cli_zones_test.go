package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/baton-sched/baton/client"
)

func TestZonesAndZoneOperations(t *testing.T) {
	f := newCLIFixture(t)
	ctx := context.Background()
	for _, spec := range []client.RegisterRequest{
		{Name: "a1", Zone: "a", Capacity: 4, Labels: map[string]string{"gpu": "true"}},
		{Name: "b1", Zone: "b", Capacity: 2},
	} {
		if _, err := f.c.Register(ctx, spec); err != nil {
			t.Fatal(err)
		}
	}
	r := f.mustRun("zones")
	for _, want := range []string{"AVAILABLE", "REGISTERED CU", "GROUP"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("zones output lacks %q:\n%s", want, r.stdout)
		}
	}
	if fields := strings.Fields(lineWith(r.stdout, "b ")); len(fields) != 9 || fields[1] != "healthy" ||
		fields[2] != "no" || fields[3] != "1" || fields[6] != "2" || fields[8] != "100%" {
		t.Errorf("zone b row: %q", lineWith(r.stdout, "b "))
	}
	if row := strings.Fields(lineWith(r.stdout, "default")); len(row) != 5 || row[2] != "6" || row[4] != "100%" {
		t.Errorf("group row: %q", lineWith(r.stdout, "default"))
	}

	r = f.mustRun("zone", "cordon", "b", "--reason", "switch upgrade")
	if !strings.Contains(r.stdout, "zone b: healthy, cordoned") {
		t.Errorf("cordon output: %q", r.stdout)
	}
	r = f.mustRun("zones", "-o", "json")
	var p client.Placement
	if err := json.Unmarshal([]byte(r.stdout), &p); err != nil || len(p.Zones) != 2 || !p.Zones[1].Cordoned {
		t.Errorf("zones -o json after cordon: %v %q", err, r.stdout)
	}
	f.mustRun("zone", "uncordon", "b")
	f.mustRun("zone", "drain", "b", "--reschedule")
	r = f.mustRun("events", "--kind", "worker.draining", "-o", "json")
	var evs []client.Event
	if err := json.Unmarshal([]byte(r.stdout), &evs); err != nil || len(evs) != 1 || evs[0].Zone != "b" ||
		evs[0].Actor != "token:test" {
		t.Errorf("worker.draining events after zone drain: %v %q", err, r.stdout)
	}
	if r := f.run("zone", "cordon", "nowhere"); r.code() != exitFailed || !strings.Contains(r.err.Error(), "not found") {
		t.Errorf("cordon an unknown zone: code %d err %v", r.code(), r.err)
	}
}

func TestWorkerDrainAndWorkersTable(t *testing.T) {
	f := newCLIFixture(t)
	f.apply(map[string]string{"hello": helloDef})
	wid := f.startWorker("w1", "zone-a")
	f.mustRun("run", "hello", "--wait")
	r := f.mustRun("workers")
	if !strings.Contains(r.stdout, "USED") || !strings.Contains(r.stdout, "RUNNING") {
		t.Errorf("workers header: %q", r.stdout)
	}
	r = f.mustRun("worker", "drain", wid, "--reason", "retire")
	if !strings.Contains(r.stdout, "is draining") {
		t.Errorf("drain output: %q", r.stdout)
	}
	r = f.mustRun("workers", "-o", "json")
	var ws []client.Worker
	if err := json.Unmarshal([]byte(r.stdout), &ws); err != nil || len(ws) != 1 || ws[0].State != "draining" {
		t.Errorf("workers after drain: %v %q", err, r.stdout)
	}
	if r := f.run("worker", "drain", "w-nobody"); r.code() != exitFailed {
		t.Errorf("drain of an unknown worker: code %d", r.code())
	}
}
