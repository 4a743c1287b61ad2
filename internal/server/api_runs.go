package server

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/baton-sched/baton/client"
	"github.com/baton-sched/baton/internal/engine"
	"github.com/baton-sched/baton/internal/store"
)

type startInput struct {
	Name           string `path:"name" doc:"Workflow name"`
	IdempotencyKey string `header:"Idempotency-Key" doc:"Makes a repeat of this request (within the retention of request keys, 24 h by default) return the run the first one started; the same key with another request is refused 422. At most 255 printable ASCII bytes"`
	Body           client.StartRunRequest
}

type runOutput struct{ Body client.Run }

type startBatchInput struct {
	Name           string `path:"name" doc:"Workflow name"`
	IdempotencyKey string `header:"Idempotency-Key" doc:"Makes a repeat of this request (within the retention of request keys, 24 h by default) return the runs the first one started, in the same order; the same key with another request is refused 422. At most 255 printable ASCII bytes"`
	Body           client.StartRunsRequest
}

type startBatchOutput struct{ Body client.StartRunsResponse }

type listRunsInput struct {
	Workflow string    `query:"workflow"`
	State    string    `query:"state" enum:"queued,running,paused,succeeded,failed,cancelled"`
	Since    time.Time `query:"since" doc:"Runs created at or after (RFC 3339)"`
	Until    time.Time `query:"until" doc:"Runs created before (RFC 3339)"`
	Limit    int64     `query:"limit" minimum:"1" maximum:"1000" default:"50"`
	Cursor   string    `query:"cursor" doc:"The next cursor of the previous page"`
}

type runsOutput struct{ Body client.Page[client.Run] }

type runInput struct {
	ID int64 `path:"id"`
}

type runDetailOutput struct{ Body client.RunDetail }

type attemptsOutput struct{ Body client.Page[client.Attempt] }

type cancelInput struct {
	ID   int64 `path:"id"`
	Body struct {
		Reason string `json:"reason,omitempty"`
	}
}

type logsInput struct {
	ID      int64  `path:"id"`
	Task    string `path:"task"`
	Attempt int64  `query:"attempt" doc:"Attempt number; 0 or absent for the latest"`
	After   int64  `query:"after" doc:"Return chunks after this sequence number (the next_seq of the previous page)"`
	Limit   int64  `query:"limit" minimum:"1" maximum:"10000" default:"1000" doc:"At most this many chunks"`
	// LimitBytes bounds a page's output, so that reads of big logs cost
	// the server little memory.
	LimitBytes int64 `query:"limit_bytes" minimum:"1" maximum:"4194304" default:"1048576" doc:"At most this many bytes of output (but at least one chunk)"`
}

type logsOutput struct{ Body client.Logs }

