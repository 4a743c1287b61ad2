package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5"

	"github.com/baton-sched/baton/client"
	"github.com/baton-sched/baton/client/vocab"
	"github.com/baton-sched/baton/internal/egress"
	"github.com/baton-sched/baton/internal/engine"
	"github.com/baton-sched/baton/internal/secrets"
	"github.com/baton-sched/baton/internal/store/storetest"
	"github.com/baton-sched/baton/internal/worker"
)

// sqlTarget is a fresh database, and a user of it with a password, on one
// of the servers sql tasks run against.
type sqlTarget struct {
	dsn      string             // the connection secret's value
	password string             // the user's, inside dsn
	p        func(n int) string // the n-th placeholder
	sleep    string             // a statement that sleeps 60 s
	// query runs a query as the server's administrator in the database
	// and returns the first column of its rows.
	query func(t *testing.T, q string, args ...any) []string
	// sleeping counts the sleep statements running on the server.
	sleeping string
	// tableExists counts the tables named $1/? in the database.
	tableExists string
	// ddlCommits: DDL commits at once (MySQL), no rollback undoes it.
	ddlCommits bool
}

// newPassword is a password no log line could hold by chance.
func newPassword() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return "pw-" + hex.EncodeToString(b[:])
}

// postgresSQLTarget creates a database owned by a new role with a
// password.
func postgresSQLTarget(t *testing.T) sqlTarget {
	admin := storetest.CreateDatabase(t)
	u, err := url.Parse(admin)
	if err != nil {
		t.Fatal(err)
	}
	dbName := strings.TrimPrefix(u.Path, "/")
	role, password := dbName+"_user", newPassword()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	exec := func(q string) {
		t.Helper()
		if _, err := conn.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	exec("CREATE ROLE " + role + " LOGIN PASSWORD '" + password + "'")
	exec("ALTER DATABASE " + dbName + " OWNER TO " + role)
	t.Cleanup(func() {
		// Before storetest's own drop: the role owns the database.
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		c, err := pgx.Connect(ctx, storetest.AdminDSN())
		if err != nil {
			t.Errorf("drop role %s: %v", role, err)
			return
		}
		defer c.Close(ctx)
		for _, q := range []string{"DROP DATABASE IF EXISTS " + dbName + " WITH (FORCE)", "DROP ROLE IF EXISTS " + role} {
			if _, err := c.Exec(ctx, q); err != nil {
				t.Errorf("%s: %v", q, err)
			}
		}
	})
	dsn := *u
	dsn.User = url.UserPassword(role, password)
	return sqlTarget{dsn: dsn.String(), password: password,
		p: func(n int) string { return fmt.Sprintf("$%d", n) }, sleep: "SELECT pg_sleep(60)",
		sleeping: `SELECT count(*)::text FROM pg_stat_activity WHERE datname = current_database()
			AND query LIKE 'SELECT pg_sleep(60)%' AND state <> 'idle' AND pid <> pg_backend_pid()`,
		tableExists: "SELECT count(*)::text FROM information_schema.tables WHERE table_catalog = current_database() AND table_name = $1",
		query: func(t *testing.T, q string, args ...any) []string {
			t.Helper()
			rows, err := conn.Query(ctx, q, args...)
			if err != nil {
				t.Fatalf("%s: %v", q, err)
			}
			out, err := pgx.CollectRows(rows, pgx.RowTo[string])
			if err != nil {
				t.Fatalf("%s: %v", q, err)
			}
			return out
		}}
}

// mysqlSQLTarget creates a database on the MariaDB or MySQL server of
// $BATON_TEST_MYSQL and a user with a password allowed only on it.
func mysqlSQLTarget(t *testing.T) sqlTarget {
	adminDSN := os.Getenv("BATON_TEST_MYSQL")
	if adminDSN == "" {
		adminDSN = "root@tcp(127.0.0.1:3306)/"
	}
	admin, err := sql.Open("mysql", adminDSN)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close() })
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "baton_test_" + hex.EncodeToString(b[:])
	user, password := name+"_u", newPassword()
	for _, q := range []string{"CREATE DATABASE " + name,
		"CREATE USER '" + user + "'@'%' IDENTIFIED BY '" + password + "'",
		"GRANT ALL ON " + name + ".* TO '" + user + "'@'%'"} {
		if _, err := admin.Exec(q); err != nil {
			t.Fatalf("%s on %s: %v", q, adminDSN, err)
		}
	}
	t.Cleanup(func() {
		for _, q := range []string{"DROP DATABASE IF EXISTS " + name, "DROP USER IF EXISTS '" + user + "'@'%'"} {
			if _, err := admin.Exec(q); err != nil {
				t.Errorf("%s: %v", q, err)
			}
		}
	})
	cfg, err := mysql.ParseDSN(adminDSN)
	if err != nil {
		t.Fatal(err)
	}
	adminCfg := cfg.Clone()
	adminCfg.DBName = name
	cfg.User, cfg.Passwd, cfg.DBName = user, password, name
	db, err := sql.Open("mysql", adminCfg.FormatDSN())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return sqlTarget{dsn: "mysql://" + cfg.FormatDSN(), password: password,
		p: func(int) string { return "?" }, sleep: "SELECT SLEEP(60)",
		sleeping: `SELECT count(*) FROM information_schema.PROCESSLIST
			WHERE DB = DATABASE() AND INFO LIKE 'SELECT SLEEP(60)%' AND ID <> CONNECTION_ID()`,
		tableExists: "SELECT count(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?",
		ddlCommits:  true,
		query: func(t *testing.T, q string, args ...any) []string {
			t.Helper()
			rows, err := db.Query(q, args...)
			if err != nil {
				t.Fatalf("%s: %v", q, err)
			}
			defer rows.Close()
			var out []string
			for rows.Next() {
				var s string
				if err := rows.Scan(&s); err != nil {
					t.Fatal(err)
				}
				out = append(out, s)
			}
			if err := rows.Err(); err != nil {
				t.Fatal(err)
			}
			return out
		}}
}

