package server_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/baton-sched/baton/client"
	"github.com/baton-sched/baton/internal/engine"
	"github.com/baton-sched/baton/internal/server"
	"github.com/baton-sched/baton/internal/store"
	"github.com/baton-sched/baton/internal/store/storetest"
)

// receiver is a webhook that refuses its first fail requests.
type receiver struct {
	mu   sync.Mutex
	fail int
	got  []*http.Request
	body [][]byte
	ok   []bool
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	b, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got, r.body = append(r.got, req), append(r.body, b)
	if r.fail > 0 {
		r.fail--
		r.ok = append(r.ok, false)
		http.Error(w, "busy", http.StatusServiceUnavailable)
		return
	}
	r.ok = append(r.ok, true)
}

func TestAlertsAreDeliveredSignedAndRetried(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s store.Store) {
		rcv := &receiver{fail: 2}
		hook := httptest.NewServer(rcv)
		defer hook.Close()
		srv := server.New(engine.New(s, engine.Config{}), server.Config{Addr: "127.0.0.1:0", Egress: allowLoopback(t)})
		ctx := context.Background()
		if err := srv.Start(ctx); err != nil {
			t.Fatal(err)
		}
		defer srv.Stop()
		c, err := client.New([]string{"http://" + srv.Addr()}, testTokens(t, s)...)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.SetAlertChannel(ctx, client.AlertChannel{Name: "ops", URL: hook.URL,
			Events: []string{"run.cancelled", "zone.*"}, Secret: "s3cr3t"}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.SetAlertChannel(ctx, client.AlertChannel{Name: "bad", URL: "ftp://x", Events: []string{"run"}}); err == nil {
			t.Error("a channel with a bad URL and event kind was accepted")
		}
		if _, err := c.Apply(ctx, []client.SourceFile{{Filename: "w.yaml", Content: "name: w\ntasks: [{name: t, run: x}]\n"}}); err != nil {
			t.Fatal(err)
		}
		run, err := c.StartRun(ctx, "w", client.StartRunRequest{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.CancelRun(ctx, run.ID, "enough"); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(20 * time.Second)
		for {
			rcv.mu.Lock()
			n := len(rcv.got)
			rcv.mu.Unlock()
			if n >= 3 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%d deliveries within 20 s, want 3 (two refused, then accepted)", n)
			}
			time.Sleep(50 * time.Millisecond) // polling the receiver
		}
		// The server records the delivery once the receiver has answered:
		// poll until it has.
		var a client.Alerts
		for {
			if a, err = c.Alerts(ctx); err != nil || len(a.Pending) == 0 {
				break
			}
			if time.Now().After(deadline) {
				break
			}
			time.Sleep(50 * time.Millisecond) // polling the server
		}
		if err != nil || len(a.Channels) != 1 || !a.Channels[0].HasSecret || a.Channels[0].Secret != "" || len(a.Pending) != 0 {
			t.Errorf("alerts after delivery: %+v %v", a, err)
		}
		rcv.mu.Lock()
		defer rcv.mu.Unlock()
		id := rcv.got[0].Header.Get("X-Baton-Alert-Id")
		for i, req := range rcv.got {
			if req.Header.Get("X-Baton-Alert-Id") != id || id == "" {
				t.Errorf("delivery %d: alert id %q, want the first's %q", i, req.Header.Get("X-Baton-Alert-Id"), id)
			}
			if sig := req.Header.Get("X-Baton-Signature"); sig != "sha256="+server.Sign("s3cr3t", rcv.body[i]) {
				t.Errorf("delivery %d: signature %q does not match the body", i, sig)
			}
		}
		var p engine.AlertPayload
		if err := json.Unmarshal(rcv.body[2], &p); err != nil || p.Kind != "run.cancelled" || p.RunID != run.ID ||
			p.AlertID != id || p.Channel != "ops" || p.Actor != "token:test" {
			t.Errorf("payload %+v (%v)", p, err)
		}
		if len(rcv.got) != 3 {
			t.Errorf("%d deliveries, want 3: nothing more once accepted", len(rcv.got))
		}
	})
}

// TestApprovalRequestedAlert: a channel subscribed to approval.requested
// gets the run, the task, the message and a link to the task's panel.
func TestApprovalRequestedAlert(t *testing.T) {
	rcv := &receiver{}
	hook := httptest.NewServer(rcv)
	defer hook.Close()
	s := storetest.OpenSQLite(t)
	srv := server.New(engine.New(s, engine.Config{PublicURL: "https://baton.example/"}),
		server.Config{Addr: "127.0.0.1:0", Egress: allowLoopback(t)})
	ctx := context.Background()
	if err := srv.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()
	c, err := client.New([]string{"http://" + srv.Addr()}, testTokens(t, s)...)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.SetAlertChannel(ctx, client.AlertChannel{Name: "approvers", URL: hook.URL,
		Events: []string{"approval.requested"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Apply(ctx, []client.SourceFile{{Filename: "r.yaml", Content: approvalFlow}}); err != nil {
		t.Fatal(err)
	}
	run, err := c.StartRun(ctx, "release", client.StartRunRequest{})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		rcv.mu.Lock()
		n := len(rcv.got)
		rcv.mu.Unlock()
		if n >= 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no approval.requested alert within 20 s")
		}
		time.Sleep(50 * time.Millisecond) // polling the receiver
	}
	rcv.mu.Lock()
	defer rcv.mu.Unlock()
	var p engine.AlertPayload
	err = json.Unmarshal(rcv.body[0], &p)
	want := "https://baton.example/runs/" + strconv.FormatInt(run.ID, 10) + "?task=sign-off"
	if err != nil || p.Kind != "approval.requested" || p.RunID != run.ID || p.Task != "sign-off" ||
		p.Reason != "Load 2026-12-01 into prod?" || p.URL != want {
		t.Errorf("payload %+v (%v), want approval.requested of sign-off with its message and link %s", p, err, want)
	}
}
