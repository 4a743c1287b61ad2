package ui

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/baton-sched/baton/client"
)

// gridTasks bounds the rows of a workflow's grid (a wide workflow shows
// its first tasks and says how many more it has).
const gridTasks = 100

// grid is Airflow's grid view: a column per recent run (oldest left), a
// row per task, each cell the task's state in that run.
type grid struct {
	Runs  []client.Run
	Rows  []gridRow
	More  int // tasks not shown
	Empty bool
}

type gridRow struct {
	Task  string
	Cells []gridCell
}

type gridCell struct {
	RunID int64
	State string // "" when the run has no such task
}

// buildGrid reads the tasks of runs (oldest first) and lays them out by
// the task order of the definition, then tasks only older versions have.
func (h *Handler) buildGrid(ctx context.Context, runs []client.Run, order []string) (grid, error) {
	g := grid{Runs: runs, Empty: len(runs) == 0}
	states := make([]map[string]string, len(runs))
	names := append([]string(nil), order...)
	seen := make(map[string]bool, len(order))
	for _, n := range order {
		seen[n] = true
	}
	for i, run := range runs {
		d, err := h.src.Run(ctx, run.ID)
		if err != nil {
			return grid{}, err
		}
		states[i] = make(map[string]string, len(d.Tasks))
		for _, t := range d.Tasks {
			states[i][t.Name] = t.State
			if !seen[t.Name] {
				seen[t.Name] = true
				names = append(names, t.Name)
			}
		}
	}
	if len(names) > gridTasks {
		g.More = len(names) - gridTasks
		names = names[:gridTasks]
	}
	for _, n := range names {
		row := gridRow{Task: n, Cells: make([]gridCell, len(runs))}
		for i, run := range runs {
			row.Cells[i] = gridCell{RunID: run.ID, State: states[i][n]}
		}
		g.Rows = append(g.Rows, row)
	}
	return g, nil
}

// versionDiff is the diff between two versions of a workflow.
type versionDiff struct {
	From, To int64
	Lines    []diffLine
}

// parseDiff reads ?diff=FROM..TO; the error names the field.
func parseDiff(v string) (from, to int64, msg string) {
	a, b, ok := strings.Cut(v, "..")
	from, err1 := strconv.ParseInt(a, 10, 64)
	to, err2 := strconv.ParseInt(b, 10, 64)
	if !ok || err1 != nil || err2 != nil || from <= 0 || to <= 0 {
		return 0, 0, "diff: want two versions as FROM..TO, e.g. 1..3, not " + v
	}
	return from, to, ""
}

// workflowExtras reads what the workflow page shows besides its own
// parts: the grid of recent runs and, with ?diff=, a version diff. It
// answers the request itself (and false) when it fails.
func (h *Handler) workflowExtras(w http.ResponseWriter, r *http.Request, name string, def definition,
	recent []client.Run) (map[string]any, bool) {
	ctx := r.Context()
	order := make([]string, len(def.Tasks))
	for i, t := range def.Tasks {
		order[i] = t.Name
	}
	g, err := h.buildGrid(ctx, recent, order)
	if err != nil {
		h.readErr(w, r, err)
		return nil, false
	}
	out := map[string]any{"Grid": g}
	d := r.URL.Query().Get("diff")
	if d == "" {
		return out, true
	}
	from, to, msg := parseDiff(d)
	if msg != "" {
		h.fail(w, r, http.StatusBadRequest, msg)
		return nil, false
	}
	var texts [2]string
	for i, n := range []int64{from, to} {
		v, err := h.src.Version(ctx, name, n)
		if err != nil {
			h.readErr(w, r, fmt.Errorf("version %d of %s: %w", n, name, err))
			return nil, false
		}
		if v.Version != n { // a source may answer the latest for a version it lacks
			h.fail(w, r, http.StatusNotFound, fmt.Sprintf("%s has no version %d", name, n))
			return nil, false
		}
		texts[i] = definitionText(v.Source, v.Definition)
	}
	out["Diff"] = versionDiff{From: from, To: to, Lines: unifiedDiff(texts[0], texts[1])}
	return out, true
}
