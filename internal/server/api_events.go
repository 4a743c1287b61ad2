package server

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/baton-sched/baton/client"
	"github.com/baton-sched/baton/internal/store"
)

type eventsInput struct {
	Run   int64  `query:"run" doc:"Only events of this run"`
	Kind  string `query:"kind" doc:"Only events of this kind, e.g. run.failed"`
	After int64  `query:"after" doc:"Only events after this event ID"`
	Limit int64  `query:"limit" minimum:"1" maximum:"10000" default:"1000"`
}

type eventsOutput struct{ Body client.Page[client.Event] }

type workersInput struct {
	All bool `query:"all" doc:"Include lost and stopped workers"`
}

type workersOutput struct{ Body client.Page[client.Worker] }

func (s *Server) registerEvents(api huma.API) {
	huma.Register(api, huma.Operation{
		OperationID: "list-events", Method: http.MethodGet, Path: "/api/v1/events",
		Summary: "List audit events, oldest first", Tags: []string{"events"},
		Description: "Every state transition of runs, tasks, attempts and workers, with its actor and reason. " +
			"Page on with after = the ID of the last event.",
	}, func(ctx context.Context, in *eventsInput) (*eventsOutput, error) {
		evs, err := s.listEvents(ctx, store.EventFilter{RunID: in.Run, Kind: in.Kind, AfterID: in.After, Limit: in.Limit})
		if err != nil {
			return nil, s.apiError(ctx, err)
		}
		out := &eventsOutput{Body: client.Page[client.Event]{Items: evs}}
		if int64(len(evs)) == in.Limit {
			out.Body.Next = itoa(evs[len(evs)-1].ID)
		}
		return out, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "list-workers", Method: http.MethodGet, Path: "/api/v1/workers",
		Summary: "List workers", Tags: []string{"workers"},
	}, func(ctx context.Context, in *workersInput) (*workersOutput, error) {
		ws, err := s.listWorkers(ctx, in.All)
		if err != nil {
			return nil, s.apiError(ctx, err)
		}
		return &workersOutput{Body: client.Page[client.Worker]{Items: ws}}, nil
	})
}

// workerUsage returns the live attempts and used CU of every worker.
func workerUsage(ctx context.Context, tx store.Tx) (map[string]store.WorkerUsage, error) {
	usage, err := tx.Workers().Usage(ctx)
	if err != nil {
		return nil, err
	}
	used := make(map[string]store.WorkerUsage, len(usage))
	for _, u := range usage {
		used[u.WorkerID] = u
	}
	return used, nil
}
