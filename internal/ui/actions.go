package ui

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/baton-sched/baton/client"
	"github.com/baton-sched/baton/client/vocab"
)

// Actions are the changes the UI makes. The server implements each with
// the function of its API operation, so that a form can do exactly what
// the API does for the same principal; its errors are *ActionError.
type Actions interface {
	// StartRun starts a run of a workflow's version (0: the latest).
	StartRun(ctx context.Context, workflow string, version int64, params map[string]string, idempotencyKey string) (int64, error)
	CancelRun(ctx context.Context, run int64) error
	PauseRun(ctx context.Context, run int64, paused bool) error
	// RerunRun reruns a finished run: its failed tasks, or from a task on.
	RerunRun(ctx context.Context, run int64, from string) error
	MarkTask(ctx context.Context, run int64, task, state string) error
	PauseSchedule(ctx context.Context, workflow, schedule string, paused bool) error
	Backfill(ctx context.Context, workflow, schedule string, from, to time.Time) (client.Backfill, error)
	// ZoneAction cordons, uncordons or drains a zone.
	ZoneAction(ctx context.Context, zone, action string) error
	DrainWorker(ctx context.Context, id string) error
	// Decide approves or rejects (decision vocab.Decision*) a run's
	// approval task.
	Decide(ctx context.Context, run int64, task, decision, note string) error
}

// ActionError is a refused action as the API answers it: its status, its
// detail and its problems (a location such as params.day and a message).
type ActionError struct {
	Status   int
	Detail   string
	Problems []Problem
}

// Problem is one thing wrong with a request.
type Problem struct {
	Location string
	Message  string
}

func (e *ActionError) Error() string {
	msg := e.Detail
	for _, p := range e.Problems {
		if p.Location != "" {
			msg += "; " + p.Location + ": " + p.Message
		} else {
			msg += "; " + p.Message
		}
	}
	return msg
}

// ActionRoutes are the UI's POST routes by mux pattern, each with the API
// operation it stands for: the server mounts each with that operation's
// permission, so a form can do only what its API twin lets the role do.
var ActionRoutes = map[string]string{
	"POST /workflows/{name}/run":                           "start-run",
	"POST /workflows/{name}/schedules/{schedule}/pause":    "pause-schedule",
	"POST /workflows/{name}/schedules/{schedule}/resume":   "pause-schedule",
	"POST /workflows/{name}/schedules/{schedule}/backfill": "backfill-schedule",
	"POST /runs/{id}/cancel":                               "cancel-run",
	"POST /runs/{id}/pause":                                "pause-run",
	"POST /runs/{id}/resume":                               "resume-run",
	"POST /runs/{id}/rerun":                                "rerun-run",
	"POST /runs/{id}/tasks/{task}/mark":                    "mark-task",
	"POST /runs/{id}/tasks/{task}/approval":                "decide-approval",
	"POST /zones/{zone}/{action}":                          "zone-action",
	"POST /workers/{id}/drain":                             "drain-worker",
}

// registerActions mounts the action routes (with no Actions, none).
func (h *Handler) registerActions() {
	if h.opts.Actions == nil {
		return
	}
	handlers := map[string]http.HandlerFunc{
		"POST /workflows/{name}/run":                           h.trigger,
		"POST /workflows/{name}/schedules/{schedule}/pause":    h.pauseSchedule(true),
		"POST /workflows/{name}/schedules/{schedule}/resume":   h.pauseSchedule(false),
		"POST /workflows/{name}/schedules/{schedule}/backfill": h.backfill,
		"POST /runs/{id}/cancel":                               h.runAction("cancel"),
		"POST /runs/{id}/pause":                                h.runAction("pause"),
		"POST /runs/{id}/resume":                               h.runAction("resume"),
		"POST /runs/{id}/rerun":                                h.runAction("rerun"),
		"POST /runs/{id}/tasks/{task}/mark":                    h.mark,
		"POST /runs/{id}/tasks/{task}/approval":                h.decide,
		"POST /zones/{zone}/{action}":                          h.zoneAction,
		"POST /workers/{id}/drain":                             h.drainWorker,
	}
	for pattern := range ActionRoutes {
		if hf := handlers[pattern]; hf != nil { // the others: more.go
			h.mux.HandleFunc(pattern, hf)
		}
	}
}

