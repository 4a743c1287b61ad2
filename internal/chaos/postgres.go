package chaos

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

// Postgres is a private PostgreSQL server the harness owns: it can be
// restarted in the middle of a test without disturbing anything else on
// the machine. It runs the machine's PostgreSQL binaries, as the postgres
// user when the harness runs as root (PostgreSQL refuses root).
type Postgres struct {
	*Process
	Port int
	dir  string
}

// StartPostgres creates a database cluster in a new directory under
// os.TempDir (so the postgres user can reach it) and starts a server on
// a free loopback port. Remove the directory with Close.
func StartPostgres(ctx context.Context) (*Postgres, error) {
	bin, err := postgresBin()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "baton-pg-")
	if err != nil {
		return nil, fmt.Errorf("postgres dir: %w", err)
	}
	p := &Postgres{dir: dir}
	ok := false
	defer func() {
		if !ok {
			p.Close()
		}
	}()
	cred, err := postgresCredential(dir)
	if err != nil {
		return nil, err
	}
	data := filepath.Join(dir, "data")
	initdb := exec.CommandContext(ctx, filepath.Join(bin, "initdb"), "-D", data, "-A", "trust", "-U", "postgres",
		"-E", "UTF8", "--no-sync")
	initdb.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	if out, err := initdb.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("initdb: %w\n%s", err, out)
	}
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	_, portText, _ := strings.Cut(addr, ":")
	p.Port, _ = strconv.Atoi(portText)
	args := []string{"-D", data, "-p", portText, "-k", dir, "-c", "listen_addresses=127.0.0.1",
		"-c", "fsync=off", "-c", "max_connections=200"}
	p.Process = newProcess("postgres", filepath.Join(bin, "postgres"), filepath.Join(dir, "postgres.log"), args, nil)
	p.cred = cred
	if err := p.start(ctx); err != nil {
		return nil, err
	}
	ok = true
	return p, nil
}

// postgresBin finds the directory of the newest installed PostgreSQL
// server binaries: $BATON_PG_BIN, else /usr/lib/postgresql/*/bin.
func postgresBin() (string, error) {
	if dir := os.Getenv("BATON_PG_BIN"); dir != "" {
		return dir, nil
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	slices.SortFunc(dirs, func(a, b string) int {
		va, _ := strconv.Atoi(filepath.Base(filepath.Dir(a)))
		vb, _ := strconv.Atoi(filepath.Base(filepath.Dir(b)))
		return va - vb
	})
	for i := len(dirs) - 1; i >= 0; i-- {
		if _, err := os.Stat(filepath.Join(dirs[i], "postgres")); err == nil {
			return dirs[i], nil
		}
	}
	return "", errors.New("no PostgreSQL server binaries in /usr/lib/postgresql/*/bin (set BATON_PG_BIN)")
}

// postgresCredential returns the user to run PostgreSQL as (nil: the
// current one) and gives it dir.
func postgresCredential(dir string) (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("run postgres as root's stand-in: %w", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	if err := os.Chown(dir, uid, gid); err != nil {
		return nil, fmt.Errorf("postgres dir: %w", err)
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

// DSN is the URL of database name on this server.
func (p *Postgres) DSN(name string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", p.Port, name)
}

// CreateDatabase creates an empty database.
func (p *Postgres) CreateDatabase(ctx context.Context, name string) error {
	conn, err := pgx.Connect(ctx, p.DSN("postgres"))
	if err != nil {
		return fmt.Errorf("create database %s: %w", name, err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		return fmt.Errorf("create database %s: %w", name, err)
	}
	return nil
}

// Restart shuts the server down the fast way (open transactions roll
// back, clients are disconnected), keeps it down for at least downFor and
// starts it again, as a database restart or failover does to its
// clients. It returns once the server accepts connections again; down is
// how long it refused them.
func (p *Postgres) Restart(ctx context.Context, downFor time.Duration) (down time.Duration, err error) {
	start := time.Now()
	if err := p.Signal(syscall.SIGINT); err != nil {
		return 0, err
	}
	<-p.Exited()
	select {
	case <-ctx.Done():
		return 0, ctx.Err()
	case <-time.After(time.Until(start.Add(downFor))):
	}
	if err := p.start(ctx); err != nil {
		return 0, err
	}
	return time.Since(start), nil
}

// start starts the server process and waits until it accepts connections.
func (p *Postgres) start(ctx context.Context) error {
	if err := p.Start(); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	err := poll(ctx, 20*time.Millisecond, func() (bool, error) {
		select {
		case <-p.Exited():
			return false, p.exitedWhile("starting")
		default:
		}
		conn, err := pgx.Connect(ctx, p.DSN("postgres"))
		if err == nil {
			conn.Close(ctx)
		}
		return err == nil, nil // not accepting connections yet is not an error
	})
	if err != nil {
		return fmt.Errorf("start postgres: %w", err)
	}
	return nil
}

// Close stops the server at once and removes its directory.
func (p *Postgres) Close() {
	if p.Process != nil && p.Running() {
		_ = p.Signal(syscall.SIGQUIT) // immediate shutdown
		select {
		case <-p.Exited():
		case <-time.After(10 * time.Second):
			_ = p.Kill()
		}
	}
	_ = os.RemoveAll(p.dir)
}
