package main

import (
	"strings"
	"testing"
	"time"
)

func TestScheduleCommands(t *testing.T) {
	f := newCLIFixture(t)
	f.apply(map[string]string{"etl.yaml": `name: etl
tasks: [{name: t, run: "true"}]
schedule: {cron: "0 3 * * *", timezone: Asia/Shanghai, catchup: all, overlap: allow_all}
`})
	r := f.mustRun("schedules")
	row := strings.Fields(lineWith(r.stdout, "etl/default"))
	if len(row) < 11 || row[1] != "0" || row[6] != "Asia/Shanghai" || row[7] != "all" || row[8] != "allow_all" {
		t.Errorf("schedules row: %q", lineWith(r.stdout, "etl/default"))
	}

	r = f.mustRun("schedule", "next", "etl", "-n", "3")
	if n := strings.Count(r.stdout, "03:00:00 CST"); n != 3 {
		t.Errorf("schedule next: %d due times at 03:00 Shanghai time, want 3:\n%s", n, r.stdout)
	}
	if !strings.Contains(r.stdout, "T19:00:00Z") {
		t.Errorf("schedule next: no UTC time 19:00:\n%s", r.stdout)
	}

	if r := f.mustRun("schedule", "pause", "etl/default", "--note", "db move"); !strings.Contains(r.stdout, "etl/default: paused") {
		t.Errorf("pause: %q", r.stdout)
	}
	// Paused, it shows no due time (it would be in the past) and its note.
	if line := lineWith(f.mustRun("schedules").stdout, "etl/default"); !strings.Contains(line, "- (paused)") || !strings.HasSuffix(strings.TrimSpace(line), "db move") {
		t.Errorf("paused schedule row %q, want no due time and the note", line)
	}
	if r := f.mustRun("schedule", "resume", "etl"); !strings.Contains(r.stdout, "active, next due") {
		t.Errorf("resume: %q", r.stdout)
	}
	if r := f.mustRun("schedule", "trigger", "etl"); !strings.Contains(r.stdout, "started (due ") {
		t.Errorf("trigger: %q", r.stdout)
	}

	day := time.Now().UTC().AddDate(0, 0, -10).Format(time.DateOnly)
	to := time.Now().UTC().AddDate(0, 0, -6).Format(time.DateOnly)
	r = f.mustRun("backfill", "etl", "--from", day, "--to", to)
	if !strings.Contains(r.stdout, "4 run(s) created, 0 existed") {
		t.Errorf("backfill: %q", r.stdout)
	}
	r = f.mustRun("backfill", "etl", "--from", day, "--to", to)
	if !strings.Contains(r.stdout, "0 run(s) created, 4 existed") {
		t.Errorf("backfill again: %q", r.stdout)
	}
	if r := f.run("backfill", "etl", "--from", "yesterday", "--to", to); r.err == nil ||
		!strings.Contains(r.err.Error(), "--from") {
		t.Errorf("backfill --from yesterday: %v", r.err)
	}
	if r := f.run("schedule", "pause", "etl/nope"); r.code() != exitFailed || !strings.Contains(r.err.Error(), "not found") {
		t.Errorf("pause an unknown schedule: code %d err %v", r.code(), r.err)
	}
	r = f.mustRun("events", "--kind", "schedule.paused")
	if !strings.Contains(r.stdout, "db move") {
		t.Errorf("schedule.paused event lacks the note:\n%s", r.stdout)
	}
}
