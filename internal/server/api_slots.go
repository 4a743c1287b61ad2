package server

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/baton-sched/baton/client"
	"github.com/baton-sched/baton/internal/store"
)

type slotsOutput struct{ Body []client.Slot }

type setSlotInput struct {
	Name string `path:"name"`
	Body client.Slot
}

type slotOutput struct{ Body client.Slot }

type deleteSlotInput struct {
	Name string `path:"name"`
}

func (s *Server) registerSlots(api huma.API) {
	huma.Register(api, huma.Operation{
		OperationID: "list-slots", Method: http.MethodGet, Path: "/api/v1/slots",
		Summary: "Concurrency slots with their running and queued tasks", Tags: []string{"slots"},
	}, func(ctx context.Context, _ *struct{}) (*slotsOutput, error) {
		out, err := s.listSlots(ctx)
		if err != nil {
			return nil, s.apiError(ctx, err)
		}
		return &slotsOutput{Body: out}, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "set-slot", Method: http.MethodPut, Path: "/api/v1/slots/{name}",
		Summary: "Create a slot or change its size", Tags: []string{"slots"},
		Description: "Tasks naming the slot (`slot:` in a workflow) run only while fewer than size of them run, " +
			"across workflows. A smaller size stops no running task.",
	}, s.setSlot)

	huma.Register(api, huma.Operation{
		OperationID: "delete-slot", Method: http.MethodDelete, Path: "/api/v1/slots/{name}",
		Summary: "Delete a slot", Tags: []string{"slots"}, DefaultStatus: http.StatusNoContent,
		Description: "Its queued tasks wait until a slot of that name exists again; running ones finish.",
	}, s.deleteSlot)
}

// setSlot creates a slot or changes its size.
func (s *Server) setSlot(ctx context.Context, in *setSlotInput) (*slotOutput, error) {
	sl, err := s.engine.SetSlot(ctx, store.Slot{Name: in.Name, Size: in.Body.Size,
		Description: in.Body.Description}, actorOf(ctx))
	if err != nil {
		return nil, s.apiError(ctx, err)
	}
	return &slotOutput{Body: client.Slot{Name: sl.Name, Size: sl.Size, Description: sl.Description,
		UpdatedAt: ms(sl.UpdatedAt)}}, nil
}

// deleteSlot deletes a slot.
func (s *Server) deleteSlot(ctx context.Context, in *deleteSlotInput) (*struct{}, error) {
	if err := s.engine.DeleteSlot(ctx, in.Name, actorOf(ctx)); err != nil {
		return nil, s.apiError(ctx, err)
	}
	return nil, nil
}