// done ends an action: the outcome is flashed on the page it redirects to
// (POST, redirect, GET), so that a reload does not do it again.
func (h *Handler) done(w http.ResponseWriter, r *http.Request, to, okMsg string, err error) {
	if err != nil {
		setFlash(w, r, actionMessage(err), true)
	} else {
		setFlash(w, r, okMsg, false)
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// actionMessage is what a user reads of a failed action.
func actionMessage(err error) string {
	var ae *ActionError
	if errors.As(err, &ae) {
		return ae.Error()
	}
	return "failed: the server could not do this; see its log"
}

func (h *Handler) runAction(verb string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, ok := pathID(r)
		if !ok {
			h.fail(w, r, http.StatusNotFound, "Not a run ID.")
			return
		}
		ctx, a := r.Context(), h.opts.Actions
		var err error
		msg := fmt.Sprintf("Run %d: ", id)
		switch verb {
		case "cancel":
			err, msg = a.CancelRun(ctx, id), msg+"cancelled."
		case "pause", "resume":
			err, msg = a.PauseRun(ctx, id, verb == "pause"), msg+verb+"d."
		case "rerun":
			from := r.PostFormValue("from")
			err, msg = a.RerunRun(ctx, id, from), msg+"running again"
			if from != "" {
				msg += " from task " + from
			}
			msg += "."
		}
		h.done(w, r, fmt.Sprintf("/runs/%d", id), msg, err)
	}
}

// runActions answers a run's action buttons for the viewer, for htmx: the
// run page reloads them once its run has finished.
func (h *Handler) runActions(w http.ResponseWriter, r *http.Request) {
	run, ok := h.pathRun(w, r)
	if !ok {
		return
	}
	h.fragment(w, r, "run", "runactions", map[string]any{"Me": h.me(r), "Run": run})
}

func (h *Handler) mark(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		h.fail(w, r, http.StatusNotFound, "Not a run ID.")
		return
	}
	task, state := r.PathValue("task"), r.PostFormValue("state")
	back := fmt.Sprintf("/runs/%d?task=%s", id, url.QueryEscape(task))
	if !slices.Contains(vocab.TaskMarkStates, state) {
		h.done(w, r, back, "", &ActionError{Status: http.StatusUnprocessableEntity, Detail: "state: must be succeeded or skipped"})
		return
	}
	err := h.opts.Actions.MarkTask(r.Context(), id, task, state)
	h.done(w, r, back, fmt.Sprintf("Run %d: task %s marked %s.", id, task, state), err)
}

// decide answers an approval task's Approve and Reject buttons.
func (h *Handler) decide(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		h.fail(w, r, http.StatusNotFound, "Not a run ID.")
		return
	}
	task, decision := r.PathValue("task"), r.PostFormValue("decision")
	back := fmt.Sprintf("/runs/%d?task=%s", id, url.QueryEscape(task))
	if decision != vocab.DecisionApprove && decision != vocab.DecisionReject {
		h.done(w, r, back, "", &ActionError{Status: http.StatusUnprocessableEntity, Detail: "decision: must be approve or reject"})
		return
	}
	err := h.opts.Actions.Decide(r.Context(), id, task, decision, r.PostFormValue("note"))
	past := map[string]string{vocab.DecisionApprove: "approved", vocab.DecisionReject: "rejected"}[decision]
	h.done(w, r, back, fmt.Sprintf("Run %d: task %s %s.", id, task, past), err)
}

