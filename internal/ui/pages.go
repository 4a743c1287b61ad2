package ui

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"html/template"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/baton-sched/baton/client"
	"github.com/baton-sched/baton/client/vocab"
	"github.com/baton-sched/baton/internal/workflow"
)

// runStates are the states a run can be in, for filters and counts.
var runStates = []string{vocab.RunQueued, vocab.RunRunning, vocab.RunPaused, vocab.RunSucceeded, vocab.RunFailed, vocab.RunCancelled}

const (
	runsPerPage      = 50
	workflowsPerPage = 50
	// countLimit bounds the runs the overview counts (then it says "at least").
	countLimit = 5000
	failovers  = 10
)

type stateCount struct {
	State string
	N     int
}

type failover struct {
	At                     time.Time
	RunID                  int64
	Task                   string
	LostZone, LostWorker   string
	Reason                 string
	NewZone, NewWorker     string
	Delay                  string // "" while not replaced
	Attempt, ReplacementNo int64
}

func (h *Handler) overview(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	p, err := h.src.Placement(ctx)
	if err != nil {
		h.readErr(w, r, err)
		return
	}
	workers, err := h.src.Workers(ctx, false)
	if err != nil {
		h.readErr(w, r, err)
		return
	}
	servers, err := h.src.Servers(ctx)
	if err != nil {
		h.readErr(w, r, err)
		return
	}
	byState := map[string]int{}
	since := h.opts.Now().Add(-24 * time.Hour)
	q := RunQuery{Since: since, Limit: 1000}
	total, capped := 0, false
	var oldest int64 // the oldest run counted
	for {
		runs, next, err := h.src.Runs(ctx, q)
		if err != nil {
			h.readErr(w, r, err)
			return
		}
		for _, run := range runs {
			byState[run.State]++
			oldest = run.ID
		}
		total += len(runs)
		if next == "" {
			break
		}
		if total >= countLimit {
			capped = true
			break
		}
		q.Before, _ = strconv.ParseInt(next, 10, 64)
	}
	counts := make([]stateCount, 0, len(runStates))
	for _, s := range runStates {
		counts = append(counts, stateCount{s, byState[s]})
	}
	fo, err := h.failovers(r, oldest)
	if err != nil {
		h.readErr(w, r, err)
		return
	}
	alerts, err := h.alertSummary(ctx)
	if err != nil {
		h.readErr(w, r, err)
		return
	}
	approvals, err := h.src.Approvals(ctx, 0)
	if err != nil {
		h.readErr(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, "overview", page{Title: "Overview", Nav: "overview", Data: map[string]any{
		"Zones": p.Zones, "Groups": p.Groups, "Workers": len(workers), "Counts": counts, "Total": total,
		"Capped": capped, "Failovers": fo, "Servers": servers, "Alerts": alerts, "Approvals": approvals,
	}})
}

// failovers returns the latest lost attempts, newest first, each with
// the attempt that replaced it. It reads the attempt.lost events from the
// first event of run fromRun on (the oldest run of the last 24 hours, 0
// for none; else the newest run), so that it reads the recent part of
// the audit trail only, and the attempts of their runs.
func (h *Handler) failovers(r *http.Request, fromRun int64) ([]failover, error) {
	ctx := r.Context()
	newest, _, err := h.src.Runs(ctx, RunQuery{Limit: 1})
	if err != nil || len(newest) == 0 {
		return nil, err
	}
	// The first event of the oldest run, else of the newest (a run
	// waiting in the queue may have none yet): where the scan starts.
	var from int64 = -1
	for _, id := range []int64{fromRun, newest[0].ID} {
		if id == 0 {
			continue
		}
		first, err := h.src.Events(ctx, EventQuery{Run: id, Limit: 1})
		if err != nil {
			return nil, err
		}
		if len(first) > 0 {
			from = first[0].ID - 1
			break
		}
	}
	if from < 0 {
		return nil, nil
	}
	var evs []client.Event
	q := EventQuery{Kind: "attempt.lost", After: from, Limit: 1000}
	for {
		page, err := h.src.Events(ctx, q)
		if err != nil {
			return nil, err
		}
		evs = append(evs, page...)
		evs = evs[max(0, len(evs)-failovers):]
		if int64(len(page)) < q.Limit {
			break
		}
		q.After = page[len(page)-1].ID
	}
	slices.Reverse(evs)
	attempts := map[int64][]client.Attempt{}
	out := make([]failover, 0, len(evs))
	for _, e := range evs {
		as, ok := attempts[e.RunID]
		if !ok {
			if as, err = h.src.Attempts(ctx, e.RunID); err != nil {
				return nil, err
			}
			attempts[e.RunID] = as
		}
		f := failover{At: e.At, RunID: e.RunID, Task: e.Task, Reason: e.Reason, LostZone: e.Zone, LostWorker: e.WorkerID}
		for i, a := range as {
			if a.ID != e.AttemptID {
				continue
			}
			f.LostZone, f.LostWorker, f.Attempt = cmp.Or(a.Zone, f.LostZone), a.WorkerID, a.Number
			for _, n := range as[i+1:] {
				if n.TaskID == a.TaskID {
					f.NewZone, f.NewWorker, f.ReplacementNo = n.Zone, n.WorkerID, n.Number
					f.Delay = humanDuration(n.DispatchedAt.Sub(cmp.Or(a.FinishedAt, e.At)))
					break
				}
			}
		}
		out = append(out, f)
	}
	return out, nil
}

func (h *Handler) runs(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	qs := r.URL.Query()
	if g := qs.Get("go"); g != "" {
		if id, err := strconv.ParseInt(g, 10, 64); err == nil && id > 0 {
			http.Redirect(w, r, "/runs/"+strconv.FormatInt(id, 10), http.StatusSeeOther)
			return
		}
		h.fail(w, r, http.StatusBadRequest, "Not a run ID: "+g)
		return
	}
	q := RunQuery{Workflow: qs.Get("workflow"), State: qs.Get("state"), Limit: runsPerPage}
	if q.State != "" && !slices.Contains(runStates, q.State) {
		h.fail(w, r, http.StatusBadRequest, "Not a run state: "+q.State)
		return
	}
	var msg string
	if q.Since, msg = parseTime("from", qs.Get("from")); msg == "" {
		q.Until, msg = parseTime("to", qs.Get("to"))
	}
	if msg != "" {
		h.fail(w, r, http.StatusBadRequest, msg)
		return
	}
	if b := qs.Get("before"); b != "" {
		q.Before, _ = strconv.ParseInt(b, 10, 64)
	}
	runs, next, err := h.src.Runs(ctx, q)
	if err != nil {
		h.readErr(w, r, err)
		return
	}
	wfs, err := h.src.Workflows(ctx)
	if err != nil {
		h.readErr(w, r, err)
		return
	}
	nextURL := ""
	if next != "" {
		v := url.Values{"before": {next}}
		if q.Workflow != "" {
			v.Set("workflow", q.Workflow)
		}
		if q.State != "" {
			v.Set("state", q.State)
		}
		if !q.Since.IsZero() {
			v.Set("from", inputTime(q.Since))
		}
		if !q.Until.IsZero() {
			v.Set("to", inputTime(q.Until))
		}
		nextURL = "/runs?" + v.Encode()
	}
	h.render(w, r, http.StatusOK, "runs", page{Title: "Runs", Nav: "runs", Data: map[string]any{
		"Runs": runs, "Query": q, "States": runStates, "Workflows": wfs, "Next": nextURL, "Paged": q.Before != 0,
		"From": inputTime(q.Since), "To": inputTime(q.Until),
	}})
}

// liveData is the part of a run page that live updates replace.
type liveData struct {
	Run   client.RunDetail
	DAG   template.HTML
	Gantt template.HTML
}

// definition is the part of a stored definition the UI draws.
type definition struct {
	Description string                    `json:"description"`
	Params      map[string]workflow.Param `json:"params"`
	Tasks       []struct {
		Name        string   `json:"name"`
		Description string   `json:"description"`
		Needs       []string `json:"needs"`
	} `json:"tasks"`
}

func parseDefinition(v client.WorkflowVersion) definition {
	var d definition
	if raw, err := json.Marshal(v.Definition); err == nil {
		_ = json.Unmarshal(raw, &d)
	}
	return d
}

// liveRun reads what the live part of a run page shows.
func (h *Handler) liveRun(ctx context.Context, id int64) (liveData, error) {
	run, err := h.src.Run(ctx, id)
	if err != nil {
		return liveData{}, err
	}
	v, err := h.src.Version(ctx, run.Workflow, run.Version)
	if err != nil {
		return liveData{}, err
	}
	attempts, err := h.src.Attempts(ctx, id)
	if err != nil {
		return liveData{}, err
	}
	workers, err := h.src.Workers(ctx, true)
	if err != nil {
		return liveData{}, err
	}
	names := make(map[string]string, len(workers))
	for _, w := range workers {
		names[w.ID] = w.Name
	}
	needs := map[string][]string{}
	for _, t := range parseDefinition(v).Tasks {
		needs[t.Name] = t.Needs
	}
	nodes := make([]Node, len(run.Tasks))
	for i, t := range run.Tasks {
		nodes[i] = Node{Name: t.Name, State: t.State, Needs: needs[t.Name],
			Href: fmt.Sprintf("/runs/%d?task=%s", id, url.QueryEscape(t.Name))}
	}
	return liveData{Run: run, DAG: DAG(nodes), Gantt: Gantt(attempts, names, h.opts.Now())}, nil
}

func (h *Handler) run(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		h.fail(w, r, http.StatusNotFound, "Not a run ID.")
		return
	}
	live, err := h.liveRun(r.Context(), id)
	if err != nil {
		h.readErr(w, r, err)
		return
	}
	var panel *taskPanel
	if name := r.URL.Query().Get("task"); name != "" {
		if panel, err = h.taskPanel(r, live.Run, name); err != nil {
			h.readErr(w, r, err)
			return
		}
	}
	h.render(w, r, http.StatusOK, "run", page{Title: fmt.Sprintf("Run %d", id), Nav: "runs", Data: map[string]any{
		"Live": live, "Panel": panel,
	}})
}

