package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/baton-sched/baton/client"
	"github.com/baton-sched/baton/internal/auth"
	"github.com/baton-sched/baton/internal/engine"
	"github.com/baton-sched/baton/internal/store"
	"github.com/baton-sched/baton/internal/version"
)

type registerInput struct{ Body client.RegisterRequest }

type registerOutput struct{ Body client.Registration }

type workerIDInput struct {
	ID string `path:"id" doc:"Worker ID"`
}

// workerStopInput: the body is optional (workers before it sent none).
type workerStopInput struct {
	ID   string `path:"id" doc:"Worker ID"`
	Body *client.WorkerStop
}

type heartbeatInput struct {
	ID   string `path:"id"`
	Body client.HeartbeatRequest
}

type heartbeatOutput struct{ Body client.HeartbeatResponse }

type claimInput struct {
	ID   string `path:"id"`
	Body client.ClaimRequest
}

type claimOutput struct{ Body client.ClaimResponse }

type reportsInput struct {
	ID   string `path:"id"`
	Body client.ReportBatch
}

type reportsOutput struct{ Body client.ReportBatchResult }

type reportOneInput struct {
	AttemptID int64  `path:"id"`
	Worker    string `query:"worker" required:"true" doc:"ID of the reporting worker"`
	Body      client.Report
}

type logsBatchInput struct {
	ID   string `path:"id"`
	Body client.LogBatch
}

type logsBatchOutput struct{ Body client.LogBatchResult }

const protocolTag = "worker protocol"

