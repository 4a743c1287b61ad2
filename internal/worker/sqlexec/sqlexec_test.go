package sqlexec

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5"

	"github.com/baton-sched/baton/internal/store/storetest"
)

// target is a fresh database of one driver, with its SQL dialect.
type target struct {
	driver, dsn string
	p           func(n int) string // the n-th placeholder
	sleep       string             // a statement that sleeps 30 s
	running     func(t *testing.T) bool
	// kills counts the KILL statements the server ran (nil on
	// PostgreSQL, whose cancel is no statement).
	kills func(t *testing.T) int
}

func targets(t *testing.T) map[string]func(t *testing.T) target {
	return map[string]func(t *testing.T) target{Postgres: postgresTarget, MySQL: mysqlTarget}
}

func postgresTarget(t *testing.T) target {
	dsn := storetest.CreateDatabase(t)
	return target{driver: Postgres, dsn: dsn, p: func(n int) string { return "$" + string(rune('0'+n)) },
		sleep: "SELECT pg_sleep(30)",
		running: func(t *testing.T) bool {
			return count(t, func(ctx context.Context) (int, error) {
				conn, err := pgx.Connect(ctx, dsn)
				if err != nil {
					return 0, err
				}
				defer conn.Close(ctx)
				var n int
				err = conn.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity
					WHERE state = 'active' AND query LIKE '%pg_sleep(30)%' AND pid <> pg_backend_pid()`).Scan(&n)
				return n, err
			}) > 0
		}}
}

func mysqlTarget(t *testing.T) target {
	admin := os.Getenv("BATON_TEST_MYSQL")
	if admin == "" {
		admin = "root@tcp(127.0.0.1:3306)/"
	}
	db, err := sql.Open("mysql", admin)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "baton_test_" + hex.EncodeToString(b[:])
	if _, err := db.Exec("CREATE DATABASE " + name); err != nil {
		t.Fatalf("create database on %s: %v", admin, err)
	}
	t.Cleanup(func() {
		db, err := sql.Open("mysql", admin)
		if err == nil {
			_, err = db.Exec("DROP DATABASE IF EXISTS " + name)
			db.Close()
		}
		if err != nil {
			t.Errorf("drop database %s: %v", name, err)
		}
	})
	cfg, err := mysql.ParseDSN(admin)
	if err != nil {
		t.Fatal(err)
	}
	cfg.DBName = name
	dsn := cfg.FormatDSN()
	return target{driver: MySQL, dsn: dsn, p: func(int) string { return "?" }, sleep: "SELECT SLEEP(30)",
		running: func(t *testing.T) bool {
			return count(t, func(ctx context.Context) (int, error) {
				db, err := sql.Open("mysql", dsn)
				if err != nil {
					return 0, err
				}
				defer db.Close()
				var n int
				err = db.QueryRowContext(ctx, `SELECT count(*) FROM information_schema.PROCESSLIST
					WHERE INFO LIKE '%SLEEP(30)%' AND ID <> CONNECTION_ID()`).Scan(&n)
				return n, err
			}) > 0
		},
		kills: func(t *testing.T) int {
			return count(t, func(ctx context.Context) (int, error) {
				db, err := sql.Open("mysql", dsn)
				if err != nil {
					return 0, err
				}
				defer db.Close()
				var name string
				var n int
				err = db.QueryRowContext(ctx, "SHOW GLOBAL STATUS LIKE 'Com_kill'").Scan(&name, &n)
				return n, err
			})
		}}
}

// killedOnReturn checks that run sent its KILL before it returned (the
// server's count of KILL statements grew), on MySQL.
func killedOnReturn(t *testing.T, tg target, run func()) {
	t.Helper()
	if tg.kills == nil {
		run()
		return
	}
	before := tg.kills(t)
	run()
	if after := tg.kills(t); after <= before {
		t.Errorf("no KILL sent by the time Run returned (Com_kill %d, then %d)", before, after)
	}
}

func count(t *testing.T, f func(ctx context.Context) (int, error)) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	n, err := f(ctx)
	if err != nil {
		t.Fatalf("read the server's activity: %v", err)
	}
	return n
}

// eventually polls cond until it holds or the deadline passes.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("still not %s after 10s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func run(t *testing.T, tg target, timeout time.Duration, sts ...Statement) (Result, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	return Run(ctx, Request{Driver: tg.driver, DSN: tg.dsn, Statements: sts, MaxRows: 2, Timeout: timeout})
}

func TestSQL(t *testing.T) {
	for name, open := range targets(t) {
		t.Run(name, func(t *testing.T) {
			tg := open(t)
			ins := "INSERT INTO x (id, v) VALUES (" + tg.p(1) + ", " + tg.p(2) + ")"
			evil := "'; DROP TABLE x; --"

			t.Run("outputs and bound parameters", func(t *testing.T) {
				res, err := run(t, tg, 0,
					Statement{SQL: "CREATE TABLE x (id INT PRIMARY KEY, v VARCHAR(100))"},
					Statement{SQL: ins, Params: []string{"1", evil}},
					Statement{SQL: ins, Params: []string{"2", "b"}},
					Statement{SQL: ins, Params: []string{"3", "c"}})
				if err != nil {
					t.Fatal(err)
				}
				if res.RowsAffected != 3 {
					t.Errorf("rows affected %d, want 3", res.RowsAffected)
				}
				res, err = run(t, tg, 0, Statement{SQL: "SELECT id, v FROM x WHERE id >= " + tg.p(1) + " ORDER BY id", Params: []string{"1"}})
				if err != nil {
					t.Fatal(err)
				}
				want := [][]string{{"1", evil}, {"2", "b"}}
				if !slices.Equal(res.Columns, []string{"id", "v"}) || !slices.EqualFunc(res.Rows, want, slices.Equal) || !res.Truncated {
					t.Errorf("result %+v, want columns id, v, rows %q, truncated", res, want)
				}
			})

			t.Run("one transaction", func(t *testing.T) {
				_, err := run(t, tg, 0, Statement{SQL: ins, Params: []string{"10", "kept?"}},
					Statement{SQL: ins, Params: []string{"1", "duplicate"}})
				if err == nil || !strings.Contains(strings.ToLower(err.Error()), "duplicate") {
					t.Fatalf("err %v, want the database's duplicate key error", err)
				}
				res, err := run(t, tg, 0, Statement{SQL: "SELECT count(*) FROM x WHERE id = 10"})
				if err != nil || len(res.Rows) != 1 || res.Rows[0][0] != "0" {
					t.Errorf("after the failed transaction: %+v, %v; want no row 10", res, err)
				}
			})

			t.Run("statements after DDL stay in the transaction", func(t *testing.T) {
				_, err := run(t, tg, 0, Statement{SQL: "CREATE TABLE ddl (id INT)"},
					Statement{SQL: ins, Params: []string{"11", "kept?"}},
					Statement{SQL: ins, Params: []string{"1", "duplicate"}})
				if err == nil {
					t.Fatal("a duplicate key succeeded")
				}
				res, err := run(t, tg, 0, Statement{SQL: "SELECT count(*) FROM x WHERE id = 11"})
				if err != nil || len(res.Rows) != 1 || res.Rows[0][0] != "0" {
					t.Errorf("after the failed transaction: %+v, %v; want no row 11", res, err)
				}
			})

			t.Run("values in the database's text form", func(t *testing.T) {
				q := `SELECT 1.50::numeric, NULL::text, DATE '2026-01-01', '{"a": 1}'::jsonb, '6a9e5b4e-0000-4000-8000-000000000001'::uuid`
				if tg.driver == MySQL {
					q = `SELECT CAST(1.50 AS DECIMAL(5,2)), NULL, DATE '2026-01-01', JSON_OBJECT('a', 1), '6a9e5b4e-0000-4000-8000-000000000001'`
				}
				res, err := run(t, tg, 0, Statement{SQL: q})
				want := []string{"1.50", "", "2026-01-01", `{"a": 1}`, "6a9e5b4e-0000-4000-8000-000000000001"}
				if err != nil || len(res.Rows) != 1 || !slices.Equal(res.Rows[0], want) {
					t.Errorf("rows %q, %v; want %q", res.Rows, err, want)
				}
			})

			t.Run("database error", func(t *testing.T) {
				_, err := run(t, tg, 0, Statement{SQL: "SELEC 1"})
				if err == nil || !strings.Contains(strings.ToLower(err.Error()), "syntax") {
					t.Errorf("err %v, want the database's syntax error", err)
				}
			})

			t.Run("timeout cancels the query on the database", func(t *testing.T) {
				var err error
				killedOnReturn(t, tg, func() { _, err = run(t, tg, 300*time.Millisecond, Statement{SQL: tg.sleep}) })
				if err == nil {
					t.Fatal("a 30 s sleep with a 300 ms timeout succeeded")
				}
				eventually(t, "stopped on the database", func() bool { return !tg.running(t) })
			})

			t.Run("cancel cancels the query on the database", func(t *testing.T) {
				ctx, cancel := context.WithCancel(context.Background())
				done := make(chan error, 1)
				go func() {
					_, err := Run(ctx, Request{Driver: tg.driver, DSN: tg.dsn, Statements: []Statement{{SQL: tg.sleep}}})
					done <- err
				}()
				eventually(t, "running on the database", func() bool { return tg.running(t) })
				killedOnReturn(t, tg, func() {
					cancel()
					select {
					case err := <-done:
						if err == nil {
							t.Fatal("a cancelled sleep succeeded")
						}
					case <-time.After(10 * time.Second):
						t.Fatal("Run did not return 10 s after its cancel")
					}
				})
				eventually(t, "stopped on the database", func() bool { return !tg.running(t) })
			})
		})
	}
}

func TestDSNDriver(t *testing.T) {
	for dsn, want := range map[string][2]string{
		"postgres://u@h/db":         {Postgres, "postgres://u@h/db"},
		"postgresql://u@h/db":       {Postgres, "postgresql://u@h/db"},
		"mysql://u:p@tcp(h:3306)/d": {MySQL, "u:p@tcp(h:3306)/d"},
		"u:p@tcp(h:3306)/d":         {MySQL, "u:p@tcp(h:3306)/d"},
	} {
		if d, rest := DSNDriver(dsn); d != want[0] || rest != want[1] {
			t.Errorf("DSNDriver(%q) = %s, %s; want %s, %s", dsn, d, rest, want[0], want[1])
		}
	}
}