func (s *Server) registerRuns(api huma.API) {
	huma.Register(api, huma.Operation{
		OperationID: "start-run", Method: http.MethodPost, Path: "/api/v1/workflows/{name}/runs",
		Summary: "Start a run", Tags: []string{"runs"}, DefaultStatus: http.StatusCreated,
		Description: "Starts a run of the latest (or a given) version. With an idempotency_key, a start with the " +
			"same key returns the run the first one created. With an Idempotency-Key header, a repeat of the " +
			"request returns its run and starts nothing; the same key with another request is refused 422.",
	}, s.startRun)

	huma.Register(api, huma.Operation{
		OperationID: "start-runs", Method: http.MethodPost, Path: "/api/v1/workflows/{name}/runs/batch",
		Summary: "Start several runs", Tags: []string{"runs"}, DefaultStatus: http.StatusCreated,
		SkipValidateBody: true, // decoded once; the engine checks each run and names it
		Description: "Starts up to max_runs_per_batch runs (default 100; more are refused 413) of a workflow in one " +
			"transaction: all or none, unless they write more than max_rows_per_tx rows, when they are started in " +
			"several transactions of whole runs, in order. A bad request is refused naming it (runs[i]), nothing " +
			"started. Runs with an idempotency_key already used are returned, not started again. With an " +
			"Idempotency-Key header, a repeat of the request returns the same runs and starts nothing; the same key " +
			"with another request (other runs or another caller) is refused 422.",
	}, func(ctx context.Context, in *startBatchInput) (*startBatchOutput, error) {
		if err := checkIdempotencyKey(in.IdempotencyKey); err != nil {
			return nil, err
		}
		reqs := make([]engine.StartRequest, len(in.Body.Runs))
		for i, r := range in.Body.Runs {
			reqs[i] = engine.StartRequest{Workflow: in.Name, Version: r.Version, Params: r.Params,
				IdempotencyKey: r.IdempotencyKey, Priority: r.Priority, Actor: actorOf(ctx)}
		}
		started, err := s.engine.StartRunsOnce(ctx, in.IdempotencyKey, reqs)
		if err != nil {
			return nil, s.apiError(ctx, err)
		}
		out := &startBatchOutput{Body: client.StartRunsResponse{Runs: make([]client.Run, len(started))}}
		for i, st := range started {
			out.Body.Runs[i] = toRun(st.Run)
		}
		return out, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "list-runs", Method: http.MethodGet, Path: "/api/v1/runs",
		Summary: "List runs, newest first", Tags: []string{"runs"},
	}, func(ctx context.Context, in *listRunsInput) (*runsOutput, error) {
		f := store.RunFilter{Workflow: in.Workflow, State: in.State, Limit: in.Limit}
		if !in.Since.IsZero() {
			f.CreatedFrom = in.Since.UnixMilli()
		}
		if !in.Until.IsZero() {
			f.CreatedTo = in.Until.UnixMilli()
		}
		if in.Cursor != "" {
			before, err := strconv.ParseInt(in.Cursor, 10, 64)
			if err != nil {
				return nil, huma.Error422UnprocessableEntity("cursor: not a cursor this API returned")
			}
			f.BeforeID = before
		}
		items, next, err := s.listRuns(ctx, f)
		if err != nil {
			return nil, s.apiError(ctx, err)
		}
		out := &runsOutput{Body: client.Page[client.Run]{Items: items, Next: next}}
		return out, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "get-run", Method: http.MethodGet, Path: "/api/v1/runs/{id}",
		Summary: "Get a run with its tasks", Tags: []string{"runs"},
	}, func(ctx context.Context, in *runInput) (*runDetailOutput, error) {
		d, err := s.runDetail(ctx, in.ID)
		if err != nil {
			return nil, s.apiError(ctx, err)
		}
		return &runDetailOutput{Body: d}, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "list-run-attempts", Method: http.MethodGet, Path: "/api/v1/runs/{id}/attempts",
		Summary: "List every attempt of a run", Tags: []string{"runs"},
	}, func(ctx context.Context, in *runInput) (*attemptsOutput, error) {
		items, err := s.runAttempts(ctx, in.ID)
		if err != nil {
			return nil, s.apiError(ctx, err)
		}
		return &attemptsOutput{Body: client.Page[client.Attempt]{Items: items}}, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "cancel-run", Method: http.MethodPost, Path: "/api/v1/runs/{id}/cancel",
		Summary: "Cancel a run", Tags: []string{"runs"},
		Description: "Cancels unfinished tasks; running attempts are killed by their workers at the next heartbeat.",
	}, s.cancelRun)

	huma.Register(api, huma.Operation{
		OperationID: "get-task-logs", Method: http.MethodGet, Path: "/api/v1/runs/{id}/tasks/{task}/logs",
		Summary: "Read a task's output", Tags: []string{"runs"},
		Description: "Output of one attempt (the latest by default), in chunks after a sequence number, for following; " +
			"a page holds at most limit chunks and limit_bytes of output (at least one chunk). What is kept of an " +
			"attempt is bounded by max_log_bytes: its head and its tail (dropped_bytes says how much of the middle went).",
	}, func(ctx context.Context, in *logsInput) (*logsOutput, error) {
		logs, err := s.taskLogs(ctx, in.ID, in.Task, in.Attempt, in.After, in.Limit, in.LimitBytes)
		if err != nil {
			return nil, s.apiError(ctx, err)
		}
		return &logsOutput{Body: logs}, nil
	})
}

// startRun is the start-run operation (and the web UI's trigger form).
func (s *Server) startRun(ctx context.Context, in *startInput) (*runOutput, error) {
	if err := checkIdempotencyKey(in.IdempotencyKey); err != nil {
		return nil, err
	}
	st, err := s.engine.StartRunsOnce(ctx, in.IdempotencyKey, []engine.StartRequest{{
		Workflow: in.Name, Version: in.Body.Version, Params: in.Body.Params,
		IdempotencyKey: in.Body.IdempotencyKey, Priority: in.Body.Priority, Actor: actorOf(ctx),
	}})
	if err != nil {
		return nil, s.apiError(ctx, err)
	}
	return &runOutput{Body: toRun(st[0].Run)}, nil
}

// cancelRun is the cancel-run operation (and the web UI's).
func (s *Server) cancelRun(ctx context.Context, in *cancelInput) (*runOutput, error) {
	if err := s.engine.CancelRun(ctx, in.ID, actorOf(ctx), in.Body.Reason); err != nil {
		return nil, s.apiError(ctx, err)
	}
	out := &runOutput{}
	err := s.read(ctx, func(tx store.Tx) error {
		r, err := tx.Runs().Get(ctx, in.ID)
		out.Body = toRun(r)
		return err
	})
	return out, err
}

// readLogPage reads the chunks after seq after, at most limit of them and
// at most limitBytes of output (at least one chunk): the sizes first, then
// only the chunks that fit.
func readLogPage(ctx context.Context, tx store.Tx, attemptID, after, limit, limitBytes int64) ([]store.LogChunk, error) {
	sizes, err := tx.Logs().Sizes(ctx, attemptID, after, limit)
	if err != nil || len(sizes) == 0 {
		return nil, err
	}
	upto, total := sizes[0].Seq, sizes[0].Size
	for _, s := range sizes[1:] {
		if total+s.Size > limitBytes {
			break
		}
		upto, total = s.Seq, total+s.Size
	}
	return tx.Logs().Range(ctx, attemptID, after, upto)
}