// taskPanel is a task's attempts, outputs and output log.
type taskPanel struct {
	RunID    int64
	Task     client.Task
	Attempts []client.Attempt
	Logs     client.Logs
	Text     string
	Follow   bool // the attempt still runs: the panel follows its output
	// RunTerminal: the run has finished, so the task may be rerun or marked.
	RunTerminal bool
	Me          *Me
	Checkpoint  checkpointInfo
	Child       *ChildRun // a sub-workflow task's latest child run
	Rendered    renderedView
	Approval    *client.Approval // an approval task's latest approval
}

const panelLogBytes = 256 << 10

func (h *Handler) taskPanel(r *http.Request, run client.RunDetail, name string) (*taskPanel, error) {
	ctx := r.Context()
	p := &taskPanel{RunID: run.ID, RunTerminal: run.Terminal(), Me: h.me(r)}
	found := false
	for _, t := range run.Tasks {
		if t.Name == name {
			p.Task, found = t, true
		}
	}
	if !found {
		return nil, fmt.Errorf("task %q of run %d: %w", name, run.ID, errNotFound)
	}
	as, err := h.src.Attempts(ctx, run.ID)
	if err != nil {
		return nil, err
	}
	for _, a := range as {
		if a.TaskID == p.Task.ID {
			p.Attempts = append(p.Attempts, a)
		}
	}
	attempt, _ := strconv.ParseInt(r.URL.Query().Get("attempt"), 10, 64)
	if p.Logs, err = h.src.Logs(ctx, run.ID, name, attempt, 0, panelLogBytes); err != nil {
		return nil, err
	}
	for _, c := range p.Logs.Chunks {
		p.Text += c.Data
	}
	p.Follow = p.Logs.State == vocab.AttemptRunning || p.Logs.State == vocab.AttemptDispatched
	if err := h.panelExtras(ctx, p); err != nil {
		return nil, err
	}
	return p, nil
}

