package server_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/baton-sched/baton/client"
	"github.com/baton-sched/baton/internal/engine"
	"github.com/baton-sched/baton/internal/server"
	"github.com/baton-sched/baton/internal/store"
	"github.com/baton-sched/baton/internal/store/storetest"
)

// Two servers on one database both show in the registry, alive and
// ready, each with its zone, and in the metric of servers alive.
func TestServersRegistry(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s store.Store) {
		var urls []string
		for _, zone := range []string{"za", "zb"} {
			srv := server.New(engine.New(s, engine.Config{}), server.Config{Addr: "127.0.0.1:0", Zone: zone})
			if err := srv.Start(context.Background()); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(srv.Stop)
			urls = append(urls, srv.URL())
		}
		rememberTokens(t, urls[0], s)
		admin, _ := tokensOf(urls[0])
		c, err := client.New(urls[:1], client.WithToken(admin))
		if err != nil {
			t.Fatal(err)
		}
		ss, err := c.Servers(t.Context())
		if err != nil || len(ss) != 2 {
			t.Fatalf("servers: %+v %v; want both", ss, err)
		}
		for i, sv := range ss {
			want := strings.TrimPrefix(urls[i], "http://")
			if sv.Zone != []string{"za", "zb"}[i] || sv.Address != want || !sv.Alive || !sv.Ready ||
				sv.ID == "" || sv.StartedAt.IsZero() || sv.LastSeenAt.Before(sv.StartedAt) || sv.SeenAgo < 0 {
				t.Errorf("server %d: %+v; want zone %s at %s, alive and ready", i, sv, []string{"za", "zb"}[i], want)
			}
		}
		resp, err := authGet(urls[0] + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !strings.Contains(string(body), `baton_servers{status="alive"} 2`) {
			t.Errorf("/metrics lacks baton_servers alive 2")
		}
	})
}

func TestEventsAPIFilters(t *testing.T) {
	f := newFixture(t, storetest.OpenSQLite(t), engine.Config{})
	if _, err := f.c.Apply(f.ctx, []client.SourceFile{{Filename: "h.yaml", Content: hello}}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.c.Register(f.ctx, client.RegisterRequest{Name: "w1", Zone: "a", Capacity: 1}); err != nil {
		t.Fatal(err)
	}
	get := func(q url.Values) (int, string) {
		t.Helper()
		resp, err := authGet(f.url + "/api/v1/events?" + q.Encode())
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	code, body := get(url.Values{"actor": {"nobody"}})
	if code != http.StatusOK || strings.Contains(body, `"kind"`) {
		t.Errorf("actor nobody: %d %s; want no events", code, body)
	}
	future := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	code, body = get(url.Values{"from": {future}})
	if code != http.StatusOK || strings.Contains(body, `"kind"`) {
		t.Errorf("from the future: %d %s; want no events", code, body)
	}
	code, body = get(url.Values{"to": {future}, "kind": {"worker.active"}})
	if code != http.StatusOK || !strings.Contains(body, `"worker.active"`) {
		t.Errorf("to the future: %d %s; want the worker's event", code, body)
	}
	code, body = get(url.Values{"from": {"yesterday"}})
	if code != http.StatusUnprocessableEntity || !strings.Contains(body, "from: not an RFC 3339 time") {
		t.Errorf("bad from: %d %s; want 422 naming the field", code, body)
	}
	code, body = get(url.Values{"from": {future}, "to": {future}})
	if code != http.StatusUnprocessableEntity || !strings.Contains(body, "to:") {
		t.Errorf("empty range: %d %s; want 422 naming to", code, body)
	}
}