// sleeping reports whether a task's sleep statement runs on the database.
func (tg sqlTarget) sleepRuns(t *testing.T) bool {
	t.Helper()
	n := tg.query(t, tg.sleeping)
	return len(n) == 1 && n[0] != "0"
}

// sqlEnv is a server and a real worker that may connect to loopback, with
// the target's DSN as the secret "warehouse".
func sqlEnv(t *testing.T, tg sqlTarget) *secureEnv {
	ring, err := secrets.ParseKeys(secrets.NewKey())
	if err != nil {
		t.Fatal(err)
	}
	policy, err := egress.New([]string{"127.0.0.1/32", "::1/128"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	x := newSecureEnv(t, engine.Config{Secrets: ring}, func(c *worker.Config) { c.Egress = policy })
	if _, err := x.c.SetSecret(context.Background(), "warehouse", tg.dsn); err != nil {
		t.Fatal(err)
	}
	return x
}

// sqlWorkflow is a workflow of one sql task.
func sqlWorkflow(name, timeout string, statements ...string) string {
	return "name: " + name + "\nparams: {note: {default: none}}\ntasks:\n  - name: q\n    timeout: " + timeout +
		"\n    sql:\n      connection: warehouse\n      max_rows: 2\n      statements:\n" +
		"        - " + strings.Join(statements, "\n        - ") + "\n"
}

// startSQLRun applies def and starts a run of it with params.
func startSQLRun(t *testing.T, x *secureEnv, def string, params map[string]string) int64 {
	t.Helper()
	ctx := context.Background()
	applied, err := x.c.Apply(ctx, []client.SourceFile{{Filename: "def.yaml", Content: def}})
	if err != nil {
		t.Fatalf("apply: %v\n%s", err, def)
	}
	run, err := x.c.StartRun(ctx, applied[0].Workflow, client.StartRunRequest{Params: params})
	if err != nil {
		t.Fatal(err)
	}
	return run.ID
}

// waitSQLRun polls the run until it ends, within what.
func waitSQLRun(t *testing.T, x *secureEnv, id int64, within time.Duration, each func()) client.RunDetail {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		if each != nil {
			each()
		}
		d, err := x.c.Run(context.Background(), id)
		if err == nil && d.Terminal() {
			return d
		}
		if time.Now().After(deadline) {
			t.Fatalf("run %d not over after %v: %+v %v", id, within, d, err)
		}
		_ = client.Wait(context.Background(), 20*time.Millisecond)
	}
}

// waitGone polls until no sleep statement runs on the database; well
// before the sleep's 60 s would end it.
func waitGone(t *testing.T, tg sqlTarget, since time.Time) {
	t.Helper()
	for tg.sleepRuns(t) {
		if time.Since(since) > 20*time.Second {
			t.Fatalf("the sleep still runs on the database %v after the task ended", time.Since(since).Round(time.Millisecond))
		}
		_ = client.Wait(context.Background(), 20*time.Millisecond)
	}
	t.Logf("the sleep is gone from the database %v after the run ended", time.Since(since).Round(time.Millisecond))
}

// lastAttempt is the run's only task's last attempt, read through the API.
func lastAttempt(t *testing.T, x *secureEnv, id int64) client.Attempt {
	t.Helper()
	as, err := x.c.Attempts(context.Background(), id)
	if err != nil || len(as) == 0 {
		t.Fatalf("attempts of run %d: %+v %v", id, as, err)
	}
	return as[len(as)-1]
}

// TestSQLTasksEndToEnd runs sql tasks through a real server and worker
// against PostgreSQL and MariaDB/MySQL: outputs, a hostile parameter
// stored as data, a timeout and a cancel that stop the query on the
// database, the database's error message as the reason, one transaction
// per task, and the connection's password in no answer, event or log.
func TestSQLTasksEndToEnd(t *testing.T) {
	for name, open := range map[string]func(*testing.T) sqlTarget{"postgres": postgresSQLTarget, "mysql": mysqlSQLTarget} {
		t.Run(name, func(t *testing.T) {
			tg := open(t)
			x := sqlEnv(t, tg)
			ctx := context.Background()
			const evil = "'; DROP TABLE x; --"
			ins := "INSERT INTO x (id, v) VALUES (" + tg.p(1) + ", " + tg.p(2) + ")"
			var runs []int64

			t.Run("outputs and a parameter stored as data", func(t *testing.T) {
				def := sqlWorkflow("load", "30s", `"CREATE TABLE x (id INT PRIMARY KEY, v VARCHAR(100))"`,
					`{query: "`+ins+`", params: ["1", "${{ params.note }}"]}`,
					`{query: "`+ins+`", params: ["2", "b"]}`,
					`{query: "`+ins+`", params: ["3", "c"]}`,
					`"SELECT id, v FROM x ORDER BY id"`)
				id := startSQLRun(t, x, def, map[string]string{"note": evil})
				runs = append(runs, id)
				run := waitSQLRun(t, x, id, 30*time.Second, nil)
				if run.State != vocab.RunSucceeded {
					t.Fatalf("run %s (%s), task %+v", run.State, run.Reason, run.Tasks)
				}
				want := map[string]string{"rows_affected": "3", "columns": `["id","v"]`,
					"rows": `[["1","'; DROP TABLE x; --"],["2","b"]]`, "row_count": "2", "truncated": "true"}
				for k, v := range want {
					if got := run.Tasks[0].Outputs[k]; got != v {
						t.Errorf("output %s = %q, want %q", k, got, v)
					}
				}
				if got := tg.query(t, "SELECT v FROM x WHERE id = 1"); len(got) != 1 || got[0] != evil {
					t.Errorf("stored value %q, want %q verbatim", got, evil)
				}
			})

			t.Run("one transaction per task", func(t *testing.T) {
				def := sqlWorkflow("tx", "30s", `{query: "`+ins+`", params: ["10", "kept?"]}`,
					`{query: "`+ins+`", params: ["1", "duplicate"]}`)
				id := startSQLRun(t, x, def, nil)
				runs = append(runs, id)
				if run := waitSQLRun(t, x, id, 30*time.Second, nil); run.State != vocab.RunFailed {
					t.Fatalf("run %s, want failed on the duplicate key", run.State)
				}
				if a := lastAttempt(t, x, id); !strings.Contains(strings.ToLower(a.Reason), "duplicate") {
					t.Errorf("reason %q, want the database's duplicate key message", a.Reason)
				}
				if got := tg.query(t, "SELECT v FROM x WHERE id = 10"); len(got) != 0 {
					t.Errorf("the first statement of a failed task stayed: %q", got)
				}
				// MySQL commits DDL at once, but what follows it stays in
				// the task's transaction.
				def = sqlWorkflow("ddl", "30s", `"CREATE TABLE y (id INT)"`, `{query: "`+ins+`", params: ["11", "kept?"]}`,
					`{query: "`+ins+`", params: ["1", "duplicate"]}`)
				id = startSQLRun(t, x, def, nil)
				runs = append(runs, id)
				if run := waitSQLRun(t, x, id, 30*time.Second, nil); run.State != vocab.RunFailed {
					t.Fatalf("run %s, want failed on the duplicate key", run.State)
				}
				if got := tg.query(t, "SELECT v FROM x WHERE id = 11"); len(got) != 0 {
					t.Errorf("a statement after DDL in a failed task stayed: %q", got)
				}
				if got := tg.query(t, tg.tableExists, "y"); len(got) != 1 || (got[0] != "0") != tg.ddlCommits {
					t.Errorf("tables named y after the failed task: %q, want DDL kept: %v", got, tg.ddlCommits)
				}
			})

			t.Run("failure with the database's message", func(t *testing.T) {
				id := startSQLRun(t, x, sqlWorkflow("broken", "30s", `"SELECT v FROM nope_table"`), nil)
				runs = append(runs, id)
				run := waitSQLRun(t, x, id, 30*time.Second, nil)
				a := lastAttempt(t, x, id)
				if run.State != vocab.RunFailed || a.State != vocab.AttemptFailed || !strings.Contains(a.Reason, "nope_table") ||
					!strings.Contains(a.Reason, "exist") || !strings.Contains(run.Tasks[0].Reason, "nope_table") {
					t.Errorf("run %s, attempt %s (%q), task reason %q; want failed with the database's message",
						run.State, a.State, a.Reason, run.Tasks[0].Reason)
				}
				id = startSQLRun(t, x, sqlWorkflow("typo", "30s", `"SELEC 1"`), nil)
				runs = append(runs, id)
				waitSQLRun(t, x, id, 30*time.Second, nil)
				if a := lastAttempt(t, x, id); a.State != vocab.AttemptFailed || !strings.Contains(strings.ToLower(a.Reason), "syntax") {
					t.Errorf("attempt %s (%q), want failed with the database's syntax error", a.State, a.Reason)
				}
			})

			t.Run("timeout stops the query on the database", func(t *testing.T) {
				start := time.Now()
				id := startSQLRun(t, x, sqlWorkflow("slow", "1s", `"`+tg.sleep+`"`), nil)
				runs = append(runs, id)
				seen := false
				run := waitSQLRun(t, x, id, 30*time.Second, func() { seen = seen || tg.sleepRuns(t) })
				ended := time.Now()
				t.Logf("the run ended %v after it started", ended.Sub(start).Round(time.Millisecond))
				a := lastAttempt(t, x, id)
				if run.State != vocab.RunFailed || a.State != vocab.AttemptTimedOut || !strings.Contains(a.Reason, "timed out") {
					t.Errorf("run %s, attempt %s (%q); want timed out", run.State, a.State, a.Reason)
				}
				if !seen {
					t.Error("the sleep was never seen running on the database")
				}
				waitGone(t, tg, ended)
			})

			t.Run("cancel stops the query on the database", func(t *testing.T) {
				id := startSQLRun(t, x, sqlWorkflow("cancelled", "5m", `"`+tg.sleep+`"`), nil)
				runs = append(runs, id)
				deadline := time.Now().Add(30 * time.Second)
				for !tg.sleepRuns(t) {
					if time.Now().After(deadline) {
						t.Fatal("the sleep never ran on the database")
					}
					_ = client.Wait(ctx, 20*time.Millisecond)
				}
				if _, err := x.c.CancelRun(ctx, id, "enough"); err != nil {
					t.Fatal(err)
				}
				run := waitSQLRun(t, x, id, 30*time.Second, nil)
				ended := time.Now()
				if a := lastAttempt(t, x, id); run.State != vocab.RunCancelled || a.State != vocab.AttemptCancelled {
					t.Errorf("run %s, attempt %s (%q); want cancelled", run.State, a.State, a.Reason)
				}
				waitGone(t, tg, ended)
			})

			// The table survived the hostile parameter and the failures.
			if got := tg.query(t, "SELECT v FROM x ORDER BY id"); len(got) != 3 || got[0] != evil {
				t.Errorf("table x holds %q, want the three rows of the first task", got)
			}
			paths := []string{"/api/v1/runs", "/api/v1/events?limit=1000", "/api/v1/secrets", "/api/v1/workflows", "/events"}
			for _, id := range runs {
				paths = append(paths, fmt.Sprintf("/api/v1/runs/%d", id), fmt.Sprintf("/api/v1/runs/%d/attempts", id),
					fmt.Sprintf("/api/v1/runs/%d/tasks/q/logs", id), fmt.Sprintf("/api/v1/events?run=%d&limit=1000", id),
					fmt.Sprintf("/runs/%d", id), fmt.Sprintf("/runs/%d/tasks/q", id)) // the web UI's run and task pages
			}
			for _, path := range paths {
				body := getRaw(t, x.c.URLs()[0]+path, x.token)
				if strings.Contains(body, tg.password) {
					t.Errorf("GET %s shows the connection's password: %s", path, body)
				}
			}
			if logs := x.logs.String(); strings.Contains(logs, tg.password) {
				t.Errorf("the server or worker log shows the connection's password:\n%s", logs)
			}
		})
	}
}
