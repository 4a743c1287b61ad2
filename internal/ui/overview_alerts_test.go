package ui_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/baton-sched/baton/client"
	"github.com/baton-sched/baton/internal/ui"
)

// TestOverviewAlerts: the overview counts the undelivered alerts and
// lists the newest five, newest first, their errors as text and never a
// channel's URL.
func TestOverviewAlerts(t *testing.T) {
	f := fakeWithLists()
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for i := range 6 {
		f.more.alerts.Pending = append(f.more.alerts.Pending, client.PendingAlert{AlertID: fmt.Sprintf("al-%d", i+2),
			Channel: fmt.Sprintf("chan-%d", i+2), Kind: "run.failed", State: "pending", Attempts: int64(i + 1),
			LastError: "delivery failed: channel answered 503 Service Unavailable", CreatedAt: t0.Add(time.Duration(i) * time.Minute)})
	}
	f.more.alerts.Pending[len(f.more.alerts.Pending)-1].LastError = "boom " + xss
	h := ui.New(f, ui.Options{})
	defer h.Close()
	code, body := get(t, h, "/")
	if code != 200 {
		t.Fatalf("GET /: %d", code)
	}
	_, section, _ := strings.Cut(body, "<h2>Undelivered alerts</h2>")
	section, _, _ = strings.Cut(section, "</section>")
	for _, w := range []string{"7 alerts not delivered", `href="/alerts"`, "boom &lt;script&gt;alert(9)", "… pending", "503 Service Unavailable"} {
		if !strings.Contains(section, w) {
			t.Errorf("overview's alerts lack %q:\n%s", w, section)
		}
	}
	// The newest five (chan-7 … chan-3), newest first; not the oldest two.
	if i, j := strings.Index(section, "chan-7"), strings.Index(section, "chan-3"); i < 0 || j < 0 || i > j {
		t.Errorf("newest alerts not listed newest first:\n%s", section)
	}
	for _, old := range []string{"chan-2", ">ops<"} {
		if strings.Contains(section, old) {
			t.Errorf("overview lists %q, beyond the newest five", old)
		}
	}
	if strings.Contains(body, "<script>alert") || strings.Contains(body, "hooks.example.com") {
		t.Error("overview renders an error as markup or shows a channel's URL")
	}

	f.more.alerts.Pending = nil
	if _, body := get(t, h, "/"); !strings.Contains(body, "Every alert was delivered.") {
		t.Error("overview without undelivered alerts does not say so")
	}
}
