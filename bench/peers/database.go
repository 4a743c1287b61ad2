package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// database is the fresh database one measurement owns.
type database struct {
	dsn  string
	drop func()
}

// createDatabase creates river_bench_<random> on the admin DSN's server.
func createDatabase(ctx context.Context, adminDSN string) (*database, error) {
	admin, err := pgx.ParseConfig(adminDSN)
	if err != nil {
		return nil, fmt.Errorf("--postgres: %w", err)
	}
	conn, err := pgx.Connect(ctx, adminDSN)
	if err != nil {
		return nil, fmt.Errorf("connect to %s@%s:%d: %w", admin.User, admin.Host, admin.Port, err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var b [4]byte
	_, _ = rand.Read(b[:])
	name := "river_bench_" + hex.EncodeToString(b[:])
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		return nil, fmt.Errorf("create database %s: %w", name, err)
	}
	cfg := admin.Copy()
	cfg.Database = name
	drop := func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if c, err := pgx.Connect(ctx, adminDSN); err == nil {
			_, _ = c.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
			_ = c.Close(ctx)
		}
	}
	return &database{dsn: dsnOf(cfg), drop: drop}, nil
}

// dsnOf writes a connection config back as a URL.
func dsnOf(c *pgx.ConnConfig) string {
	user := c.User
	if c.Password != "" {
		user += ":" + c.Password
	}
	return fmt.Sprintf("postgres://%s@%s:%d/%s?sslmode=disable", user, c.Host, c.Port, c.Database)
}