// task answers a task panel, for htmx.
func (h *Handler) task(w http.ResponseWriter, r *http.Request) {
	run, ok := h.pathRun(w, r)
	if !ok {
		return
	}
	p, err := h.taskPanel(r, run, r.PathValue("task"))
	if err != nil {
		h.readErr(w, r, err)
		return
	}
	h.fragment(w, r, "run", "panel", p)
}

type workflowRow struct {
	client.Workflow
	Schedules int
	Recent    []client.Run
}

func (h *Handler) workflows(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	wfs, err := h.src.Workflows(ctx)
	if err != nil {
		h.readErr(w, r, err)
		return
	}
	scheds, err := h.src.Schedules(ctx)
	if err != nil {
		h.readErr(w, r, err)
		return
	}
	n := map[string]int{}
	for _, s := range scheds {
		n[s.Workflow]++
	}
	pageNo, _ := strconv.Atoi(r.URL.Query().Get("page"))
	pageNo = max(pageNo, 1)
	from := min((pageNo-1)*workflowsPerPage, len(wfs))
	to := min(from+workflowsPerPage, len(wfs))
	rows := make([]workflowRow, 0, to-from)
	for _, wf := range wfs[from:to] {
		recent, _, err := h.src.Runs(ctx, RunQuery{Workflow: wf.Name, Limit: 12})
		if err != nil {
			h.readErr(w, r, err)
			return
		}
		slices.Reverse(recent)
		rows = append(rows, workflowRow{Workflow: wf, Schedules: n[wf.Name], Recent: recent})
	}
	data := map[string]any{"Rows": rows, "Total": len(wfs)}
	if to < len(wfs) {
		data["Next"] = fmt.Sprintf("/workflows?page=%d", pageNo+1)
	}
	if pageNo > 1 {
		data["Prev"] = fmt.Sprintf("/workflows?page=%d", pageNo-1)
	}
	h.render(w, r, http.StatusOK, "workflows", page{Title: "Workflows", Nav: "workflows", Data: data})
}

