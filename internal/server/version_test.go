package server_test

import (
	"io"
	"strings"
	"testing"

	"github.com/baton-sched/baton/client"
	"github.com/baton-sched/baton/internal/engine"
	"github.com/baton-sched/baton/internal/store/storetest"
	"github.com/baton-sched/baton/internal/version"
)

func TestVersionAPIAndBuildInfoMetric(t *testing.T) {
	f := newFixture(t, storetest.OpenSQLite(t), engine.Config{})
	v := version.Get()
	got, err := f.c.Version(f.ctx)
	want := client.BuildInfo{Version: v.Version, Commit: v.Commit, Date: v.Date, GoVersion: v.GoVersion,
		Platform: v.Platform}
	if err != nil || got != want {
		t.Errorf("GET /api/v1/version = %+v, %v; want %+v", got, err, want)
	}

	resp, err := authGet(f.url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	line := `baton_build_info{commit="` + v.Commit + `",goversion="` + v.GoVersion + `",version="` + v.Version + `"} 1`
	if !strings.Contains(string(body), line+"\n") {
		t.Errorf("/metrics lacks %s", line)
	}
}