func (s *Server) registerWorkerProtocol(api huma.API) {
	huma.Register(api, huma.Operation{
		OperationID: "register-worker", Method: http.MethodPost, Path: "/api/v1/workers",
		Summary: "Register a worker", Tags: []string{protocolTag}, DefaultStatus: http.StatusCreated,
	}, func(ctx context.Context, in *registerInput) (*registerOutput, error) {
		join, _ := auth.From(ctx)
		if err := checkJoin(join, in.Body.Zone, in.Body.Group); err != nil {
			return nil, err
		}
		w, err := s.engine.RegisterWorker(ctx, engine.WorkerSpec{
			Name: in.Body.Name, Zone: in.Body.Zone, Group: in.Body.Group, Labels: in.Body.Labels,
			Capacity: in.Body.Capacity, Version: in.Body.Version,
		})
		if err != nil {
			return nil, s.apiError(ctx, err)
		}
		own := s.build.Version
		if !version.Compatible(own, in.Body.Version) {
			s.log.WarnContext(ctx, "worker version more than one minor version from the server's: upgrade it",
				"worker_id", w.ID, "worker_version", in.Body.Version, "server_version", own)
		}
		cred, err := s.issueCredential(ctx, w.ID, join)
		if err != nil {
			return nil, s.apiError(ctx, err)
		}
		return &registerOutput{Body: client.Registration{Worker: toWorker(w),
			LeaseTTL: s.engine.Config().LeaseTTL, HeartbeatInterval: s.cfg.HeartbeatInterval,
			ServerVersion: own, Credential: cred}}, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "heartbeat", Method: http.MethodPost, Path: "/api/v1/workers/{id}/heartbeat",
		Summary: "Renew a worker's lease", Tags: []string{protocolTag},
		Description: "Renews the lease that covers all the worker's attempts, lists the attempts to kill and " +
			"those to stop and report cancelled (preempted by an operator). " +
			"410 Gone: the worker was declared lost; it must kill its tasks and register again.",
	}, func(ctx context.Context, in *heartbeatInput) (*heartbeatOutput, error) {
		beat, err := s.engine.Renew(ctx, in.ID, engine.Holding{Running: in.Body.Running, Ending: in.Body.Ending,
			Complete: in.Body.Complete})
		if err != nil {
			return nil, s.apiError(ctx, err)
		}
		kill := beat.Kill
		if kill == nil {
			kill = []int64{}
		}
		return &heartbeatOutput{Body: client.HeartbeatResponse{Kill: kill, Preempt: beat.Preempt, State: beat.State,
			LeaseTTL: beat.LeaseTTL}}, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "claim", Method: http.MethodPost, Path: "/api/v1/workers/{id}/claim",
		Summary: "Long-poll for work", Tags: []string{protocolTag},
		Description: "Returns at once with claimable attempts, or waits up to `wait` for work to become ready.",
	}, func(ctx context.Context, in *claimInput) (*claimOutput, error) {
		as, err := s.claim(ctx, in.ID, in.Body)
		if err != nil {
			return nil, s.apiError(ctx, err)
		}
		out := &claimOutput{Body: client.ClaimResponse{Assignments: make([]client.Assignment, len(as))}}
		for i, a := range as {
			out.Body.Assignments[i] = client.Assignment{
				AttemptID: a.AttemptID, Kind: a.Kind, Number: a.Number, RunID: a.RunID, TaskID: a.TaskID, Task: a.Task,
				Workflow: a.Workflow, Command: a.Command, Env: a.Env, Timeout: a.Timeout, CU: a.CU,
				Checkpoint: a.Checkpoint, Mask: a.Mask,
			}
			if err := out.Body.Assignments[i].SetPayload(a.Payload); err != nil {
				// The attempt is dispatched: the worker fails it, as it
				// carries no payload, and the task's retries apply.
				s.log.ErrorContext(ctx, "encode an assignment", "attempt_id", a.AttemptID, "err", err)
			}
			out.Body.Assignments[i].Resources = assignedResources(a.Resources)
		}
		return out, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "report-batch", Method: http.MethodPost, Path: "/api/v1/workers/{id}/reports",
		Summary: "Report on attempts (batch)", Tags: []string{protocolTag},
		SkipValidateBody: true, // decoded once; the engine checks each report and names it
		Description: "Applies start and finish reports in one transaction. Each result is 200 (accepted, " +
			"also for a resend) or 409 (the attempt was superseded: kill it, drop its result).",
	}, func(ctx context.Context, in *reportsInput) (*reportsOutput, error) {
		res, err := s.engine.Report(ctx, in.ID, toReports(in.Body.Reports))
		if err != nil {
			return nil, s.apiError(ctx, err)
		}
		var fenced []int64
		for _, r := range res {
			if r.Status == engine.Fenced {
				fenced = append(fenced, r.AttemptID)
			}
		}
		foreign := s.foreignAttempts(ctx, in.ID, fenced, "report-batch")
		out := &reportsOutput{Body: client.ReportBatchResult{Results: make([]client.ReportResult, len(res))}}
		for i, r := range res {
			out.Body.Results[i] = client.ReportResult{AttemptID: r.AttemptID, Status: statusOf(r.Status), State: r.State}
			if foreign[r.AttemptID] {
				out.Body.Results[i] = client.ReportResult{AttemptID: r.AttemptID, Status: http.StatusForbidden}
			}
		}
		return out, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "report", Method: http.MethodPost, Path: "/api/v1/attempts/{id}/report",
		Summary: "Report on one attempt", Tags: []string{protocolTag},
		Description: "409 Conflict: the attempt was superseded (fenced); the worker must kill it.",
	}, func(ctx context.Context, in *reportOneInput) (*struct{}, error) {
		in.Body.AttemptID = in.AttemptID
		res, err := s.engine.Report(ctx, in.Worker, toReports([]client.Report{in.Body}))
		if err != nil {
			return nil, s.apiError(ctx, err)
		}
		if res[0].Status == engine.Fenced {
			if s.foreignAttempts(ctx, in.Worker, []int64{in.AttemptID}, "report")[in.AttemptID] {
				return nil, huma.Error403Forbidden(fmt.Sprintf("permission denied: attempt %d is not worker %s's", in.AttemptID, in.Worker))
			}
			return nil, huma.Error409Conflict("attempt is superseded: it is " + cmpState(res[0].State))
		}
		return nil, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "send-logs", Method: http.MethodPost, Path: "/api/v1/workers/{id}/logs",
		Summary: "Send attempt output", Tags: []string{protocolTag},
	}, func(ctx context.Context, in *logsBatchInput) (*logsBatchOutput, error) {
		chunks := make([]store.NewLogChunk, len(in.Body.Chunks))
		for i, c := range in.Body.Chunks {
			chunks[i] = store.NewLogChunk{AttemptID: c.AttemptID, Seq: c.Seq, Stream: c.Stream, Data: c.Data}
		}
		fenced, err := s.engine.AppendLogs(ctx, in.ID, chunks)
		if err != nil {
			return nil, s.apiError(ctx, err)
		}
		if fenced == nil {
			fenced = []int64{}
		}
		return &logsBatchOutput{Body: client.LogBatchResult{Fenced: fenced}}, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "stop-worker", Method: http.MethodPost, Path: "/api/v1/workers/{id}/stop",
		Summary: "Record a worker's clean shutdown", Tags: []string{protocolTag},
	}, func(ctx context.Context, in *workerStopInput) (*struct{}, error) {
		var held []int64
		if in.Body != nil {
			held = in.Body.Held
		}
		if err := s.engine.StopWorker(ctx, in.ID, held); err != nil {
			return nil, s.apiError(ctx, err)
		}
		return nil, nil
	})
}

