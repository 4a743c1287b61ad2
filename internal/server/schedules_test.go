package server_test

import (
	"context"
	"io"
	"net/http/httptest"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/baton-sched/baton/client"
	"github.com/baton-sched/baton/internal/engine"
	"github.com/baton-sched/baton/internal/server"
	"github.com/baton-sched/baton/internal/store"
	"github.com/baton-sched/baton/internal/store/storetest"
)

// A schedule's lateness shows in the API (runs it fired, not triggered
// ones) and in the metrics of the server that fired them.
func TestScheduleLatenessInAPIAndMetrics(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s store.Store) {
		e := engine.New(s, engine.Config{})
		srv := server.New(e, server.Config{})
		ts := httptest.NewServer(srv.Handler())
		t.Cleanup(func() { ts.Close(); srv.Stop() })
		rememberTokens(t, ts.URL, s)
		admin, _ := tokensOf(ts.URL)
		c, err := client.New([]string{ts.URL}, client.WithToken(admin))
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		_, err = c.Apply(ctx, []client.SourceFile{{Filename: "tick.yaml", Content: "name: tick\n" +
			"tasks: [{name: t, noop: true}]\nschedule: {cron: \"@every 1s\", overlap: allow_all}\n"}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.TriggerSchedule(ctx, "tick", "default"); err != nil {
			t.Fatal(err)
		}
		// Fire as the loop does until two due times have fired.
		deadline := time.Now().Add(10 * time.Second)
		var sc client.Schedule
		for sc.Lateness.Runs < 2 {
			if time.Now().After(deadline) {
				t.Fatalf("no two runs fired within 10 s: %+v", sc)
			}
			wait, err := e.FireSchedules(ctx)
			if err != nil {
				t.Fatal(err)
			}
			time.Sleep(wait) // the wait the loop would take: until the next fire time
			ss, err := c.Schedules(ctx)
			if err != nil || len(ss) != 1 {
				t.Fatalf("schedules: %v %+v", err, ss)
			}
			sc = ss[0]
		}
		page, err := c.Runs(ctx, client.RunFilter{Workflow: "tick", Limit: 100})
		if err != nil || len(page.Items) != sc.Lateness.Runs+1 {
			t.Errorf("runs: %d (%v); want the fired ones and the triggered one", len(page.Items), err)
		}
		if sc.Lateness.MaxMs < sc.Lateness.P50Ms || sc.Lateness.MaxMs > 5000 {
			t.Errorf("lateness %+v, want a distribution of a few milliseconds", sc.Lateness)
		}
		resp, err := authGet(ts.URL + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		m := regexp.MustCompile(`(?m)^baton_schedule_lateness_seconds_count (\d+)$`).FindSubmatch(body)
		if m == nil {
			t.Fatalf("/metrics lacks baton_schedule_lateness_seconds_count:\n%s", body)
		}
		if n, _ := strconv.Atoi(string(m[1])); n < sc.Lateness.Runs {
			t.Errorf("lateness histogram counts %d runs, the API %d", n, sc.Lateness.Runs)
		}
	})
}
