package server_test

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/baton-sched/baton/client"
	"github.com/baton-sched/baton/internal/egress"
	"github.com/baton-sched/baton/internal/engine"
	"github.com/baton-sched/baton/internal/server"
	"github.com/baton-sched/baton/internal/store/storetest"
)

// allowLoopback is the egress policy of tests whose sinks listen on
// 127.0.0.1.
func allowLoopback(t *testing.T) *egress.Policy {
	p, err := egress.New([]string{"127.0.0.1/32"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// syncBuffer is a log sink safe for concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// alertServer starts a server whose alert deliveries follow policy (nil:
// the default) and whose logs go to logs.
func alertServer(t *testing.T, policy *egress.Policy, logs *syncBuffer) *client.Client {
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	st := storetest.OpenSQLite(t)
	srv := server.New(engine.New(st, engine.Config{Logger: log}), server.Config{Addr: "127.0.0.1:0", Egress: policy,
		Logger: log})
	if err := srv.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Stop)
	c, err := client.New([]string{"http://" + srv.Addr()}, testTokens(t, st)...)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Apply(context.Background(), []client.SourceFile{{Filename: "w.yaml",
		Content: "name: w\ntasks: [{name: t, run: x}]\n"}}); err != nil {
		t.Fatal(err)
	}
	return c
}

// undelivered raises one run.cancelled alert and waits until every
// channel's delivery failed once; it returns the failures by channel.
func undelivered(t *testing.T, c *client.Client, channels int) map[string]string {
	ctx := context.Background()
	run, err := c.StartRun(ctx, "w", client.StartRunRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.CancelRun(ctx, run.ID, "enough"); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		a, err := c.Alerts(ctx)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]string{}
		for _, p := range a.Pending {
			if p.Attempts > 0 {
				out[p.Channel] = p.LastError
			}
		}
		if len(out) == channels {
			return out
		}
		if time.Now().After(deadline) {
			t.Fatalf("alerts %+v: not every channel failed once", a.Pending)
		}
		time.Sleep(50 * time.Millisecond) // polling the API
	}
}

// TestAlertChannelCredentialsStayHidden: a channel URL's password and
// token-like query parameters are never answered by the API (set, list,
// a refused set), never in delivery errors and never in the server log.
func TestAlertChannelCredentialsStayHidden(t *testing.T) {
	logs := &syncBuffer{}
	c := alertServer(t, allowLoopback(t), logs)
	ctx := context.Background()
	closed := closedPort(t)
	secretURL := "http://admin:hunter2@" + closed + "/hook?token=tok-123&kind=x"
	got, err := c.SetAlertChannel(ctx, client.AlertChannel{Name: "ops", URL: secretURL, Events: []string{"run.*"}})
	if err != nil {
		t.Fatal(err)
	}
	want := "http://admin:***@" + closed + "/hook?token=***&kind=x"
	if got.URL != want {
		t.Errorf("set answered URL %q, want %q", got.URL, want)
	}
	_, refused := c.SetAlertChannel(ctx, client.AlertChannel{Name: "bad", URL: "ftp://admin:hunter2@x/?api_key=tok-123",
		Events: []string{"run.*"}})
	if refused == nil || client.StatusOf(refused) != 422 {
		t.Fatalf("a bad URL: %v, want 422", refused)
	}
	failures := undelivered(t, c, 1)
	a, err := c.Alerts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	shown := refused.Error() + a.Channels[0].URL + failures["ops"] + logs.String()
	for _, secret := range []string{"hunter2", "tok-123"} {
		if strings.Contains(shown, secret) {
			t.Errorf("%q shown: 422 %q, channel %q, failure %q, log:\n%s", secret, refused, a.Channels[0].URL,
				failures["ops"], logs)
		}
	}
	if !strings.Contains(logs.String(), "alert not delivered") {
		t.Errorf("the failed delivery was not logged:\n%s", logs)
	}
}

// TestAlertDeliveryEgress: under the default policy a channel on
// loopback (the database's port, a closed port) is refused at dial time;
// allowed, an open port that is not HTTP and a closed one fail alike, so
// channels cannot scan ports.
func TestAlertDeliveryEgress(t *testing.T) {
	pg := "127.0.0.1:5432" // the test database: open, not HTTP
	closed := closedPort(t)
	for _, policy := range []*egress.Policy{nil, allowLoopback(t)} {
		logs := &syncBuffer{}
		c := alertServer(t, policy, logs)
		for name, addr := range map[string]string{"db": pg, "closed": closed} {
			if _, err := c.SetAlertChannel(context.Background(), client.AlertChannel{Name: name,
				URL: "http://" + addr + "/", Events: []string{"run.cancelled"}}); err != nil {
				t.Fatal(err)
			}
		}
		failures := undelivered(t, c, 2)
		if failures["db"] != failures["closed"] || failures["db"] != "delivery failed: connection not allowed or failed" {
			t.Errorf("allow loopback %v: failures %q, want the same opaque error", policy != nil, failures)
		}
		if policy == nil && !strings.Contains(logs.String(), "not allowed by the egress policy") {
			t.Errorf("the log does not say the policy refused:\n%s", logs)
		}
	}
}

func closedPort(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}