func toReports(in []client.Report) []engine.Report {
	out := make([]engine.Report, len(in))
	for i, r := range in {
		out[i] = engine.Report{AttemptID: r.AttemptID, Kind: r.Kind, State: r.State, ExitCode: r.ExitCode,
			Reason: r.Reason, Outputs: r.Outputs, Checkpoint: r.Checkpoint}
	}
	return out
}

func statusOf(s engine.ReportStatus) int {
	if s == engine.Fenced {
		return http.StatusConflict
	}
	return http.StatusOK
}

func cmpState(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

// claim long-polls: it claims at once if it can, else waits for a wake-up
// (a commit that made work ready, here or on another server), re-checking
// every second in case a wake-up was missed, until the wait is over.
func (s *Server) claim(ctx context.Context, workerID string, req client.ClaimRequest) ([]engine.Assignment, error) {
	wait := min(max(req.Wait, 0), s.cfg.MaxClaimWait)
	deadline := time.NewTimer(wait)
	defer deadline.Stop()
	var held []int64 // nil: no re-delivery
	if req.Redeliver {
		held = append([]int64{}, req.Held...)
	}
	for {
		signal := s.engine.Store().WorkSignal()
		as, err := s.engine.Claim(ctx, engine.ClaimRequest{WorkerID: workerID, Max: req.Max, FreeCU: req.FreeCU, Kinds: req.Kinds,
			Held: held})
		if err != nil || len(as) > 0 || wait == 0 {
			return as, err
		}
		select {
		case <-signal:
		case <-time.After(time.Second):
		case <-deadline.C:
			return nil, nil
		case <-ctx.Done():
			return nil, nil
		case <-s.stopping:
			return nil, nil
		}
	}
}

// foreignAttempts returns which of the refused attempts belong to another
// worker than workerID, recording an auth.refused event for each: a
// worker may report only on its own attempts. Their reports changed
// nothing (the engine's guards name the worker); only refusals are looked
// up, so accepted reports cost nothing more.
func (s *Server) foreignAttempts(ctx context.Context, workerID string, refused []int64, opID string) map[int64]bool {
	if len(refused) == 0 {
		return nil
	}
	out := map[int64]bool{}
	var evs []store.NewEvent
	err := s.engine.Store().Read(ctx, func(tx store.Tx) error {
		for _, id := range refused {
			a, err := tx.Attempts().Get(ctx, id)
			if errors.Is(err, store.ErrNotFound) {
				continue
			}
			if err != nil {
				return err
			}
			if a.WorkerID != workerID {
				out[id] = true
				evs = append(evs, store.NewEvent{Kind: "auth.refused", Actor: actorOf(ctx), AttemptID: id, RunID: a.RunID,
					TaskID: a.TaskID, WorkerID: a.WorkerID, Reason: opID + ": a worker may report only on its own attempts"})
			}
		}
		return nil
	})
	if err == nil && len(evs) > 0 {
		err = s.engine.Store().InTx(ctx, func(tx store.Tx) error { return tx.Events().Insert(ctx, evs) })
	}
	if err != nil {
		s.log.ErrorContext(ctx, "check the owners of refused reports", "err", err)
	}
	return out
}

func assignedResources(rs []engine.AssignedResource) []client.AssignedResource {
	if len(rs) == 0 {
		return nil
	}
	out := make([]client.AssignedResource, len(rs))
	for i, r := range rs {
		out[i] = client.AssignedResource(r)
	}
	return out
}
