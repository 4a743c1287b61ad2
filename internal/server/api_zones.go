package server

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/baton-sched/baton/client"
	"github.com/baton-sched/baton/internal/engine"
)

type placementOutput struct{ Body client.Placement }

type zoneActionInput struct {
	Zone   string `path:"zone" doc:"Zone name"`
	Action string `path:"action" enum:"cordon,uncordon,drain" doc:"cordon: no new placements; uncordon: resume them; drain: cordon and drain every worker of the zone"`
	Body   client.DrainRequest
}

type zoneOutput struct{ Body client.Zone }

type drainWorkerInput struct {
	ID   string `path:"id" doc:"Worker ID"`
	Body client.DrainRequest
}

type workerOutput struct{ Body client.Worker }

func (s *Server) registerZones(api huma.API) {
	huma.Register(api, huma.Operation{
		OperationID: "list-zones", Method: http.MethodGet, Path: "/api/v1/zones",
		Summary: "Zone health and resource availability", Tags: []string{"workers"},
		Description: "Every zone's health (healthy, degraded, down: from worker liveness), cordon, workers and " +
			"capacity, and the resource availability ratio (live CU / registered CU) per zone and per group.",
	}, func(ctx context.Context, _ *struct{}) (*placementOutput, error) {
		p, err := s.placement(ctx)
		if err != nil {
			return nil, s.apiError(ctx, err)
		}
		return &placementOutput{Body: p}, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "zone-action", Method: http.MethodPost, Path: "/api/v1/zones/{zone}/{action}",
		Summary: "Cordon, uncordon or drain a zone", Tags: []string{"workers"},
		Description: "Drain cordons the zone and drains its workers: they take no new work and exit once their " +
			"running tasks end; with reschedule, running rerunnable tasks are stopped and run again elsewhere at once.",
	}, s.zoneAction)

	huma.Register(api, huma.Operation{
		OperationID: "drain-worker", Method: http.MethodPost, Path: "/api/v1/workers/{id}/drain",
		Summary: "Drain a worker", Tags: []string{"workers"},
		Description: "The worker takes no new work and exits once its running tasks end; with reschedule, its " +
			"running rerunnable tasks are stopped and run again elsewhere at once. 410: the worker is not live.",
	}, s.drainWorker)
}

// zoneAction is the zone-action operation (and the web UI's).
func (s *Server) zoneAction(ctx context.Context, in *zoneActionInput) (*zoneOutput, error) {
	var err error
	switch in.Action {
	case "cordon", "uncordon":
		_, err = s.engine.CordonZone(ctx, in.Zone, in.Action == "cordon", actorOf(ctx), in.Body.Reason)
	default:
		_, err = s.engine.DrainZone(ctx, in.Zone,
			engine.DrainOptions{Reschedule: in.Body.Reschedule, Reason: in.Body.Reason}, actorOf(ctx))
	}
	if err != nil {
		return nil, s.apiError(ctx, err)
	}
	p, err := s.engine.Placement(ctx)
	if err != nil {
		return nil, s.apiError(ctx, err)
	}
	for _, z := range toPlacement(p).Zones {
		if z.Name == in.Zone {
			return &zoneOutput{Body: z}, nil
		}
	}
	return nil, huma.Error404NotFound("zone " + in.Zone + " not found")
}

// drainWorker is the drain-worker operation (and the web UI's).
func (s *Server) drainWorker(ctx context.Context, in *drainWorkerInput) (*workerOutput, error) {
	w, err := s.engine.DrainWorker(ctx, in.ID,
		engine.DrainOptions{Reschedule: in.Body.Reschedule, Reason: in.Body.Reason}, actorOf(ctx))
	if err != nil {
		return nil, s.apiError(ctx, err)
	}
	return &workerOutput{Body: toWorker(w)}, nil
}

func toPlacement(p engine.Placement) client.Placement {
	out := client.Placement{Zones: []client.Zone{}, Groups: toGroups(p.Groups)}
	for _, z := range p.Zones {
		out.Zones = append(out.Zones, client.Zone{
			Name: z.Name, State: z.State, Cordoned: z.Cordoned, Since: ms(z.Since),
			Workers: z.Workers, Lost: z.Lost, Capacity: toCapacity(z.Capacity), Groups: toGroups(z.Groups),
		})
	}
	return out
}

func toGroups(gs []engine.GroupCapacity) []client.GroupCapacity {
	out := []client.GroupCapacity{}
	for _, g := range gs {
		out = append(out, client.GroupCapacity{Group: g.Group, Capacity: toCapacity(g.Capacity)})
	}
	return out
}

func toCapacity(c engine.Capacity) client.Capacity {
	return client.Capacity{LiveCU: c.LiveCU, RegisteredCU: c.RegisteredCU, UsedCU: c.UsedCU, Availability: c.Availability()}
}
