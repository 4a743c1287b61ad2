package ui_test

import (
	"context"
	"html"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/baton-sched/baton/client"
	"github.com/baton-sched/baton/internal/ui"
)

func TestEventsPageFilters(t *testing.T) {
	for _, tc := range []struct {
		path string
		want ui.EventQuery
	}{
		// No filter: the newest page, read from the primary key.
		{"/events", ui.EventQuery{Limit: 100, Newest: true}},
		{"/events?kind=attempt.lost&actor=user:alice", ui.EventQuery{Kind: "attempt.lost", Actor: "user:alice", Limit: 100,
			Newest: true}},
		{"/events?run=7", ui.EventQuery{Run: 7, Limit: 100, Newest: true}},
		{"/events?from=2026-03-01T08:00&to=2026-03-02T09:15:00Z", ui.EventQuery{Limit: 100, Newest: true,
			From: time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC), To: time.Date(2026, 3, 2, 9, 15, 0, 0, time.UTC)}},
		{"/events?before=55&kind=run.failed", ui.EventQuery{Kind: "run.failed", Before: 55, Limit: 100, Newest: true}},
		// Newer pages read forwards.
		{"/events?after=55&kind=run.failed", ui.EventQuery{Kind: "run.failed", After: 55, Limit: 100}},
	} {
		f := fakeWithLists()
		h := ui.New(f, ui.Options{})
		code, _ := get(t, h, tc.path)
		h.Close()
		if code != 200 || len(f.eventQueries) != 1 {
			t.Errorf("GET %s: %d, reads %+v", tc.path, code, f.eventQueries)
			continue
		}
		got := f.eventQueries[0]
		if got.Kind != tc.want.Kind || got.Actor != tc.want.Actor || got.Run != tc.want.Run || got.After != tc.want.After ||
			got.Before != tc.want.Before || got.Newest != tc.want.Newest ||
			got.Limit != tc.want.Limit || !got.From.Equal(tc.want.From) || !got.To.Equal(tc.want.To) {
			t.Errorf("GET %s read %+v, want %+v", tc.path, got, tc.want)
		}
	}
	h := ui.New(fakeWithLists(), ui.Options{})
	defer h.Close()
	for path, field := range map[string]string{
		"/events?run=x":                                     "run: not a run ID",
		"/events?from=yesterday":                            "from: not a time",
		"/events?to=2026-13-01T00:00":                       "to: not a time",
		"/events?from=2026-03-02T00:00&to=2026-03-01T00:00": "to: must be after from",
		"/events?after=-4":                                  "after: not an event ID",
		"/events?before=x":                                  "before: not an event ID",
		"/events?before=9&after=3":                          "before: give before or after, not both",
	} {
		code, body := get(t, h, path)
		if code != http.StatusBadRequest || !strings.Contains(body, field) {
			t.Errorf("GET %s: %d, want 400 naming %q", path, code, field)
		}
	}
}

// trail is a Source whose events honour the query as the store does.
type trail struct {
	*fake
	all []client.Event // by ID
}

func (s trail) Events(_ context.Context, q ui.EventQuery) ([]client.Event, error) {
	var out []client.Event
	keep := func(e client.Event) bool {
		return (q.Kind == "" || e.Kind == q.Kind) && (q.Run == 0 || e.RunID == q.Run) &&
			e.ID > q.After && (q.Before == 0 || e.ID < q.Before)
	}
	for i := range s.all {
		e := s.all[i]
		if q.Newest || q.Before != 0 {
			e = s.all[len(s.all)-1-i]
		}
		if keep(e) && int64(len(out)) < q.Limit {
			out = append(out, e)
		}
	}
	return out, nil
}

var pagerLink = regexp.MustCompile(`<a href="([^"]+)">(Newest|← Newer|Older →)</a>`)

// eventsPage reads a page: the IDs shown in order and its links by label.
func eventsPage(t *testing.T, h http.Handler, path string) ([]int64, map[string]string) {
	t.Helper()
	code, body := get(t, h, path)
	if code != 200 {
		t.Fatalf("GET %s: %d", path, code)
	}
	var ids []int64
	for _, m := range regexp.MustCompile(`<tr>\s*<td>(\d+)</td>`).FindAllStringSubmatch(body, -1) {
		id, _ := strconv.ParseInt(m[1], 10, 64)
		ids = append(ids, id)
	}
	links := map[string]string{}
	for _, m := range pagerLink.FindAllStringSubmatch(body, -1) {
		links[m[2]] = html.UnescapeString(m[1])
	}
	return ids, links
}

// The page shows the newest events first and pages both ways, keeping
// the filters.
func TestEventsPagination(t *testing.T) {
	src := trail{fake: fakeWithLists()}
	for i := range 260 {
		kind := "task.succeeded"
		if i >= 250 {
			kind = "run.failed" // the newest ten, which the kind filter skips
		}
		src.all = append(src.all, client.Event{ID: int64(i + 1), Kind: kind, Actor: "worker:w", RunID: 7})
	}
	h := ui.New(src, ui.Options{})
	defer h.Close()
	span := func(ids []int64) [2]int64 {
		if len(ids) == 0 {
			return [2]int64{}
		}
		for i := 1; i < len(ids); i++ {
			if ids[i] != ids[i-1]-1 {
				t.Fatalf("rows %v are not newest first", ids)
			}
		}
		return [2]int64{ids[0], ids[len(ids)-1]}
	}
	const q = "kind=task.succeeded&run=7"
	steps := []struct {
		path   string
		rows   [2]int64 // first and last ID shown
		n      int
		older  string
		newer  string
		newest bool
	}{
		{"/events?" + q, [2]int64{250, 151}, 100, "/events?before=151&" + q, "", false},
		{"/events?before=151&" + q, [2]int64{150, 51}, 100, "/events?before=51&" + q, "/events?after=150&" + q, true},
		{"/events?before=51&" + q, [2]int64{50, 1}, 50, "", "/events?after=50&" + q, true},
		{"/events?after=50&" + q, [2]int64{150, 51}, 100, "/events?before=51&" + q, "/events?after=150&" + q, true},
		{"/events?after=150&" + q, [2]int64{250, 151}, 100, "/events?before=151&" + q, "/events?after=250&" + q, true},
		{"/events?after=250&" + q, [2]int64{}, 0, "/events?before=251&" + q, "", true},
		{"/events?before=1&" + q, [2]int64{}, 0, "", "", true},
	}
	for _, st := range steps {
		ids, links := eventsPage(t, h, st.path)
		if got := span(ids); got != st.rows || len(ids) != st.n {
			t.Errorf("GET %s: %d rows %v, want %d rows %v", st.path, len(ids), got, st.n, st.rows)
		}
		_, hasNewest := links["Newest"]
		if links["Older →"] != st.older || links["← Newer"] != st.newer || hasNewest != st.newest {
			t.Errorf("GET %s: links %v, want older %q newer %q newest %v", st.path, links, st.older, st.newer, st.newest)
		}
		if hasNewest && links["Newest"] != "/events?"+q {
			t.Errorf("GET %s: Newest links to %s", st.path, links["Newest"])
		}
	}
	// Another filter: its own rows only, newest first.
	ids, links := eventsPage(t, h, "/events?kind=run.failed")
	if len(ids) != 10 || ids[0] != 260 || ids[9] != 251 || len(links) != 0 {
		t.Errorf("kind=run.failed: rows %v, links %v", ids, links)
	}
}
