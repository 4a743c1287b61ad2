package ui_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/baton-sched/baton/internal/ui"
)

func TestRunsPageTimeRange(t *testing.T) {
	f := fakeWithLists()
	h := ui.New(f, ui.Options{})
	defer h.Close()
	code, body := get(t, h, "/runs?workflow=etl&from=2026-03-01T08:00&to=2026-03-02T09:15:00Z")
	if code != http.StatusOK || len(f.runQueries) != 1 {
		t.Fatalf("GET /runs with a time range: %d, reads %+v", code, f.runQueries)
	}
	q := f.runQueries[0]
	if q.Workflow != "etl" || !q.Since.Equal(time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)) ||
		!q.Until.Equal(time.Date(2026, 3, 2, 9, 15, 0, 0, time.UTC)) {
		t.Errorf("read %+v, want workflow etl from 2026-03-01 08:00 until 2026-03-02 09:15 UTC", q)
	}
	// The form keeps what was asked.
	for _, want := range []string{`name="from" value="2026-03-01T08:00"`, `name="to" value="2026-03-02T09:15"`} {
		if !strings.Contains(body, want) {
			t.Errorf("the runs page lacks %s", want)
		}
	}
	for path, field := range map[string]string{
		"/runs?from=yesterday":      "from: not a time",
		"/runs?to=2026-13-01T00:00": "to: not a time",
	} {
		if code, body := get(t, h, path); code != http.StatusBadRequest || !strings.Contains(body, field) {
			t.Errorf("GET %s: %d, want 400 naming %q", path, code, field)
		}
	}
}
