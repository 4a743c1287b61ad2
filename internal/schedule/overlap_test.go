package schedule

import "testing"

// TestDecide checks each overlap policy with no run active, one active and
// nothing buffered, and one active with one buffered.
func TestDecide(t *testing.T) {
	tests := []struct {
		policy            Overlap
		idle, busy, queue Action // active 0; active 1, buffered 0; active 1, buffered 1
	}{
		{OverlapSkip, Start, Drop, Drop},
		{OverlapBufferOne, Start, Buffer, Drop},
		{OverlapBufferAll, Start, Buffer, Buffer},
		{OverlapCancelOther, Start, CancelAndStart, CancelAndStart},
		{OverlapAllowAll, Start, Start, Start},
		{"unknown", Start, Drop, Drop},
	}
	for _, tt := range tests {
		t.Run(string(tt.policy), func(t *testing.T) {
			for _, c := range []struct {
				active, buffered int
				want             Action
			}{
				{0, 0, tt.idle},
				{0, 2, tt.idle}, // the caller starts buffered runs first
				{1, 0, tt.busy},
				{3, 0, tt.busy},
				{1, 1, tt.queue},
				{2, 5, tt.queue},
				{-1, 0, tt.idle},
			} {
				if got := Decide(tt.policy, c.active, c.buffered); got != c.want {
					t.Errorf("Decide(%q, %d, %d) = %v, want %v", tt.policy, c.active, c.buffered, got, c.want)
				}
			}
		})
	}
}

// TestParseOverlap checks the policy names.
func TestParseOverlap(t *testing.T) {
	for in, want := range map[string]Overlap{
		"": OverlapSkip, "skip": OverlapSkip, "buffer_one": OverlapBufferOne, "buffer_all": OverlapBufferAll,
		"cancel_other": OverlapCancelOther, "allow_all": OverlapAllowAll,
	} {
		if got, err := ParseOverlap(in); err != nil || got != want {
			t.Errorf("ParseOverlap(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"Skip", "buffer", "terminate_other"} {
		if _, err := ParseOverlap(in); err == nil {
			t.Errorf("ParseOverlap(%q) accepted", in)
		}
	}
}

// TestActionString checks the names of actions.
func TestActionString(t *testing.T) {
	for a, want := range map[Action]string{Start: "start", Buffer: "buffer", Drop: "drop", CancelAndStart: "cancel_and_start", 0: "Action(0)"} {
		if got := a.String(); got != want {
			t.Errorf("%d.String() = %q, want %q", int(a), got, want)
		}
	}
}
