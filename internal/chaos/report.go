package chaos

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/baton-sched/baton/client/vocab"
)

// Millis is a duration that JSON writes as milliseconds.
type Millis time.Duration

// MarshalJSON writes the milliseconds, to a tenth.
func (m Millis) MarshalJSON() ([]byte, error) {
	return []byte(strconv.FormatFloat(float64(m)/float64(time.Millisecond), 'f', 1, 64)), nil
}

// UnmarshalJSON reads milliseconds.
func (m *Millis) UnmarshalJSON(b []byte) error {
	v, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		return fmt.Errorf("milliseconds: %w", err)
	}
	*m = Millis(v * float64(time.Millisecond))
	return nil
}

func (m Millis) String() string { return time.Duration(m).Round(time.Millisecond).String() }

// Report is the outcome of one scenario run.
type Report struct {
	Scenario string    `json:"scenario"`
	File     string    `json:"file"`
	Short    bool      `json:"short"`
	Passed   bool      `json:"passed"`
	Error    string    `json:"error,omitempty"` // what kept the harness from finishing
	Started  time.Time `json:"started"`
	Took     Millis    `json:"took_ms"`
	Runs     RunCounts `json:"runs"`
	// Failover has the time from each lost attempt's loss to its task's
	// next attempt running.
	Failover FailoverStats `json:"failover"`
	// Liveness has the waits from queued to running and the longest
	// stall with work waiting and capacity free.
	Liveness LivenessStats `json:"liveness"`
	// Heartbeats are the heartbeat probe's round trips, when it ran.
	Heartbeats *HeartbeatStats `json:"heartbeats,omitempty"`
	// Faults is what the harness did to the cluster, and when.
	Faults []FaultEvent `json:"faults"`
	Checks []Check      `json:"checks"`
	// Dir holds the processes' logs and the witness file; kept (and
	// named here) when the scenario failed or when asked.
	Dir string `json:"dir,omitempty"`
}

// RunCounts counts the runs and attempts of a scenario.
type RunCounts struct {
	Total      int `json:"total"`
	Succeeded  int `json:"succeeded"`
	Failed     int `json:"failed"`
	Cancelled  int `json:"cancelled"`
	Unfinished int `json:"unfinished"`
	Attempts   int `json:"attempts"`
	Lost       int `json:"lost_attempts"`
	// AttemptStates counts the attempts by their state.
	AttemptStates map[string]int `json:"attempt_states"`
}

// addChecks runs every check on the evidence.
func (r *Report) addChecks(ev *evidence) {
	for _, run := range ev.runs {
		r.Runs.Total++
		switch run.State {
		case vocab.RunSucceeded:
			r.Runs.Succeeded++
		case vocab.RunFailed:
			r.Runs.Failed++
		case vocab.RunCancelled:
			r.Runs.Cancelled++
		default:
			r.Runs.Unfinished++
		}
		for _, a := range run.Attempts {
			r.Runs.Attempts++
			if a.State == vocab.AttemptLost {
				r.Runs.Lost++
			}
			if r.Runs.AttemptStates == nil {
				r.Runs.AttemptStates = map[string]int{}
			}
			r.Runs.AttemptStates[a.State]++
		}
	}
	r.Failover = newFailoverStats(failoverSamples(ev))
	r.Checks = append(r.Checks, checkRuns(ev), checkFinished(ev), checkOverlap(ev), checkRerunnable(ev))
	if c, ok := checkTicks(ev); ok {
		r.Checks = append(r.Checks, c)
	}
	if c, ok := checkTriggers(ev); ok {
		r.Checks = append(r.Checks, c)
	}
	r.Liveness = liveness(ev)
	r.Checks = append(r.Checks, checkFailover(ev, r.Failover), checkLiveness(ev, r.Liveness), checkAlerts(ev))
	if ev.sc.Cluster.WorkersCommit != "" {
		r.Checks = append(r.Checks, checkVersions(ev))
	}
	if ev.sc.Expect.Limits {
		r.Checks = append(r.Checks, checkLimits(ev))
	}
	if ev.heartbeats != nil {
		r.Heartbeats = ev.heartbeats
		r.Checks = append(r.Checks, checkHeartbeats(ev, *ev.heartbeats))
	}
	if slices.ContainsFunc(ev.sc.Workload, func(l Load) bool { return l.Refused != "" }) {
		r.Checks = append(r.Checks, checkRefusals(ev))
	}
	if len(ev.sc.Expect.Events) > 0 {
		r.Checks = append(r.Checks, checkEvents(ev))
	}
	if ev.sc.Expect.PriorityOrder {
		r.Checks = append(r.Checks, checkPriority(ev))
	}
	r.Checks = append(r.Checks, checkFaults(ev))
}

