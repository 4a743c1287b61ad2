package bench

import (
	"fmt"
	"io"
	"text/tabwriter"
)

// WritePeers prints each round of a comparison and the medians.
func WritePeers(w io.Writer, c *Comparison) error {
	tw := tabwriter.NewWriter(w, 0, 0, 3, ' ', 0)
	fmt.Fprintln(tw, "ROUND\tSYSTEM\tTASKS/S\tWORST WINDOW / MEAN\tCPU/TASK (PROCESS + DATABASE)\tWAL/TASK\tIDLE IN TX (MEAN / MAX)\tLOAD")
	line := func(round, system string, t *Throughput, load string) {
		c := t.Cost
		if c == nil {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%.2f\t-\t-\t-\t%s\n", round, system, perSecond(t.PerSecond), t.MinWindowRatio, load)
			return
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%.2f\t%.0f µs (%.0f + %.0f)\t%.1f KiB\t%.2f / %d\t%s\n", round, system,
			perSecond(t.PerSecond), t.MinWindowRatio, c.CPUPerTask, c.ProcessCPU, c.DatabaseCPU, c.WALPerTask/1024,
			c.IdleInTx, c.IdleInTxMax, load)
	}
	for i, r := range c.Rounds {
		line(fmt.Sprint(i+1), "river", r.River, "")
		line("", "baton", r.Baton, fmt.Sprintf("%.1f", r.Load))
	}
	for _, m := range []struct {
		name string
		m    PeerMedians
	}{{"river", c.River}, {"baton", c.Baton}} {
		fmt.Fprintf(tw, "median\t%s\t%s\t%.2f\t%.0f µs (%.0f + %.0f)\t%.1f KiB\t%.2f\t\n", m.name, perSecond(m.m.PerSecond),
			m.m.MinWindowRatio, m.m.CPUPerTask, m.m.ProcessCPU, m.m.DatabaseCPU, m.m.WALPerTask/1024, m.m.IdleInTx)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	ratio := func(b, r float64) string {
		if r == 0 {
			return "-"
		}
		return fmt.Sprintf("%.2f", b/r)
	}
	fmt.Fprintf(w, "Baton / River (River %s): throughput %.2f (median of the rounds' ratios), CPU per task %s, WAL per task %s\n",
		c.RiverVersion, c.Ratio, ratio(c.Baton.CPUPerTask, c.River.CPUPerTask), ratio(c.Baton.WALPerTask, c.River.WALPerTask))
	for i, r := range c.Rounds {
		fmt.Fprintf(w, "round %d river jobs/s per window: %s\n", i+1, windows(r.River))
		fmt.Fprintf(w, "round %d baton tasks/s per window: %s\n", i+1, windows(r.Baton))
	}
	return nil
}