func (h *Handler) workflow(w http.ResponseWriter, r *http.Request) {
	h.workflowPage(w, r, http.StatusOK, nil)
}

// workflowPage renders a workflow's page; trigger, if not nil, is its
// trigger form as sent back, refused.
func (h *Handler) workflowPage(w http.ResponseWriter, r *http.Request, status int, trigger *triggerState) {
	ctx := r.Context()
	name := r.PathValue("name")
	version, _ := strconv.ParseInt(r.URL.Query().Get("version"), 10, 64)
	if trigger != nil {
		version, _ = strconv.ParseInt(r.PostFormValue("version"), 10, 64)
	}
	v, err := h.src.Version(ctx, name, version)
	if err != nil {
		h.readErr(w, r, err)
		return
	}
	versions, err := h.src.Versions(ctx, name)
	if err != nil {
		h.readErr(w, r, err)
		return
	}
	scheds, err := h.src.Schedules(ctx)
	if err != nil {
		h.readErr(w, r, err)
		return
	}
	scheds = slices.DeleteFunc(scheds, func(s client.Schedule) bool { return s.Workflow != name })
	recent, _, err := h.src.Runs(ctx, RunQuery{Workflow: name, Limit: 30})
	if err != nil {
		h.readErr(w, r, err)
		return
	}
	slices.Reverse(recent)
	def := parseDefinition(v)
	nodes := make([]Node, len(def.Tasks))
	for i, t := range def.Tasks {
		nodes[i] = Node{Name: t.Name, Needs: t.Needs}
	}
	data, ok := h.workflowExtras(w, r, name, def, recent)
	if !ok {
		return
	}
	me := h.me(r)
	maps.Copy(data, map[string]any{
		"Name": name, "Version": v, "Versions": versions, "Schedules": scheds, "Recent": recent,
		"Description": def.Description, "DAG": DAG(nodes), "Tasks": def.Tasks,
		"Trigger": newTriggerForm(me, name, v.Version, def, trigger),
	})
	h.render(w, r, status, "workflow", page{Title: name, Nav: "workflows", Me: me, Data: data})
}

func (h *Handler) zones(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	p, err := h.src.Placement(ctx)
	if err != nil {
		h.readErr(w, r, err)
		return
	}
	all := r.URL.Query().Get("all") != ""
	ws, err := h.src.Workers(ctx, all)
	if err != nil {
		h.readErr(w, r, err)
		return
	}
	if z := r.URL.Query().Get("zone"); z != "" {
		ws = slices.DeleteFunc(ws, func(w client.Worker) bool { return w.Zone != z })
	}
	slices.SortFunc(ws, func(a, b client.Worker) int { return cmp.Or(cmp.Compare(a.Zone, b.Zone), cmp.Compare(a.Name, b.Name)) })
	me := h.me(r)
	cards := make([]zoneCard, len(p.Zones))
	for i, z := range p.Zones {
		cards[i] = zoneCard{Zone: z, Me: me}
	}
	h.render(w, r, http.StatusOK, "zones", page{Title: "Zones and workers", Nav: "zones", Me: me, Data: map[string]any{
		"Zones": cards, "Groups": p.Groups, "Workers": ws, "All": all, "Zone": r.URL.Query().Get("zone"),
	}})
}

// zoneCard is a zone with who looks at it, for its actions.
type zoneCard struct {
	client.Zone
	Me *Me
}

// renderLive renders the live part of a run page, for the hub.
func (h *Handler) renderLive(ctx context.Context, id int64) (Update, error) {
	live, err := h.liveRun(ctx, id)
	if err != nil {
		return Update{}, err
	}
	var buf strings.Builder
	if err := h.pages["run"].ExecuteTemplate(&buf, "live", live); err != nil {
		return Update{}, fmt.Errorf("render run %d: %w", id, err)
	}
	return Update{HTML: buf.String(), Done: live.Run.Terminal()}, nil
}

// live streams a run's live part as server-sent events: an "update"
// event per change, then "done" once the run has finished.
func (h *Handler) live(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		http.NotFound(w, r)
		return
	}
	updates, leave := h.hub.Subscribe(id)
	defer leave()
	h.stream(w, r, func(yield func(string) bool) {
		for u := range updates {
			msg := sseEvent("update", u.HTML)
			if u.Done {
				msg += sseEvent("done", "")
			}
			if !yield(msg) {
				return
			}
		}
	})
}

// sseEvent writes one server-sent event; every line of data gets its
// own data field.
func sseEvent(name, data string) string {
	var b strings.Builder
	b.WriteString("event: " + name + "\n")
	for _, line := range strings.Split(data, "\n") {
		b.WriteString("data: " + strings.TrimSuffix(line, "\r") + "\n")
	}
	b.WriteString("\n")
	return b.String()
}