// finish decides whether the scenario passed.
func (r *Report) finish(took time.Duration) {
	r.Took = Millis(took)
	r.Passed = r.Error == "" && len(r.Checks) > 0
	for _, c := range r.Checks {
		r.Passed = r.Passed && c.Passed
	}
}

// Failures lists what failed, one line each: the harness's error and
// each failed check's problems.
func (r *Report) Failures() []string {
	var out []string
	if r.Error != "" {
		out = append(out, r.Error)
	}
	for _, c := range r.Checks {
		for _, p := range c.Problems {
			out = append(out, c.Name+": "+p)
		}
	}
	return out
}

func (r *Report) verdict() string {
	if r.Passed {
		return "PASS"
	}
	return "FAIL"
}

// WriteTable writes reports for people: for each scenario what was done,
// the failover figures and a table of the checks; then, for several, one
// line per scenario.
func WriteTable(w io.Writer, reports []*Report) error {
	for _, r := range reports {
		form := "full"
		if r.Short {
			form = "short"
		}
		fmt.Fprintf(w, "== %s (%s, %s form): %s in %v\n", r.Scenario, r.File, form, r.verdict(), r.Took)
		if r.Error != "" {
			fmt.Fprintf(w, "error: %s\n", r.Error)
		}
		fmt.Fprintf(w, "runs %d: %d succeeded, %d failed, %d cancelled, %d unfinished; attempts %d%s\n",
			r.Runs.Total, r.Runs.Succeeded, r.Runs.Failed, r.Runs.Cancelled, r.Runs.Unfinished, r.Runs.Attempts,
			attemptStates(r.Runs.AttemptStates))
		if f := r.Failover; f.Samples > 0 {
			fmt.Fprintf(w, "failover (loss -> next attempt running, %d samples): p50 %v, p99 %v, max %v\n",
				f.Samples, f.P50, f.P99, f.Max)
		} else {
			fmt.Fprintln(w, "failover: no lost attempt ran again")
		}
		if l := r.Liveness; l.Waits > 0 {
			fmt.Fprintf(w, "liveness (%d waits, queued -> running): p50 %v, p99 %v, max %v; longest stall %v\n",
				l.Waits, l.P50Wait, l.P99Wait, l.MaxWait, l.MaxGap)
		}
		if h := r.Heartbeats; h != nil {
			fmt.Fprintf(w, "heartbeats (probe, %d, %d failed): p50 %v, p99 %v, max %v\n", h.Samples, h.Failed, h.P50, h.P99, h.Max)
		}
		if len(r.Faults) > 0 {
			fmt.Fprintln(w, "timeline:")
			for _, f := range r.Faults {
				line := fmt.Sprintf("  %8s  %s", "+"+time.Duration(f.At).Round(10*time.Millisecond).String(), f.Action)
				if f.Err != "" {
					line += "  ERROR: " + f.Err
				}
				fmt.Fprintln(w, line)
			}
		}
		tw := tabwriter.NewWriter(w, 0, 0, 3, ' ', 0)
		fmt.Fprintln(tw, "CHECK\tRESULT\tDETAIL")
		for _, c := range r.Checks {
			res := "ok"
			if !c.Passed {
				res = "FAIL"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\n", c.Name, res, c.Summary)
			for _, p := range c.Problems {
				fmt.Fprintf(tw, "\t\t- %s\n", oneLine(p))
			}
		}
		if err := tw.Flush(); err != nil {
			return fmt.Errorf("write report: %w", err)
		}
		if r.Dir != "" {
			fmt.Fprintf(w, "logs and witness kept in %s\n", r.Dir)
		}
		fmt.Fprintln(w)
	}
	if len(reports) < 2 {
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 0, 3, ' ', 0)
	fmt.Fprintln(tw, "SCENARIO\tRESULT\tRUNS\tLOST\tFAILOVER P50\tP99\tMAX\tTOOK")
	failed := 0
	for _, r := range reports {
		if !r.Passed {
			failed++
		}
		p50, p99, mx := "-", "-", "-"
		if r.Failover.Samples > 0 {
			p50, p99, mx = r.Failover.P50.String(), r.Failover.P99.String(), r.Failover.Max.String()
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%s\t%s\t%s\t%v\n", r.Scenario, r.verdict(), r.Runs.Total, r.Runs.Lost,
			p50, p99, mx, time.Duration(r.Took).Round(100*time.Millisecond))
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	fmt.Fprintf(w, "%d of %d scenarios passed\n", len(reports)-failed, len(reports))
	return nil
}

// attemptStates lists the attempts' states other than succeeded:
// " (3 lost, 1 failed)".
func attemptStates(m map[string]int) string {
	var parts []string
	for _, st := range slices.Sorted(maps.Keys(m)) {
		if st != vocab.RunSucceeded {
			parts = append(parts, fmt.Sprintf("%d %s", m[st], st))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return " (" + strings.Join(parts, ", ") + ")"
}

// oneLine makes a message fit on one table line.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
