package server

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/baton-sched/baton/client"
	"github.com/baton-sched/baton/internal/engine"
)

type rerunInput struct {
	ID   int64 `path:"id"`
	Body client.RerunRequest
}

type markInput struct {
	ID   int64  `path:"id"`
	Task string `path:"task"`
	Body client.MarkRequest
}

type recoveredOutput struct{ Body client.Recovered }

type pauseRunInput struct {
	ID   int64 `path:"id"`
	Body struct {
		Reason string `json:"reason,omitempty" maxLength:"1000"`
	}
}

func (s *Server) registerRecovery(api huma.API) {
	s.registerPause(api)
	huma.Register(api, huma.Operation{
		OperationID: "rerun-run", Method: http.MethodPost, Path: "/api/v1/runs/{id}/rerun",
		Summary: "Run a finished run again", Tags: []string{"runs"},
		Description: "Without from: every failed, cancelled and upstream_failed task runs again; succeeded tasks " +
			"keep their outputs and are not executed. With from: that task and everything downstream of it run " +
			"again. 409 if the run has not finished. With latest or params the run is rerun as a new run (the answer's " +
			"run, rerun_of naming the old one) on the workflow's latest version and/or with the params over its own: " +
			"tasks are matched by name, those that succeeded (with all their upstream carried too) are carried with " +
			"their outputs and not executed, tasks the version added run, tasks it removed are dropped.",
	}, s.rerunRun)

	huma.Register(api, huma.Operation{
		OperationID: "mark-task", Method: http.MethodPost, Path: "/api/v1/runs/{id}/tasks/{task}/mark",
		Summary: "Mark a task succeeded or skipped", Tags: []string{"runs"},
		Description: "Ends a failed, cancelled or upstream_failed task of a finished run as succeeded or skipped: " +
			"the tasks downstream of it that did not run, run (the run runs again). 409 if the run has not finished.",
	}, s.markTask)
}

// rerunRun is the rerun-run operation (and the web UI's).
func (s *Server) rerunRun(ctx context.Context, in *rerunInput) (*recoveredOutput, error) {
	r := engine.Recovery{Failed: in.Body.From == "", From: in.Body.From, Reason: in.Body.Reason, Actor: actorOf(ctx),
		Latest: in.Body.Latest, Params: in.Body.Params}
	return s.recoverRun(ctx, in.ID, r)
}

// markTask is the mark-task operation (and the web UI's).
func (s *Server) markTask(ctx context.Context, in *markInput) (*recoveredOutput, error) {
	r := engine.Recovery{Mark: in.Task, MarkState: in.Body.State, Reason: in.Body.Reason, Actor: actorOf(ctx)}
	return s.recoverRun(ctx, in.ID, r)
}

func (s *Server) registerPause(api huma.API) {
	for _, op := range []struct {
		verb, summary, description string
		paused                     bool
	}{
		{"pause", "Pause a run", "No task of the run starts until it is resumed; attempts already running finish. " +
			"409 if the run has finished.", true},
		{"resume", "Resume a paused run", "Its waiting tasks may start again. 409 if the run has finished.", false},
	} {
		huma.Register(api, huma.Operation{
			OperationID: op.verb + "-run", Method: http.MethodPost, Path: "/api/v1/runs/{id}/" + op.verb,
			Summary: op.summary, Tags: []string{"runs"}, Description: op.description,
		}, s.pauseRun(op.paused))
	}
}

// pauseRun is the pause-run (paused) or resume-run operation (and the web
// UI's).
func (s *Server) pauseRun(paused bool) func(context.Context, *pauseRunInput) (*runOutput, error) {
	return func(ctx context.Context, in *pauseRunInput) (*runOutput, error) {
		run, err := s.engine.PauseRun(ctx, in.ID, paused, actorOf(ctx), in.Body.Reason)
		if err != nil {
			return nil, s.apiError(ctx, err)
		}
		return &runOutput{Body: toRun(run)}, nil
	}
}

func (s *Server) recoverRun(ctx context.Context, id int64, r engine.Recovery) (*recoveredOutput, error) {
	rec, err := s.engine.RecoverRun(ctx, id, r)
	if err != nil {
		return nil, s.apiError(ctx, err)
	}
	out := client.Recovered{Run: toRun(rec.Run), Rerun: rec.Rerun, RerunOf: rec.RerunOf, Carried: rec.Carried, Dropped: rec.Dropped}
	if out.Rerun == nil {
		out.Rerun = []string{}
	}
	return &recoveredOutput{Body: out}, nil
}
