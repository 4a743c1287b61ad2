package workflow

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"
)

func TestParseDuration(t *testing.T) {
	tests := []struct {
		in      string
		want    time.Duration
		wantErr string
	}{
		{in: "0", want: 0},
		{in: "0s", want: 0},
		{in: "90s", want: 90 * time.Second},
		{in: "1h30m", want: 90 * time.Minute},
		{in: "2d", want: 48 * time.Hour},
		{in: "1d12h", want: 36 * time.Hour},
		{in: "1.5h", want: 90 * time.Minute},
		{in: "0.5d", want: 12 * time.Hour},
		{in: ".5s", want: 500 * time.Millisecond},
		{in: "1.1s", want: 1100 * time.Millisecond},
		{in: "1.000000001s", want: time.Second + 1},
		{in: "1.0000000019s", want: time.Second + 1},
		{in: "300ms", want: 300 * time.Millisecond},
		{in: "2us", want: 2 * time.Microsecond},
		{in: "2µs", want: 2 * time.Microsecond},
		{in: "7ns", want: 7},
		{in: "+5m", want: 5 * time.Minute},
		{in: "1h1h", want: 2 * time.Hour},
		{in: "106751d", want: 106751 * 24 * time.Hour},
		{in: "", wantErr: "must not be empty"},
		{in: "  ", wantErr: "must not be empty"},
		{in: "-5m", wantErr: "must not be negative"},
		{in: "5", wantErr: "missing unit"},
		{in: "5w", wantErr: `unknown unit "w"`},
		{in: "h", wantErr: "expected a number"},
		{in: "1h 30m", wantErr: `unknown unit "h "`},
		{in: ".s", wantErr: "expected a number"},
		{in: "+", wantErr: "invalid duration"},
		{in: "106752d", wantErr: "too long"},
		{in: "9223372036854775808ns", wantErr: "too long"},
		{in: "99999999999999999999h", wantErr: "too long"},
	}
	for _, tt := range tests {
		got, err := ParseDuration(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ParseDuration(%q) error = %v, want it to contain %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got.Std() != tt.want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", tt.in, got.Std(), err, tt.want)
		}
	}
}

func TestDurationString(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{0, "0s"},
		{90 * time.Second, "1m30s"},
		{90 * time.Minute, "1h30m"},
		{48 * time.Hour, "2d"},
		{36 * time.Hour, "1d12h"},
		{24*time.Hour + time.Second, "1d1s"},
		{1500 * time.Millisecond, "1.5s"},
		{500 * time.Millisecond, "500ms"},
		{time.Microsecond, "1µs"},
		{time.Minute + 1, "1m1ns"},
		{-90 * time.Second, "-1m30s"},
		{math.MaxInt64, "106751d23h47m16.854775807s"},
	}
	for _, tt := range tests {
		if got := Duration(tt.d).String(); got != tt.want {
			t.Errorf("Duration(%v).String() = %q, want %q", tt.d, got, tt.want)
		}
	}
}

// TestDurationRoundTrip checks that every duration marshals to a string
// that parses back to the same value, through JSON and through Parse.
func TestDurationRoundTrip(t *testing.T) {
	for _, d := range []time.Duration{
		0, 1, 999, time.Microsecond, 1500 * time.Microsecond, time.Second, 59*time.Second + 999*time.Millisecond,
		time.Minute, 90 * time.Minute, 25 * time.Hour, 36*time.Hour + 1, 400 * 24 * time.Hour, math.MaxInt64,
	} {
		b, err := json.Marshal(Duration(d))
		if err != nil {
			t.Fatalf("Marshal(%v): %v", d, err)
		}
		var back Duration
		if err := json.Unmarshal(b, &back); err != nil {
			t.Errorf("Unmarshal(%s): %v", b, err)
			continue
		}
		if back.Std() != d {
			t.Errorf("round trip of %v via %s = %v", d, b, back.Std())
		}
	}
}

func TestDurationUnmarshalJSON(t *testing.T) {
	tests := []struct {
		in      string
		want    Duration
		wantErr bool
	}{
		{in: `"1d"`, want: Duration(24 * time.Hour)},
		{in: `null`, want: 7},
		{in: `90`, wantErr: true},
		{in: `"-1s"`, wantErr: true},
		{in: `"soon"`, wantErr: true},
	}
	for _, tt := range tests {
		got := Duration(7)
		err := json.Unmarshal([]byte(tt.in), &got)
		if (err != nil) != tt.wantErr {
			t.Errorf("Unmarshal(%s) error = %v, wantErr %v", tt.in, err, tt.wantErr)
			continue
		}
		if !tt.wantErr && got != tt.want {
			t.Errorf("Unmarshal(%s) = %v, want %v", tt.in, got, tt.want)
		}
	}
}
