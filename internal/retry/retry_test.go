package retry

import (
	"testing"
	"time"
)

func TestNext(t *testing.T) {
	fixed3 := Policy{Strategy: Fixed, MaxAttempts: 3, Delay: 10 * time.Second}
	tests := []struct {
		name   string
		policy Policy
		n      int
		want   Decision
	}{
		{"none never retries", Policy{Strategy: None}, 1, Decision{}},
		{"empty strategy is none", Policy{}, 1, Decision{}},
		{"fixed retries after first", fixed3, 1, Decision{Retry: true, Delay: 10 * time.Second}},
		{"fixed retries after second", fixed3, 2, Decision{Retry: true, Delay: 10 * time.Second}},
		{"fixed gives up at max", fixed3, 3, Decision{}},
		{"fixed gives up past max", fixed3, 7, Decision{}},
		{"fixed with one attempt never retries", Policy{Strategy: Fixed, MaxAttempts: 1}, 1, Decision{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.policy.Next(tt.n); got != tt.want {
				t.Errorf("Next(%d) = %+v, want %+v", tt.n, got, tt.want)
			}
		})
	}
}
