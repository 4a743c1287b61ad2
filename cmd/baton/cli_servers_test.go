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
