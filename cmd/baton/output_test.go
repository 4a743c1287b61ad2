package main

import (
	"strings"
	"testing"
	"time"
)

func TestHumanDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0:                                     "0s",
		350 * time.Millisecond:                "350ms",
		1234 * time.Millisecond:               "1.2s",
		42*time.Second + 400*time.Millisecond: "42s",
		3*time.Minute + 4*time.Second:         "3m4s",
		2*time.Hour + 5*time.Minute:           "2h5m",
		(3*24+4)*time.Hour + time.Minute:      "3d4h",
		-1500 * time.Millisecond:              "-1.5s",
	} {
		if got := humanDuration(d); got != want {
			t.Errorf("humanDuration(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestAgoSpanTimestamp(t *testing.T) {
	now := time.Date(2025, 5, 1, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct{ got, want string }{
		{ago(now.Add(-12*time.Second), now), "12s ago"},
		{ago(now.Add(-2500*time.Millisecond), now), "2.0s ago"},
		{ago(now.Add(-184*time.Second), now), "3m4s ago"},
		{ago(now, now), "just now"},
		{ago(time.Time{}, now), ""},
		{span(now.Add(-time.Minute), time.Time{}, now), "1m0s"},
		{span(now.Add(-time.Minute), now.Add(-30*time.Second), now), "30s"},
		{span(time.Time{}, now, now), ""},
		{timestamp(time.Time{}), ""},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
	if ts := timestamp(now.Add(123 * time.Millisecond)); strings.Contains(ts, ".") || !strings.Contains(ts, "T") {
		t.Errorf("timestamp %q: want RFC 3339 without fractions", ts)
	}
}

func TestTableCells(t *testing.T) {
	var b strings.Builder
	tb := newTable(&b, "A", "LONGER")
	tb.row("x\ty", "")
	tb.row("multi\nline  reason", "z")
	if err := tb.flush(); err != nil {
		t.Fatal(err)
	}
	want := "A                   LONGER\nx y                 -\nmulti line reason   z\n"
	if b.String() != want {
		t.Errorf("table:\n%q\nwant\n%q", b.String(), want)
	}
}
