package server

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/baton-sched/baton/client"
	"github.com/baton-sched/baton/internal/store"
)

type eventsInput struct {
	Run    int64  `query:"run" doc:"Only events of this run"`
	Kind   string `query:"kind" doc:"Only events of this kind, e.g. run.failed"`
	After  int64  `query:"after" doc:"Only events after this event ID"`
	Before int64  `query:"before" minimum:"0" doc:"Only events before this event ID; lists newest first (page on with before = next)"`
	Order  string `query:"order" enum:"asc,desc" default:"asc" doc:"asc: oldest first; desc: newest first, read from the newest event backwards"`
	Actor  string `query:"actor" doc:"Only events of this actor, e.g. user:alice or worker:w1"`
	From   string `query:"from" doc:"Only events at or after this time (RFC 3339)"`
	To     string `query:"to" doc:"Only events before this time (RFC 3339)"`
	Limit  int64  `query:"limit" minimum:"1" maximum:"10000" default:"1000"`
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
			"Page on with after = the ID of the last event; with order=desc (or before) newest first, " +
			"paging on with before = next.",
	}, func(ctx context.Context, in *eventsInput) (*eventsOutput, error) {
		f := store.EventFilter{RunID: in.Run, Kind: in.Kind, AfterID: in.After, BeforeID: in.Before,
			Newest: in.Order == "desc", Limit: in.Limit, Actor: in.Actor}
		var err error
		if f.AtFrom, f.AtTo, err = timeRange(in.From, in.To); err != nil {
			return nil, huma.Error422UnprocessableEntity(err.Error())
		}
		evs, err := s.listEvents(ctx, f)
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

// timeRange parses the RFC 3339 bounds of a time filter into ms (0 for
// none); the error names the field.
func timeRange(from, to string) (int64, int64, error) {
	var out [2]int64
	for i, f := range []struct{ name, v string }{{"from", from}, {"to", to}} {
		if f.v == "" {
			continue
		}
		t, err := time.Parse(time.RFC3339, f.v)
		if err != nil {
			return 0, 0, fmt.Errorf("%s: not an RFC 3339 time: %q", f.name, f.v)
		}
		out[i] = t.UnixMilli()
	}
	if out[0] != 0 && out[1] != 0 && out[1] <= out[0] {
		return 0, 0, fmt.Errorf("to: %s is not after from %s", to, from)
	}
	return out[0], out[1], nil
}
