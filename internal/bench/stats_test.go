package bench

import (
	"slices"
	"testing"
	"testing/synctest"
	"time"
)

func TestScaleRatioIsMostWorkersOverTwo(t *testing.T) {
	point := func(n int, rate float64) ScalePoint {
		return ScalePoint{Workers: n, Throughput: Throughput{PerSecond: rate}}
	}
	for _, c := range []struct {
		name  string
		scale []ScalePoint
		want  float64
	}{
		{"1 2 4 8", []ScalePoint{point(1, 9), point(2, 10), point(4, 9), point(8, 8)}, 0.8},
		{"unordered", []ScalePoint{point(8, 12), point(2, 10)}, 1.2},
		{"no point of 2", []ScalePoint{point(1, 9), point(8, 8)}, 0},
		{"2 is the most", []ScalePoint{point(1, 9), point(2, 10)}, 0},
		{"none", nil, 0},
	} {
		if got := (&Report{Scale: c.scale}).scaleRatio(); got != c.want {
			t.Errorf("%s: scale ratio %v, want %v", c.name, got, c.want)
		}
	}
}

func TestMedianOfRounds(t *testing.T) {
	rounds := func(ratios ...float64) []PeerRound {
		var rs []PeerRound
		for _, r := range ratios {
			rs = append(rs, PeerRound{Ratio: r})
		}
		return rs
	}
	ratio := func(r PeerRound) float64 { return r.Ratio }
	for _, c := range []struct {
		rounds []PeerRound
		want   float64
	}{
		{rounds(0.5, 0.3, 0.4), 0.4},
		{rounds(0.5, 0.3), 0.4},
		{rounds(0.7), 0.7},
		{nil, 0},
	} {
		if got := median(c.rounds, ratio); got != c.want {
			t.Errorf("median of %v: %v, want %v", c.rounds, got, c.want)
		}
	}
}

// TestMeasureKeepsEveryWindowWhenTheSamplerIsLate: a sampler that wakes
// 2.5 windows late (a loaded machine) still reports every window of the
// duration, the late one's rate over the time it really took.
func TestMeasureKeepsEveryWindowWhenTheSamplerIsLate(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		calls := 0
		done := func() int64 {
			calls++
			if calls == 2 { // the end of the first window
				time.Sleep(2500 * time.Millisecond)
			}
			return int64(calls) * 700
		}
		tp, err := measure(t.Context(), Config{Duration: 3 * time.Second, Window: time.Second}, done, nil)
		if err != nil {
			t.Fatal(err)
		}
		want := []float64{200, 700, 700} // 700 over the 3.5s of the first window
		if !slices.Equal(tp.Windows, want) || tp.Tasks != 2100 {
			t.Errorf("windows %v of %d tasks, want %v of 2100", tp.Windows, tp.Tasks, want)
		}
	})
}
