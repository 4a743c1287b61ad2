package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/base64"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/baton-sched/baton/client"
	"github.com/baton-sched/baton/internal/auth"
	"github.com/baton-sched/baton/internal/engine"
	"github.com/baton-sched/baton/internal/secrets"
	"github.com/baton-sched/baton/internal/server"
	"github.com/baton-sched/baton/internal/store"
	"github.com/baton-sched/baton/internal/store/postgres"
	"github.com/baton-sched/baton/internal/store/sqlite"
	"github.com/baton-sched/baton/internal/store/storetest"
)

// migrateEra is a server with all its loops on one store, and a fake
// worker fleet against it.
type migrateEra struct {
	t      *testing.T
	st     store.Store
	srv    *server.Server
	c      *client.Client
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	// failing makes tasks whose command contains "fail" fail.
	failing atomic.Bool
	mu      sync.Mutex
	env     map[string]map[string]string // task -> the env its last attempt got
}

func startMigrateEra(t *testing.T, st store.Store, ring *secrets.KeyRing, admin, join string) *migrateEra {
	t.Helper()
	// The fake workers do not heartbeat: a long lease keeps them alive.
	eng := engine.New(st, engine.Config{LeaseTTL: time.Minute, Secrets: ring})
	srv := server.New(eng, server.Config{Addr: "127.0.0.1:0", SweepInterval: 20 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	if err := srv.Start(ctx); err != nil {
		cancel()
		t.Fatal(err)
	}
	c, err := client.New([]string{srv.URL()}, client.WithToken(admin), client.WithJoinToken(join))
	if err != nil {
		cancel()
		srv.Stop()
		t.Fatal(err)
	}
	e := &migrateEra{t: t, st: st, srv: srv, c: c, ctx: ctx, cancel: cancel, env: map[string]map[string]string{}}
	t.Cleanup(e.stop)
	return e
}

// stop stops the workers and the server (safe twice); the store stays open.
func (e *migrateEra) stop() {
	e.cancel()
	e.wg.Wait()
	e.srv.Stop()
}

// worker registers a fake worker in zone that starts each attempt, sends
// a checkpoint (task ckpt), two log lines and an output, and succeeds,
// or fails when failing is set and the command says "fail".
func (e *migrateEra) worker(name, zone string) {
	e.t.Helper()
	reg, err := e.c.Register(e.ctx, client.RegisterRequest{Name: name, Zone: zone, Capacity: 100})
	if err != nil {
		e.t.Fatalf("register: %v", err)
	}
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		for e.ctx.Err() == nil {
			as, err := e.c.Claim(e.ctx, reg.Worker.ID, client.ClaimRequest{Max: 100, FreeCU: 100, Wait: time.Second})
			for _, a := range as {
				if err == nil {
					err = e.execute(reg.Worker.ID, a)
				}
			}
			if err != nil && e.ctx.Err() == nil {
				e.t.Errorf("fake worker: %v", err)
				return
			}
		}
	}()
}

func (e *migrateEra) execute(workerID string, a client.Assignment) error {
	e.mu.Lock()
	e.env[a.Task] = a.Env
	e.mu.Unlock()
	if err := e.c.ReportOne(e.ctx, workerID, client.Report{AttemptID: a.AttemptID, Kind: "start"}); err != nil {
		return err
	}
	if a.Task == "ckpt" {
		cp := base64.StdEncoding.EncodeToString([]byte("half done"))
		if err := e.c.ReportOne(e.ctx, workerID, client.Report{AttemptID: a.AttemptID, Kind: "checkpoint", Checkpoint: cp}); err != nil {
			return err
		}
	}
	chunks := []client.NewLogChunk{
		{AttemptID: a.AttemptID, Seq: 1, Stream: "stdout", Data: "out of " + a.Task + "\n"},
		{AttemptID: a.AttemptID, Seq: 2, Stream: "stderr", Data: "err of " + a.Task + "\n"},
	}
	if _, err := e.c.SendLogs(e.ctx, workerID, chunks); err != nil {
		return err
	}
	fin := client.Report{AttemptID: a.AttemptID, Kind: "finish", State: "succeeded",
		Outputs: map[string]string{"result": "value of " + a.Task}}
	if e.failing.Load() && strings.Contains(a.Command, "fail") {
		fin = client.Report{AttemptID: a.AttemptID, Kind: "finish", State: "failed", ExitCode: 1, Reason: "exit status 1"}
	}
	return e.c.ReportOne(e.ctx, workerID, fin)
}

func (e *migrateEra) waitRun(id int64, state string) client.RunDetail {
	e.t.Helper()
	var d client.RunDetail
	eventually(e.t, "run "+state, func() bool {
		var err error
		d, err = e.c.Run(context.Background(), id)
		return err == nil && d.State == state
	})
	return d
}

const (
	migrateChild  = "name: child\ntasks:\n  - {name: c1, run: echo child}\n"
	migrateParent = `name: parent
timeout: 1h
max_active_runs: 5
tasks:
  - {name: prep, run: echo prep}
  - {name: ckpt, run: echo ckpt, needs: [prep]}
  - {name: sub, workflow: child, needs: [ckpt]}
  - name: secretive
    run: echo secret
    env: {TOKEN: "${{ secrets.api_token }}"}
    slot: warehouse
    needs: [sub]
`
	migrateFlaky   = "name: flaky\ntasks:\n  - {name: a, run: echo a}\n  - {name: b, run: echo fail, needs: [a]}\n"
	migrateLimited = "name: limited\nmax_active_runs: 1\ntasks:\n  - {name: w, run: echo w, group: nowhere}\n"
	migrateRetired = "name: retired\ntasks:\n  - {name: r, run: echo r}\n"
)

// TestMigrateStore builds an embedded store with every kind of row, runs
// baton migrate-store into a fresh PostgreSQL database, and goes on there
// with a server on PostgreSQL: the paused schedule resumes and fires at
// its kept due time, the failed run's rerun succeeds, secrets decrypt,
// tokens of the SQLite era authenticate, workers join with the old join
// token, and the counts and checksums match for every table.
func TestMigrateStore(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "baton.db")
	ring, err := secrets.ParseKeys(secrets.NewKey())
	if err != nil {
		t.Fatal(err)
	}
	lite, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	liteOpen := true
	defer func() {
		if liteOpen {
			lite.Close()
		}
	}()
	admin, err := server.IssueToken(ctx, lite, "admin", auth.RoleAdmin)
	if err != nil {
		t.Fatal(err)
	}
	join, err := server.IssueToken(ctx, lite, "workers", auth.RoleWorker)
	if err != nil {
		t.Fatal(err)
	}

	// The SQLite era.
	old := startMigrateEra(t, lite, ring, admin, join)
	old.failing.Store(true)
	c := old.c
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	_, err = c.SetSecret(ctx, "api_token", "s3cr3t value")
	must(err)
	_, err = c.SetSlot(ctx, client.Slot{Name: "warehouse", Size: 2, Description: "the warehouse"})
	must(err)
	_, err = c.SetAlertChannel(ctx, client.AlertChannel{Name: "ops", URL: "https://alerts.invalid/hook",
		Events: []string{"run.failed"}, Secret: "hmac key"})
	must(err)
	viewer, err := c.CreateToken(ctx, client.NewToken{Name: "dashboard", Role: "viewer"})
	must(err)
	_, err = c.CreateUser(ctx, client.NewUser{Name: "ana", Role: "operator", Password: "ana's long password"})
	must(err)
	_, err = c.Apply(ctx, []client.SourceFile{{Filename: "child.yaml", Content: migrateChild},
		{Filename: "parent.yaml", Content: migrateParent}, {Filename: "flaky.yaml", Content: migrateFlaky},
		{Filename: "limited.yaml", Content: migrateLimited}, {Filename: "retired.yaml", Content: migrateRetired}})
	must(err)
	// A second version of flaky: the failed run keeps its version.
	_, err = c.Apply(ctx, []client.SourceFile{{Filename: "flaky.yaml", Content: migrateFlaky + "# v2\n"}})
	must(err)
	_, err = c.SetWorkflowDisabled(ctx, "retired", true)
	must(err)
	old.worker("w-a", "a")
	old.worker("w-b", "b")
	_, err = c.Register(ctx, client.RegisterRequest{Name: "w-c", Zone: "c", Capacity: 1})
	must(err)
	_, err = c.ZoneAction(ctx, "c", "cordon", client.DrainRequest{Reason: "maintenance"})
	must(err)

	parent, err := c.StartRun(ctx, "parent", client.StartRunRequest{})
	must(err)
	pd := old.waitRun(parent.ID, "succeeded")
	if got := old.envOf("secretive")["TOKEN"]; got != "s3cr3t value" {
		t.Fatalf("SQLite era: the secret reached the task as %q", got)
	}
	flaky, err := c.StartRun(ctx, "flaky", client.StartRunRequest{})
	must(err)
	old.waitRun(flaky.ID, "failed")
	limited1, err := c.StartRun(ctx, "limited", client.StartRunRequest{})
	must(err)
	limited2, err := c.StartRun(ctx, "limited", client.StartRunRequest{})
	must(err)

	// The schedule comes last, so that its first due time is still ahead
	// once the store has moved: created paused, with a note.
	due := time.Now().Add(25 * time.Second).Truncate(time.Second).UTC()
	ticker := "name: ticker\nschedule: {cron: \"@every 1h\", start: " + due.Format(time.RFC3339) +
		", paused: true}\ntasks:\n  - {name: tick, run: echo tick}\n"
	_, err = c.Apply(ctx, []client.SourceFile{{Filename: "ticker.yaml", Content: ticker}})
	must(err)
	_, err = c.PauseSchedule(ctx, "ticker", "default", "pause", "until the move")
	must(err)
	before := scheduleOf(t, c, "ticker")
	if !before.Paused || !before.NextDue.Equal(due) {
		t.Fatalf("SQLite era schedule %+v, want paused, next due %v", before, due)
	}
	oldRuns := runsByID(t, c)

	// Refused while the server holds the database.
	dsn := storetest.CreateDatabase(t)
	if r := runMigrateStore(t, "--from", "sqlite:"+path, "--to", dsn); r.err == nil ||
		!strings.Contains(r.err.Error(), "--from") || !strings.Contains(r.err.Error(), "in use") {
		t.Fatalf("migrate-store while the server runs: %v, want refused naming --from", r.err)
	}
	old.stop()
	must(lite.Close())
	liteOpen = false

	r := runMigrateStore(t, "--from", "sqlite:"+path, "--to", dsn)
	if r.err != nil {
		t.Fatalf("migrate-store: %v\n%s%s", r.err, r.stdout, r.stderr)
	}
	checkMigrateReport(t, path, r.stdout)

	// The PostgreSQL era.
	pg, err := postgres.Open(ctx, postgres.Config{DSN: dsn})
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Close()
	now := startMigrateEra(t, pg, ring, admin, join) // the old tokens
	defer now.stop()
	c = now.c
	if id, err := mustClient(t, now.srv.URL(), viewer.Secret).Whoami(ctx); err != nil || id.Name != "dashboard" || id.Role != "viewer" {
		t.Fatalf("the SQLite era's viewer token on PostgreSQL: %+v %v", id, err)
	}
	if users, err := c.Users(ctx); err != nil || len(users) != 1 || users[0].Name != "ana" || users[0].Role != "operator" {
		t.Errorf("the SQLite era's users on PostgreSQL: %+v %v", users, err)
	}
	if got := runsByID(t, c); !maps.EqualFunc(got, oldRuns, func(a, b client.Run) bool { return a.State == b.State && a.Version == b.Version }) {
		t.Errorf("runs on PostgreSQL differ:\n got %+v\nwant %+v", got, oldRuns)
	}
	if d, err := c.Run(ctx, parent.ID); err != nil || !slices.EqualFunc(d.Tasks, pd.Tasks, func(a, b client.Task) bool {
		return a.Name == b.Name && a.State == b.State && maps.Equal(a.Outputs, b.Outputs)
	}) {
		t.Errorf("the parent run on PostgreSQL: %+v %v\nwant tasks %+v", d, err, pd.Tasks)
	}
	after := scheduleOf(t, c, "ticker")
	if !after.Paused || after.Note != "until the move" || !after.NextDue.Equal(due) {
		t.Fatalf("schedule on PostgreSQL %+v, want paused with its note, next due %v", after, due)
	}
	logs, err := c.Logs(ctx, flaky.ID, "b", 0, 0)
	if err != nil || !strings.Contains(logText(logs), "out of b") {
		t.Errorf("the failed task's logs on PostgreSQL: %+v %v", logs, err)
	}

	// Workers join with the SQLite era's join token; the failed run is
	// rerun from its failed task, the paused schedule resumed.
	now.worker("w-a2", "a")
	_, err = c.Rerun(ctx, flaky.ID, client.RerunRequest{Reason: "fixed"})
	must(err)
	fd := now.waitRun(flaky.ID, "succeeded")
	for _, task := range fd.Tasks {
		if want := map[string]int64{"a": 1, "b": 2}[task.Name]; task.Attempts != want {
			t.Errorf("flaky task %s has %d attempts after the rerun, want %d", task.Name, task.Attempts, want)
		}
	}
	t.Logf("%v left before the due time at resume", time.Until(due).Round(time.Millisecond))
	if time.Until(due) < 500*time.Millisecond {
		t.Fatalf("the move took too long: the schedule's due time %v has passed", due)
	}
	_, err = c.PauseSchedule(ctx, "ticker", "default", "resume", "")
	must(err)
	var fired client.Run
	eventually2(t, time.Until(due)+20*time.Second, "the resumed schedule fires", func() bool {
		page, err := c.Runs(ctx, client.RunFilter{Workflow: "ticker"})
		if err != nil || len(page.Items) == 0 {
			return false
		}
		fired = page.Items[0]
		return true
	})
	if !fired.ScheduledAt.Equal(due) {
		t.Errorf("the schedule fired for %v, want its kept due time %v", fired.ScheduledAt, due)
	}
	now.waitRun(fired.ID, "succeeded")
	// The secret decrypts on PostgreSQL: a new run hands it to its task.
	again, err := c.StartRun(ctx, "parent", client.StartRunRequest{})
	must(err)
	now.waitRun(again.ID, "succeeded")
	if got := now.envOf("secretive")["TOKEN"]; got != "s3cr3t value" {
		t.Errorf("PostgreSQL era: the secret reached the task as %q", got)
	}
	if again.ID <= limited2.ID || limited1.ID >= limited2.ID {
		t.Errorf("a new run on PostgreSQL got id %d, not past the copied ones (%d)", again.ID, limited2.ID)
	}
}

