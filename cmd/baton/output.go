package main

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// Output of the CLI client commands: aligned tables for people (the
// default), indented JSON of the API objects for scripts (-o json).

// jsonOutput reports whether the user asked for JSON (-o json).
func (g *globals) jsonOutput() bool { return g.output == "json" }

// checkOutput refuses an unknown -o value before anything is done.
func (g *globals) checkOutput() error {
	switch g.output {
	case "table", "json":
		return nil
	}
	return fmt.Errorf("--output %q: want table or json", g.output)
}

// printJSON writes v as indented JSON followed by a newline.
func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("write JSON: %w", err)
	}
	return nil
}

// printJSONLine writes v as JSON on one line, for streams (logs -f,
// events -f) that scripts read line by line.
func printJSONLine(w io.Writer, v any) error {
	if err := json.NewEncoder(w).Encode(v); err != nil {
		return fmt.Errorf("write JSON: %w", err)
	}
	return nil
}

// table writes rows aligned in columns; call flush when done.
type table struct{ tw *tabwriter.Writer }

// newTable starts a table with its header row, if any.
func newTable(w io.Writer, header ...string) *table {
	t := &table{tw: tabwriter.NewWriter(w, 0, 0, 3, ' ', 0)}
	if len(header) > 0 {
		t.row(header...)
	}
	return t
}

// row adds one row; cells are cleaned of tabs and line breaks, and empty
// cells show as "-".
func (t *table) row(cells ...string) {
	for i, c := range cells {
		c = oneLine(c)
		if c == "" {
			c = "-"
		}
		cells[i] = c
	}
	fmt.Fprintln(t.tw, strings.Join(cells, "\t"))
}

// flush writes the aligned table out.
func (t *table) flush() error { return t.tw.Flush() }

// oneLine makes free text (reasons, names) fit on one table line.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// humanDuration formats d briefly: "350ms", "1.2s", "42s", "3m4s", "2h5m",
// "3d4h".
func humanDuration(d time.Duration) string {
	switch {
	case d < 0:
		return "-" + humanDuration(-d)
	case d < time.Second:
		return d.Round(time.Millisecond).String()
	case d < 10*time.Second:
		return strconv.FormatFloat(d.Seconds(), 'f', 1, 64) + "s"
	case d < time.Minute:
		return d.Round(time.Second).String()
	case d < time.Hour:
		d = d.Round(time.Second)
		return fmt.Sprintf("%dm%ds", int(d.Minutes()), int(d.Seconds())%60)
	case d < 24*time.Hour:
		d = d.Round(time.Minute)
		return fmt.Sprintf("%dh%dm", int(d.Hours()), int(d.Minutes())%60)
	}
	d = d.Round(time.Hour)
	return fmt.Sprintf("%dd%dh", int(d.Hours())/24, int(d.Hours())%24)
}

// span is the humanized time from start to end; a missing end means "until
// now" (still running) and a missing start means nothing to show.
func span(start, end, now time.Time) string {
	if start.IsZero() {
		return ""
	}
	if end.IsZero() {
		end = now
	}
	return humanDuration(end.Sub(start))
}

// ago formats how long before now t was: "12s ago", "3m4s ago"; the zero
// time is "".
func ago(t, now time.Time) string {
	if t.IsZero() {
		return ""
	}
	d := now.Sub(t)
	if d < time.Second {
		return "just now"
	}
	if d < 10*time.Second {
		d = d.Truncate(time.Second)
	}
	return humanDuration(d) + " ago"
}

// timestamp formats t in local time as RFC 3339 without fractional
// seconds; the zero time is "".
func timestamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Local().Format(time.RFC3339)
}

// keyValues formats a map as "a=1, b=2" in key order.
func keyValues(m map[string]string) string {
	parts := make([]string, 0, len(m))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, k+"="+m[k])
	}
	return strings.Join(parts, ", ")
}
