package bench

import (
	"fmt"
	"strconv"
	"strings"
)

// rowFunc adds a row to the table of WriteTable.
type rowFunc func(name, target string, cell func(r *Report) string)

// costRows adds what a sustained run's tasks cost (see pgmeter.Cost).
func costRows(row rowFunc, get func(r *Report) *Throughput) {
	cost := func(r *Report) *Throughput {
		if t := get(r); t != nil && t.Cost != nil {
			return t
		}
		return nil
	}
	row("  CPU per task, process + database", "", func(r *Report) string {
		t := cost(r)
		if t == nil {
			return ""
		}
		c := t.Cost
		if c.Samples == 0 {
			return fmt.Sprintf("%.0f µs (in process)", c.CPUPerTask)
		}
		return fmt.Sprintf("%.0f + %.0f = %.0f µs", c.ProcessCPU, c.DatabaseCPU, c.CPUPerTask)
	})
	row("  WAL per task", "", func(r *Report) string {
		if t := cost(r); t != nil && t.Cost.Samples > 0 {
			return fmt.Sprintf("%.1f KiB", t.Cost.WALPerTask/1024)
		}
		return ""
	})
	row("  connections idle in transaction, mean / max", "", func(r *Report) string {
		if t := cost(r); t != nil && t.Cost.Samples > 0 {
			return fmt.Sprintf("%.2f / %d", t.Cost.IdleInTx, t.Cost.IdleInTxMax)
		}
		return ""
	})
}

// scaleRows adds the noop throughput per worker count.
func scaleRows(row rowFunc) {
	row("noop with 1 / 2 / 4 / 8 workers", "", func(r *Report) string {
		if len(r.Scale) == 0 {
			return ""
		}
		var ns, rates []string
		for _, p := range r.Scale {
			ns = append(ns, strconv.Itoa(p.Workers))
			rates = append(rates, count(int64(p.PerSecond)))
		}
		return strings.Join(rates, " / ") + "/s (" + strings.Join(ns, "/") + ")"
	})
	row("  most workers / 2 workers", ">= 0.95", func(r *Report) string {
		if v := r.scaleRatio(); v > 0 {
			return strconv.FormatFloat(v, 'f', 2, 64)
		}
		return ""
	})
}

// scaleRatio is the noop rate with the most workers over that with 2
// (0 if the scale scenario did not measure both).
func (r *Report) scaleRatio() float64 {
	var two, most *ScalePoint
	for i := range r.Scale {
		p := &r.Scale[i]
		if p.Workers == 2 {
			two = p
		}
		if most == nil || p.Workers > most.Workers {
			most = p
		}
	}
	if two == nil || most == two || two.PerSecond == 0 {
		return 0
	}
	return most.PerSecond / two.PerSecond
}

// windows prints a throughput's rate per window.
func windows(t *Throughput) string {
	ws := make([]string, len(t.Windows))
	for i, v := range t.Windows {
		ws[i] = strconv.FormatFloat(v, 'f', 0, 64)
	}
	return strings.Join(ws, " ")
}

// featureRows reports the features scenario: per feature, the medians with
// it over those without it; then authentication and TLS together.
func featureRows(row rowFunc) {
	for _, f := range featureList[1:] {
		row("  "+f+" on / off: throughput, CPU per task, dispatch p99", "", func(r *Report) string {
			if r.Features == nil {
				return ""
			}
			x := r.Features.Ratios[f]
			return fmt.Sprintf("%.2f, %.2f, %.2f", x.Throughput, x.CPUPerTask, x.LatencyP99)
		})
	}
	row("  features: auth + TLS / neither, CPU per task (auth's share with TLS off)", "", func(r *Report) string {
		if r.Features == nil || r.Features.AuthTLSCPU == 0 {
			return ""
		}
		return fmt.Sprintf("%.2f (%.1f %%)", r.Features.AuthTLSCPU, 100*r.Features.AuthShare)
	})
}

// tlsRows adds what TLS costs the noop scenario (the tls scenario).
func tlsRows(row rowFunc) {
	row("noop plain HTTP / TLS (median of rounds), auth on", "", func(r *Report) string {
		if r.TLS == nil {
			return ""
		}
		var off, on []float64
		for _, x := range r.TLS.Rounds {
			if x.TLS {
				on = append(on, x.PerSecond)
			} else {
				off = append(off, x.PerSecond)
			}
		}
		return perSecond(medianOf(off)) + " / " + perSecond(medianOf(on))
	})
	row("  TLS / plain: throughput, dispatch p50, p99, CPU per task", "", func(r *Report) string {
		if r.TLS == nil {
			return ""
		}
		t := r.TLS
		return fmt.Sprintf("%.2f, %.2f, %.2f, %.2f", t.ThroughputRatio, t.LatencyP50Ratio, t.LatencyP99Ratio,
			t.CPUPerTaskRatio)
	})
	row("  auth + TLS / neither: CPU per task (auth's share of the plain rounds' CPU)", "", func(r *Report) string {
		if r.TLS == nil || r.TLS.AuthTLSCPURatio == 0 {
			return ""
		}
		return fmt.Sprintf("%.2f (%.1f %%)", r.TLS.AuthTLSCPURatio, 100*r.TLS.AuthShare)
	})
	row("  checking credentials per task, plain rounds (median)", "", func(r *Report) string {
		if r.TLS == nil {
			return ""
		}
		var us []float64
		for _, x := range r.TLS.Rounds {
			if !x.TLS {
				us = append(us, x.AuthPerTask)
			}
		}
		return fmt.Sprintf("%.1f µs", medianOf(us))
	})
}