func (e *migrateEra) envOf(task string) map[string]string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.env[task]
}

// checkMigrateReport checks every table of the SQLite file is in the
// report, with equal counts on both sides, and that the tables every
// store has rows in did have rows.
func checkMigrateReport(t *testing.T, path, out string) {
	t.Helper()
	// The table names come from the file itself, not from the command:
	// a table the copy skipped would be missing below.
	tables := sqliteTables(t, path)
	rows := map[string][2]string{}
	line := regexp.MustCompile(`(?m)^(\w+)\s+(\d+)\s+(\d+)\s+(\w+)$`)
	for _, m := range line.FindAllStringSubmatch(out, -1) {
		if m[4] != "match" {
			t.Errorf("table %s: checksum %s", m[1], m[4])
		}
		rows[m[1]] = [2]string{m[2], m[3]}
	}
	for _, name := range tables {
		n, ok := rows[name]
		switch {
		case !ok:
			t.Errorf("table %s of the SQLite database is not in the report:\n%s", name, out)
		case n[0] != n[1]:
			t.Errorf("table %s: %s rows in SQLite, %s in PostgreSQL", name, n[0], n[1])
		case n[0] == "0":
			// Tables of other features than those built above may be
			// empty; they are still copied and compared.
			t.Logf("table %s had no rows to copy", name)
		}
	}
	for _, name := range []string{"workflows", "workflow_versions", "runs", "tasks", "ended_attempts", "events", "logs",
		"log_stats", "schedules", "slots", "alert_channels", "alert_outbox", "tokens", "users", "secrets", "zones",
		"workers", "workflow_active", "run_waits", "loop_marks"} {
		if n := rows[name]; n[0] == "" || n[0] == "0" {
			t.Errorf("table %s: %q rows copied, want some (the fixture builds them)", name, n[0])
		}
	}
	if !strings.Contains(out, "counts and checksums match") {
		t.Errorf("no verdict in the output:\n%s", out)
	}
}