func (h *Handler) pauseSchedule(paused bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		name, sched := r.PathValue("name"), r.PathValue("schedule")
		err := h.opts.Actions.PauseSchedule(r.Context(), name, sched, paused)
		verb := "resumed"
		if paused {
			verb = "paused"
		}
		h.done(w, r, "/workflows/"+url.PathEscape(name), fmt.Sprintf("Schedule %s %s.", sched, verb), err)
	}
}

// formTime reads a time field: datetime-local (UTC) or RFC 3339.
func formTime(r *http.Request, field string) (time.Time, error) {
	v := r.PostFormValue(field)
	for _, layout := range []string{"2006-01-02T15:04", "2006-01-02T15:04:05", time.RFC3339} {
		if t, err := time.ParseInLocation(layout, v, time.UTC); err == nil {
			return t, nil
		}
	}
	return time.Time{}, &ActionError{Status: http.StatusUnprocessableEntity,
		Detail: fmt.Sprintf("%s: %q is not a time (YYYY-MM-DDTHH:MM, UTC)", field, v)}
}

func (h *Handler) backfill(w http.ResponseWriter, r *http.Request) {
	name, sched := r.PathValue("name"), r.PathValue("schedule")
	back := "/workflows/" + url.PathEscape(name)
	from, err := formTime(r, "from")
	if err != nil {
		h.done(w, r, back, "", err)
		return
	}
	to, err := formTime(r, "to")
	if err != nil {
		h.done(w, r, back, "", err)
		return
	}
	b, err := h.opts.Actions.Backfill(r.Context(), name, sched, from, to)
	h.done(w, r, back, fmt.Sprintf("Backfill of %s: %d runs created, %d existed.", sched, b.Created, b.Existing), err)
}

func (h *Handler) zoneAction(w http.ResponseWriter, r *http.Request) {
	zone, action := r.PathValue("zone"), r.PathValue("action")
	past := map[string]string{"cordon": "cordoned", "uncordon": "uncordoned", "drain": "draining"}[action]
	if past == "" {
		h.fail(w, r, http.StatusNotFound, "No such zone action.")
		return
	}
	err := h.opts.Actions.ZoneAction(r.Context(), zone, action)
	h.done(w, r, "/zones", fmt.Sprintf("Zone %s %s.", zone, past), err)
}

func (h *Handler) drainWorker(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	err := h.opts.Actions.DrainWorker(r.Context(), id)
	h.done(w, r, "/zones", fmt.Sprintf("Worker %s draining.", id), err)
}

// trigger starts a run from the workflow page's form: one field per
// declared parameter (param.NAME). A refused start shows the form again
// with every problem next to its field, and starts nothing.
func (h *Handler) trigger(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	version, _ := strconv.ParseInt(r.PostFormValue("version"), 10, 64)
	v, err := h.src.Version(r.Context(), name, version)
	if err != nil {
		h.readErr(w, r, err)
		return
	}
	if err := r.ParseForm(); err != nil {
		h.fail(w, r, http.StatusBadRequest, "Cannot read the form.")
		return
	}
	def := parseDefinition(v)
	params := map[string]string{}
	values := map[string]string{}
	for key, vals := range r.PostForm {
		pname, ok := strings.CutPrefix(key, "param.")
		if !ok || len(vals) == 0 {
			continue
		}
		values[pname] = vals[0]
		if p, declared := def.Params[pname]; declared && p.Default == nil && vals[0] == "" {
			continue // required and left empty: the start says it is missing
		}
		params[pname] = vals[0]
	}
	id, err := h.opts.Actions.StartRun(r.Context(), name, v.Version, params, r.PostFormValue("idempotency_key"))
	if err != nil {
		var ae *ActionError
		if !errors.As(err, &ae) {
			ae = &ActionError{Status: http.StatusInternalServerError, Detail: actionMessage(err)}
		}
		h.workflowPage(w, r, ae.Status, &triggerState{Values: values, Err: ae})
		return
	}
	setFlash(w, r, fmt.Sprintf("Started run %d of %s.", id, name), false)
	http.Redirect(w, r, fmt.Sprintf("/runs/%d", id), http.StatusSeeOther)
}
