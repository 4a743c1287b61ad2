package bench

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/baton-sched/baton/internal/engine"
)

// WriteTable prints the reports side by side, one column per store, with
// the targets Baton holds itself to.
func WriteTable(w io.Writer, reports []*Report) error {
	tw := tabwriter.NewWriter(w, 0, 0, 3, ' ', 0)
	header := []string{"FIGURE"}
	for _, r := range reports {
		header = append(header, strings.ToUpper(r.Store))
	}
	fmt.Fprintln(tw, strings.Join(append(header, "TARGET"), "\t"))
	var row rowFunc = func(name, target string, cell func(r *Report) string) {
		cells := []string{name}
		any := false
		for _, r := range reports {
			c := cell(r)
			any = any || c != ""
			cells = append(cells, cmpOr(c, "-"))
		}
		if any {
			fmt.Fprintln(tw, strings.Join(append(cells, target), "\t"))
		}
	}
	rate := func(t *Throughput) string {
		if t == nil {
			return ""
		}
		return perSecond(t.PerSecond)
	}
	row("baseline: raw lifecycle, 100 per tx, sustained", "", func(r *Report) string { return rate(r.Baseline) })
	for _, k := range []struct {
		name string
		get  func(r *Report) *Throughput
	}{{"noop", func(r *Report) *Throughput { return r.Noop }}, {"shell true", func(r *Report) *Throughput { return r.Shell }}} {
		target, steady := "", ""
		if k.name == "noop" {
			target, steady = ">= 5,000/s postgres, >= 2,000/s sqlite", ">= 0.5"
		}
		row(k.name+" throughput, sustained", target, func(r *Report) string { return rate(k.get(r)) })
		row("  worst window / mean", steady, func(r *Report) string {
			if t := k.get(r); t != nil && t.MinWindowRatio > 0 {
				return strconv.FormatFloat(t.MinWindowRatio, 'f', 2, 64)
			}
			return ""
		})
		row("  ratio to baseline", "", func(r *Report) string {
			if t := k.get(r); t != nil && t.RatioToBaseline > 0 {
				return strconv.FormatFloat(t.RatioToBaseline, 'g', 2, 64)
			}
			return ""
		})
		costRows(row, k.get)
	}
	row("1 -> 1000 -> 1 DAG, end to end", "< 2s", func(r *Report) string {
		if r.FanOut == nil {
			return ""
		}
		return short(r.FanOut.Total)
	})
	row("100-task chain, per hop", "", func(r *Report) string {
		if r.Chain == nil {
			return ""
		}
		return short(r.Chain.PerHop) + " (" + short(r.Chain.Total) + " in all)"
	})
	row("dispatch latency at 20 runs/s, p50/p99/max", "p50 <= 5ms, p99 <= 50ms", func(r *Report) string {
		return triple(r.LatencyLow)
	})
	row("  one-row commit at 20/s (baseline), p50/p99/max", "", func(r *Report) string {
		return triple(r.CommitLow)
	})
	row("dispatch latency at half peak, p50/p99/max", "", func(r *Report) string {
		if r.LatencyHalfPeak == nil {
			return ""
		}
		return triple(r.LatencyHalfPeak) + " at " + perSecond(r.HalfPeakRate)
	})
	row("  half-peak p99 / bare commit p99", "<= 10", func(r *Report) string {
		if r.HalfPeakP99Ratio == 0 {
			return ""
		}
		return strconv.FormatFloat(r.HalfPeakP99Ratio, 'f', 1, 64)
	})
	for i, name := range splitStages {
		row("    "+name+", p50/p99/slowest 1%'s mean", "", func(r *Report) string {
			if i >= len(r.LatencySplit) {
				return ""
			}
			st := r.LatencySplit[i]
			return short(st.P50) + " / " + short(st.P99) + " / " + short(st.TailMean)
		})
	}
	row("    write gate wait, mean, report / claim / start", "", func(r *Report) string {
		if r.GateWaitHalfPeak == nil {
			return ""
		}
		g := r.GateWaitHalfPeak
		return short(g[engine.GateReport]) + " / " + short(g[engine.GateClaim]) + " / " + short(g[engine.GateStart])
	})
	scaleRows(row)
	row("schedule lateness, due -> run created, p50/p99/max", "p99 <= 1s", func(r *Report) string {
		if r.Lateness == nil {
			return ""
		}
		return triple(&r.Lateness.Firing) + fmt.Sprintf(" (%d x @every 1s)", r.Lateness.Schedules)
	})
	row("backlog: queue tasks, nothing claiming", "", func(r *Report) string {
		if r.Backlog == nil {
			return ""
		}
		return perSecond(r.Backlog.StartRate) + " (" + count(r.Backlog.Tasks) + ")"
	})
	row("  drain the queue", "", func(r *Report) string {
		if r.Backlog == nil {
			return ""
		}
		return perSecond(r.Backlog.DrainRate) + " (" + short(r.Backlog.Drain) + ")"
	})
	row("history: load finished attempts", "", func(r *Report) string {
		if r.History == nil {
			return ""
		}
		return fmt.Sprintf("%s in %s", count(r.History.Attempts), short(r.History.Load))
	})
	for _, name := range apiReads {
		row("  API "+name+", p50/p99/max", "", func(r *Report) string {
			if r.History == nil {
				return ""
			}
			s := r.History.Reads[name]
			return triple(&s)
		})
	}
	retention := func(f func(x *RetentionImpact) string) func(r *Report) string {
		return func(r *Report) string {
			if r.History == nil || r.History.Retention == nil {
				return ""
			}
			return f(r.History.Retention)
		}
	}
	row("history + retention: rows deleted while measured", "", retention(func(x *RetentionImpact) string {
		return fmt.Sprintf("%s rows in %s (%d tx)", count(x.Deleted), short(x.Took), x.Batches)
	}))
	row("  API reads p50 / p99, with over without retention (before and after)", "~1", retention(func(x *RetentionImpact) string {
		return fmt.Sprintf("%.2f / %.2f", x.ReadP50Ratio, x.ReadP99Ratio)
	}))
	row("  noop throughput, with over without retention (before, after)", "~1", retention(func(x *RetentionImpact) string {
		return fmt.Sprintf("%.2f (%s vs %s, %s)", x.ThroughputRatio, perSecond(x.With.PerSecond),
			perSecond(x.Without.PerSecond), perSecond(x.After.PerSecond))
	}))
	for _, p := range uiPages {
		row("  UI page "+p.Name+", p50/p99/max", "", func(r *Report) string {
			if r.UI == nil {
				return ""
			}
			s, ok := r.UI.Pages[p.Name]
			if !ok {
				return "not served"
			}
			return triple(&s)
		})
	}
	row("fleet: server CPU idle / with heartbeats", "", func(r *Report) string {
		if r.Fleet == nil {
			return ""
		}
		return fmt.Sprintf("%.2f / %.2f cores", r.Fleet.IdleCPU, r.Fleet.CPU)
	})
	row("  server memory (RSS), end / max", "", func(r *Report) string {
		if r.Fleet == nil {
			return ""
		}
		return fmt.Sprintf("%d / %d MiB", r.Fleet.RSS>>20, r.Fleet.MaxRSS>>20)
	})
	row("  heartbeat round trip, p50/p99/max", "", func(r *Report) string {
		if r.Fleet == nil {
			return ""
		}
		return triple(&r.Fleet.Heartbeat)
	})
	row("failover, SIGKILL -> running elsewhere, p50/p99/max", "p99 <= lease + 1s", func(r *Report) string {
		return triple(r.Failover)
	})
	row("crash and restart, SIGKILL + restart -> running again, p50/p99/max", "p99 <= 1s", func(r *Report) string {
		return triple(r.CrashRestart)
	})
	tlsRows(row)
	featureRows(row)
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, r := range reports {
		for _, t := range []struct {
			name string
			t    *Throughput
		}{{"baseline", r.Baseline}, {"noop", r.Noop}, {"shell", r.Shell}} {
			if t.t == nil || len(t.t.Windows) == 0 {
				continue
			}
			fmt.Fprintf(w, "%s %s tasks/s per window: %s\n", r.Store, t.name, windows(t.t))
		}
		for _, p := range r.Scale {
			fmt.Fprintf(w, "%s noop, %d worker(s), tasks/s per window: %s\n", r.Store, p.Workers, windows(&p.Throughput))
		}
		if r.Failover != nil {
			fmt.Fprintf(w, "%s failover over %d trials\n", r.Store, r.Failover.N)
		}
		if r.CrashRestart != nil {
			fmt.Fprintf(w, "%s crash and restart over %d trials\n", r.Store, r.CrashRestart.N)
		}
	}
	return nil
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func perSecond(v float64) string { return count(int64(math.Round(v))) + "/s" }

// count prints an integer with thousands separators.
func count(n int64) string {
	s := strconv.FormatInt(n, 10)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

func triple(s *Summary) string {
	if s == nil || s.N == 0 {
		return ""
	}
	return short(s.P50) + " / " + short(s.P99) + " / " + short(s.Max)
}

// short prints a duration with few digits: 3ms, 1.25s.
func short(d time.Duration) string {
	switch {
	case d < time.Millisecond:
		return d.Round(time.Microsecond).String()
	case d < time.Second:
		return d.Round(100 * time.Microsecond).String()
	}
	return d.Round(10 * time.Millisecond).String()
}
