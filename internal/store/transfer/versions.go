package transfer

import (
	"fmt"
	"io/fs"
	"slices"
	"strconv"
	"strings"

	"github.com/pressly/goose/v3"
)

// versionTable is goose's table of applied migrations, in both dialects.
const versionTable = "goose_db_version"

// embedded returns the versions of the migrations in fsys, sorted.
func embedded(fsys fs.FS) ([]int64, error) {
	names, err := fs.Glob(fsys, "*.sql")
	if err != nil {
		return nil, fmt.Errorf("list migrations: %w", err)
	}
	var vs []int64
	for _, n := range names {
		v, err := goose.NumericComponent(n)
		if err != nil {
			return nil, fmt.Errorf("migration %s: %w", n, err)
		}
		vs = append(vs, v)
	}
	slices.Sort(vs)
	return vs, nil
}

// versionQuery reads goose's record in the order goose wrote it, so that
// a later row (a down migration) wins.
const versionQuery = "SELECT version_id, is_applied FROM " + versionTable + " ORDER BY id"

// appliedVersions returns the versions whose last record says applied,
// sorted.
func appliedVersions(state map[int64]bool) []int64 {
	var vs []int64
	for v, ok := range state {
		if ok && v != 0 { // goose's own initial row is version 0
			vs = append(vs, v)
		}
	}
	slices.Sort(vs)
	return vs
}

// difference returns the versions of a not in b.
func difference(a, b []int64) []int64 {
	var out []int64
	for _, v := range a {
		if !slices.Contains(b, v) {
			out = append(out, v)
		}
	}
	return out
}

func versionList(vs []int64) string {
	s := make([]string, len(vs))
	for i, v := range vs {
		s[i] = strconv.FormatInt(v, 10)
	}
	return strings.Join(s, ", ")
}
