package main

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/spf13/cobra"

	"github.com/baton-sched/baton/internal/store/sqlite"
	"github.com/baton-sched/baton/internal/store/transfer"
)

func newMigrateStoreCmd(g *globals) *cobra.Command {
	var from, to string
	cmd := &cobra.Command{
		Use:   "migrate-store --from sqlite:PATH --to postgres://...",
		Short: "Copy the embedded (SQLite) store into an empty PostgreSQL database, and verify the copy",
		Long: "Copies every table of a stopped server's SQLite database (workflows and their versions, runs,\n" +
			"tasks, attempts, events, logs, schedules with their due times, slots, alert channels, tokens,\n" +
			"secrets still encrypted, zones, workers, ...) into an empty PostgreSQL database, which it\n" +
			"migrates first, in one transaction, then reads every table back and commits only if the row\n" +
			"counts and checksums agree. It prints a table of counts and exits non-zero on any difference.\n\n" +
			"The SQLite database must not be in use: stop baton dev or baton server first (it is refused\n" +
			"while one holds it). Its schema must be this version's: if it is older, run\n" +
			"`baton migrate --database sqlite:PATH` with this binary first. The PostgreSQL database must be\n" +
			"empty (a new database, or one only migrated). See docs/operations.md.",
		Example: "  baton migrate-store --from sqlite:.baton/baton.db --to postgres://baton@db:5432/baton",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			path, ok := strings.CutPrefix(from, "sqlite:")
			if !ok || path == "" {
				return fmt.Errorf("--from: want sqlite:PATH (the embedded store's file), got %q", from)
			}
			if !strings.HasPrefix(to, "postgres://") && !strings.HasPrefix(to, "postgresql://") {
				return errors.New("--to: want a PostgreSQL URL, postgres://USER@HOST:PORT/DATABASE")
			}
			pcfg, err := pgx.ParseConfig(to)
			if err != nil {
				return fmt.Errorf("--to: %w", err) // pgx masks the password
			}
			rep, err := transfer.Run(cmd.Context(), transfer.Options{SQLitePath: path, PostgresDSN: to,
				Logger: slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), nil))})
			if len(rep.Tables) > 0 {
				if perr := printTransfer(cmd.OutOrStdout(), g, rep); perr != nil {
					return errors.Join(err, perr)
				}
			}
			if err != nil {
				return fmt.Errorf("migrate-store: %w", flagOf(err))
			}
			if !g.jsonOutput() {
				_, err = fmt.Fprintf(cmd.OutOrStdout(), "copied %d tables, %d rows, schema version %d, into database %s on %s: "+
					"counts and checksums match\n", len(rep.Tables), totalRows(rep), rep.Version, pcfg.Database, pcfg.Host)
			}
			return err
		},
	}
	cmd.Flags().StringVar(&from, "from", "", "the embedded store: sqlite:PATH")
	cmd.Flags().StringVar(&to, "to", "", "the PostgreSQL database: postgres://USER@HOST:PORT/DATABASE")
	return cmd
}

// flagOf names the flag whose value an error is about.
func flagOf(err error) error {
	var connect *pgconn.ConnectError
	switch {
	case errors.Is(err, os.ErrNotExist), errors.Is(err, transfer.ErrNotSQLite), errors.Is(err, sqlite.ErrInUse):
		return fmt.Errorf("--from: %w", err)
	case errors.As(err, &connect):
		return fmt.Errorf("--to: %w", err)
	}
	return err
}

func printTransfer(w io.Writer, g *globals, rep transfer.Report) error {
	if g.jsonOutput() {
		return printJSON(w, rep)
	}
	t := newTable(w, "TABLE", "SQLITE ROWS", "POSTGRESQL ROWS", "CHECKSUM")
	for _, tb := range rep.Tables {
		check := "match"
		if !tb.OK() {
			check = "DIFFERS"
		}
		t.row(tb.Name, strconv.FormatInt(tb.SourceRows, 10), strconv.FormatInt(tb.TargetRows, 10), check)
	}
	return t.flush()
}

func totalRows(rep transfer.Report) int64 {
	var n int64
	for _, t := range rep.Tables {
		n += t.TargetRows
	}
	return n
}
