package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/baton-sched/baton/client"
	"github.com/baton-sched/baton/internal/auth"
	"github.com/baton-sched/baton/internal/engine"
	"github.com/baton-sched/baton/internal/server"
	"github.com/baton-sched/baton/internal/store/storetest"
)

func TestServersCommand(t *testing.T) {
	st := storetest.OpenSQLite(t)
	srv := server.New(engine.New(st, engine.Config{}), server.Config{Addr: "127.0.0.1:0", Zone: "zone-x"})
	if err := srv.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Stop)
	token, err := server.IssueToken(context.Background(), st, "viewer", auth.RoleViewer)
	if err != nil {
		t.Fatal(err)
	}
	f := &cliFixture{t: t, url: srv.URL(), token: token}
	r := f.mustRun("servers")
	addr := strings.TrimPrefix(srv.URL(), "http://")
	for _, want := range []string{"ADDRESS", "LAST SEEN", addr, "zone-x", "yes"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("servers output lacks %q:\n%s", want, r.stdout)
		}
	}
	r = f.mustRun("servers", "-o", "json")
	var ss []client.Server
	if err := json.Unmarshal([]byte(r.stdout), &ss); err != nil || len(ss) != 1 || ss[0].Address != addr || !ss[0].Alive {
		t.Errorf("servers -o json: %v %q", err, r.stdout)
	}
}

func TestEventsCommandFilters(t *testing.T) {
	f := newCLIFixture(t)
	if _, err := f.c.Register(context.Background(), client.RegisterRequest{Name: "w1", Zone: "a", Capacity: 1}); err != nil {
		t.Fatal(err)
	}
	count := func(args ...string) int {
		t.Helper()
		r := f.mustRun(append([]string{"events", "-o", "json"}, args...)...)
		var evs []client.Event
		if err := json.Unmarshal([]byte(r.stdout), &evs); err != nil {
			t.Fatalf("events %v: %v %q", args, err, r.stdout)
		}
		return len(evs)
	}
	all := count("--kind", "worker.active")
	if all < 1 {
		t.Fatalf("no worker.active event")
	}
	if n := count("--kind", "worker.active", "--actor", "nobody"); n != 0 {
		t.Errorf("--actor nobody: %d events", n)
	}
	if n := count("--kind", "worker.active", "--to", "2000-01-01T00:00:00Z"); n != 0 {
		t.Errorf("--to 2000: %d events", n)
	}
	if n := count("--kind", "worker.active", "--from", "2000-01-01T00:00:00Z"); n != all {
		t.Errorf("--from 2000: %d events, want %d", n, all)
	}
	if r := f.run("events", "--from", "yesterday"); r.err == nil || !strings.Contains(r.err.Error(), "--from") {
		t.Errorf("a bad --from: %v", r.err)
	}
}