// sqliteTables lists the tables of an SQLite file but SQLite's and goose's.
func sqliteTables(t *testing.T, path string) []string {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT name FROM sqlite_master WHERE type = 'table'
		AND name NOT LIKE 'sqlite\_%' ESCAPE '\' AND name <> 'goose_db_version'`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		names = append(names, n)
	}
	if len(names) < 20 {
		t.Fatalf("only %d tables in the SQLite database: %v", len(names), names)
	}
	return names
}

func runMigrateStore(t *testing.T, args ...string) cliResult {
	t.Helper()
	root := newRoot()
	var out, errOut bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&errOut)
	root.SetArgs(append([]string{"migrate-store"}, args...))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err := root.ExecuteContext(ctx)
	return cliResult{stdout: out.String(), stderr: errOut.String(), err: err}
}

func scheduleOf(t *testing.T, c *client.Client, workflow string) client.Schedule {
	t.Helper()
	ss, err := c.Schedules(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range ss {
		if s.Workflow == workflow {
			return s
		}
	}
	t.Fatalf("no schedule of %s in %+v", workflow, ss)
	return client.Schedule{}
}

func runsByID(t *testing.T, c *client.Client) map[int64]client.Run {
	t.Helper()
	page, err := c.Runs(context.Background(), client.RunFilter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	out := map[int64]client.Run{}
	for _, r := range page.Items {
		out[r.ID] = r
	}
	return out
}

func mustClient(t *testing.T, url, token string) *client.Client {
	t.Helper()
	c, err := client.New([]string{url}, client.WithToken(token))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func logText(l client.Logs) string {
	var b strings.Builder
	for _, ch := range l.Chunks {
		b.WriteString(ch.Data)
	}
	return b.String()
}

// eventually2 polls cond until it holds or the timeout passes.
func eventually2(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		_ = client.Wait(context.Background(), 20*time.Millisecond)
	}
}

// Bad flags are refused with the flag's name, before anything is read,
// and a password in --to is not repeated.
func TestMigrateStoreFlags(t *testing.T) {
	path := filepath.Join(t.TempDir(), "baton.db")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--to", "postgres://h/db"}, `--from: want sqlite:PATH`},
		{[]string{"--from", path, "--to", "postgres://h/db"}, `--from: want sqlite:PATH`},
		{[]string{"--from", "sqlite:" + path}, "--to: want a PostgreSQL URL"},
		{[]string{"--from", "sqlite:" + path, "--to", "mysql://h/db"}, "--to: want a PostgreSQL URL"},
		{[]string{"--from", "sqlite:" + path, "--to", "postgres://u:hunter2@h:99999/db"}, "--to: cannot parse"},
		{[]string{"--from", "sqlite:" + path, "--to", "postgres://h/db"}, "--from: open " + path + ": no such file"},
	} {
		r := runMigrateStore(t, c.args...)
		if r.err == nil || !strings.Contains(r.err.Error(), c.want) || strings.Contains(r.err.Error(), "hunter2") {
			t.Errorf("migrate-store %v: %v, want %q", c.args, r.err, c.want)
		}
	}
	if err := os.WriteFile(path, []byte("not a database"), 0o600); err != nil {
		t.Fatal(err)
	}
	r := runMigrateStore(t, "--from", "sqlite:"+path, "--to", "postgres://h/db")
	if r.err == nil || !strings.Contains(r.err.Error(), "--from: "+path+": not an SQLite database") {
		t.Errorf("migrate-store from a text file: %v", r.err)
	}
}
