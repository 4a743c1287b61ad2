package server_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/baton-sched/baton/client"
	"github.com/baton-sched/baton/internal/engine"
	"github.com/baton-sched/baton/internal/store"
	"github.com/baton-sched/baton/internal/store/storetest"
)

// order=desc lists the newest events first and pages on with before.
func TestEventsNewestFirst(t *testing.T) {
	s := storetest.OpenSQLite(t)
	f := newFixture(t, s, engine.Config{})
	var news []store.NewEvent
	for _, r := range []string{"e1", "e2", "e3", "e4", "e5"} {
		news = append(news, store.NewEvent{Kind: "test.order", Actor: "user:t", Reason: r})
	}
	if err := s.InTx(context.Background(), func(tx store.Tx) error { return tx.Events().Insert(context.Background(), news) }); err != nil {
		t.Fatal(err)
	}
	reasons := func(p client.Page[client.Event]) (out []string) {
		for _, e := range p.Items {
			out = append(out, e.Reason)
		}
		return out
	}
	first, err := f.c.Events(f.ctx, client.EventFilter{Kind: "test.order", Newest: true, Limit: 2})
	if got := reasons(first); err != nil || len(got) != 2 || got[0] != "e5" || got[1] != "e4" || first.Next == "" {
		t.Fatalf("newest page: %v next %q, %v; want e5 e4 and a next", got, first.Next, err)
	}
	before := first.Items[1].ID
	rest, err := f.c.Events(f.ctx, client.EventFilter{Kind: "test.order", Before: before, Limit: 10})
	if got := reasons(rest); err != nil || len(got) != 3 || got[0] != "e3" || got[2] != "e1" || rest.Next != "" {
		t.Errorf("before %d: %v next %q, %v; want e3 e2 e1 and no next", before, got, rest.Next, err)
	}
	for _, q := range []string{"before=-1", "order=up"} {
		resp, err := authGet(f.url + "/api/v1/events?" + q)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnprocessableEntity {
			t.Errorf("GET /api/v1/events?%s: %d, want 422", q, resp.StatusCode)
		}
	}
}
