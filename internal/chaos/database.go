package chaos

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/url"
	"os"

	"github.com/jackc/pgx/v5"
)

// DefaultAdminDSN is the PostgreSQL server throwaway databases are made
// on when nothing else is said: $BATON_TEST_POSTGRES, else the local one.
func DefaultAdminDSN() string {
	return cmp.Or(os.Getenv("BATON_TEST_POSTGRES"), "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable")
}

// CreateDatabase creates an empty database with a fresh name on the
// PostgreSQL server of admin (a postgres:// URL of a user allowed to
// create databases) and returns its URL and a function that drops it.
func CreateDatabase(ctx context.Context, admin string) (dsn string, drop func(context.Context) error, err error) {
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "baton_chaos_" + hex.EncodeToString(b[:])
	dsn, err = withDatabase(admin, name)
	if err != nil {
		return "", nil, err
	}
	if err := adminExec(ctx, admin, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		return "", nil, fmt.Errorf("create database %s: %w", name, err)
	}
	drop = func(ctx context.Context) error {
		if err := adminExec(ctx, admin, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
			return fmt.Errorf("drop database %s: %w", name, err)
		}
		return nil
	}
	return dsn, drop, nil
}

func adminExec(ctx context.Context, admin, sql string) error {
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	_, err = conn.Exec(ctx, sql)
	return err
}

// EmptyDatabase drops every table and object of the public schema of the
// database of dsn (recreating the schema empty), so that a scenario run
// on a given database starts from nothing, as on a throwaway one. The
// DSN's user must own the schema.
func EmptyDatabase(ctx context.Context, dsn string) error {
	if err := adminExec(ctx, dsn, "DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public"); err != nil {
		return fmt.Errorf("empty database: %w", err)
	}
	return nil
}

// withDatabase points a postgres:// URL at another database.
func withDatabase(dsn, name string) (string, error) {
	u, err := url.Parse(dsn)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return "", fmt.Errorf("database URL %q: want a postgres:// URL", dsn)
	}
	u.Path = "/" + name
	return u.String(), nil
}

// databaseLink starts a link from a free port to the database of dsn and
// returns dsn pointed at it.
func (c *Cluster) databaseLink(name, dsn string) (string, *Link, error) {
	u, err := url.Parse(dsn)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") || u.Query().Has("host") {
		return "", nil, fmt.Errorf("database links need a postgres://host:port/... URL, got %q", dsn)
	}
	host, port := u.Hostname(), cmp.Or(u.Port(), "5432")
	l, err := c.proxies.link(name+"->database", net.JoinHostPort(cmp.Or(host, "127.0.0.1"), port))
	if err != nil {
		return "", nil, err
	}
	u.Host = l.Addr()
	return u.String(), l, nil
}
