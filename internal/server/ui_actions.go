package server

import (
	"context"
	"errors"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/baton-sched/baton/client"
	"github.com/baton-sched/baton/internal/ui"
)

// The web UI's forms need what their API twins need: each UI POST route
// gets its operation's permission (the table has no second entry to keep
// in step).
func init() {
	for pattern, op := range ui.ActionRoutes {
		need, ok := permissions[op]
		if !ok {
			panic("ui action " + pattern + " stands for " + op + ", which has no permission")
		}
		permissions[pattern] = need
	}
}

// registerUIActions mounts the UI's forms, each with its API twin's
// permission.
func (s *Server) registerUIActions() {
	for pattern := range ui.ActionRoutes {
		s.plain.handle(pattern, s.ui)
	}
}

// uiActions makes the UI's changes with the API operations' own functions.
type uiActions struct{ s *Server }

var _ ui.Actions = uiActions{}

// actionErr turns an API operation's error into what the UI shows: the
// same status, detail and problems the API answers.
func actionErr(err error) error {
	if err == nil {
		return nil
	}
	var m *huma.ErrorModel
	if !errors.As(err, &m) {
		return &ui.ActionError{Status: 500, Detail: "internal error; see the server log"}
	}
	ae := &ui.ActionError{Status: m.Status, Detail: m.Detail}
	for _, d := range m.Errors {
		ae.Problems = append(ae.Problems, ui.Problem{Location: d.Location, Message: d.Message})
	}
	return ae
}

func (a uiActions) StartRun(ctx context.Context, workflow string, version int64, params map[string]string, key string) (int64, error) {
	in := &startInput{Name: workflow, Body: client.StartRunRequest{Version: version, Params: params, IdempotencyKey: key}}
	out, err := a.s.startRun(ctx, in)
	if err != nil {
		return 0, actionErr(err)
	}
	return out.Body.ID, nil
}

func (a uiActions) CancelRun(ctx context.Context, run int64) error {
	_, err := a.s.cancelRun(ctx, &cancelInput{ID: run})
	return actionErr(err)
}

func (a uiActions) PauseRun(ctx context.Context, run int64, paused bool) error {
	_, err := a.s.pauseRun(paused)(ctx, &pauseRunInput{ID: run})
	return actionErr(err)
}

func (a uiActions) RerunRun(ctx context.Context, run int64, from string) error {
	_, err := a.s.rerunRun(ctx, &rerunInput{ID: run, Body: client.RerunRequest{From: from}})
	return actionErr(err)
}

func (a uiActions) MarkTask(ctx context.Context, run int64, task, state string) error {
	_, err := a.s.markTask(ctx, &markInput{ID: run, Task: task, Body: client.MarkRequest{State: state}})
	return actionErr(err)
}

func (a uiActions) PauseSchedule(ctx context.Context, workflow, schedule string, paused bool) error {
	action := "resume"
	if paused {
		action = "pause"
	}
	_, err := a.s.pauseSchedule(ctx, &pauseInput{SchedulePath: SchedulePath{Workflow: workflow, Schedule: schedule}, Action: action})
	return actionErr(err)
}

func (a uiActions) Backfill(ctx context.Context, workflow, schedule string, from, to time.Time) (client.Backfill, error) {
	out, err := a.s.backfill(ctx, &backfillInput{SchedulePath: SchedulePath{Workflow: workflow, Schedule: schedule},
		Body: client.BackfillRequest{From: from, To: to}})
	if err != nil {
		return client.Backfill{}, actionErr(err)
	}
	return out.Body, nil
}

func (a uiActions) ZoneAction(ctx context.Context, zone, action string) error {
	_, err := a.s.zoneAction(ctx, &zoneActionInput{Zone: zone, Action: action})
	return actionErr(err)
}

func (a uiActions) DrainWorker(ctx context.Context, id string) error {
	_, err := a.s.drainWorker(ctx, &drainWorkerInput{ID: id})
	return actionErr(err)
}

func (a uiActions) Decide(ctx context.Context, run int64, task, decision, note string) error {
	_, err := a.s.decideApproval(ctx, &decideInput{ID: run, Task: task,
		Body: client.ApprovalDecision{Decision: decision, Note: note}})
	return actionErr(err)
}
