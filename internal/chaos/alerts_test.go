package chaos_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/baton-sched/baton/client"
)

// TestAlertsSurviveServerKill: alerts of five cancelled runs wait in the
// outbox while their webhook refuses them; the server is SIGKILLed and
// restarted, the webhook recovers, and every alert arrives, none missing.
func TestAlertsSurviveServerKill(t *testing.T) {
	var mu sync.Mutex
	accept := false
	got := map[string]int{}
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if !accept {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		got[r.Header.Get("X-Baton-Alert-Id")]++
	}))
	defer hook.Close()
	c := newCluster(t, 1, testTiming, "")
	api := c.Client()
	if _, err := api.SetAlertChannel(t.Context(), client.AlertChannel{Name: "ops", URL: hook.URL,
		Events: []string{"run.cancelled"}}); err != nil {
		t.Fatal(err)
	}
	apply(t, c, "name: doomed\ntasks: [{name: t, run: \"sleep 60\"}]\n")
	for _, id := range startRuns(t, c, "doomed", 5) {
		if _, err := api.CancelRun(t.Context(), id, "test"); err != nil {
			t.Fatal(err)
		}
	}
	var ids []string
	eventually(t, time.Minute, "five alerts tried and refused", func() bool {
		a, err := api.Alerts(t.Context())
		if err != nil || len(a.Pending) != 5 {
			return false
		}
		ids = ids[:0]
		for _, p := range a.Pending {
			if p.Attempts == 0 {
				return false
			}
			ids = append(ids, p.AlertID)
		}
		return true
	})
	s := c.Servers()[0]
	if err := s.Kill(); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	accept = true
	mu.Unlock()
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	if err := c.WaitReady(ctx, s); err != nil {
		t.Fatal(err)
	}
	eventually(t, time.Minute, "every alert delivered", func() bool {
		mu.Lock()
		defer mu.Unlock()
		for _, id := range ids {
			if got[id] == 0 {
				return false
			}
		}
		return true
	})
	mu.Lock()
	for id := range got {
		if !slices.Contains(ids, id) {
			t.Errorf("alert %s delivered but never queued", id)
		}
	}
	mu.Unlock()
	// The server records a delivery after the receiver answered.
	eventually(t, time.Minute, "no alert pending after delivery", func() bool {
		a, err := api.Alerts(t.Context())
		return err == nil && len(a.Pending) == 0
	})
}
