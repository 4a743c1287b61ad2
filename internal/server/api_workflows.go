package server

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/baton-sched/baton/client"
	"github.com/baton-sched/baton/internal/engine"
)

type applyInput struct {
	DryRun bool `query:"dry_run" doc:"Validate and say what would change (new versions, schedules), storing nothing"`
	Body   client.ApplyRequest
}

type applyOutput struct {
	Body struct {
		Applied []client.Applied `json:"applied"`
	}
}

type workflowsOutput struct{ Body client.Page[client.Workflow] }

type workflowInput struct {
	Name string `path:"name" doc:"Workflow name"`
}

type versionInput struct {
	Name    string `path:"name"`
	Version int64  `path:"version" minimum:"1"`
}

type versionOutput struct{ Body client.WorkflowVersion }

type versionsOutput struct {
	Body client.Page[client.WorkflowVersion]
}

func (s *Server) registerWorkflows(api huma.API) {
	huma.Register(api, huma.Operation{
		OperationID: "apply-workflows", Method: http.MethodPost, Path: "/api/v1/workflows",
		Summary: "Apply workflow definitions",
		Description: "Validates every file, then stores each changed definition as a new version, " +
			"all in one transaction: one invalid file and nothing is stored. Problems name the file, line and field. " +
			"With dry_run=true the same checks run and the answer says what would change, but nothing is stored.",
		Tags: []string{"workflows"},
	}, func(ctx context.Context, in *applyInput) (*applyOutput, error) {
		srcs := make([]engine.Source, len(in.Body.Files))
		for i, f := range in.Body.Files {
			srcs[i] = engine.Source{Filename: f.Filename, Text: []byte(f.Content)}
		}
		applied, err := s.engine.ApplyWith(ctx, srcs, actorOf(ctx), engine.ApplyOptions{DryRun: in.DryRun})
		if err != nil {
			return nil, s.apiError(ctx, err)
		}
		if !in.DryRun {
			s.scheduler.Wake()
		}
		out := &applyOutput{}
		out.Body.Applied = make([]client.Applied, len(applied))
		for i, a := range applied {
			out.Body.Applied[i] = toApplied(a)
		}
		return out, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "list-workflows", Method: http.MethodGet, Path: "/api/v1/workflows",
		Summary: "List workflows", Tags: []string{"workflows"},
	}, func(ctx context.Context, _ *struct{}) (*workflowsOutput, error) {
		wfs, err := s.listWorkflows(ctx)
		if err != nil {
			return nil, s.apiError(ctx, err)
		}
		return &workflowsOutput{Body: client.Page[client.Workflow]{Items: wfs}}, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "get-workflow", Method: http.MethodGet, Path: "/api/v1/workflows/{name}",
		Summary: "Get a workflow's latest version", Tags: []string{"workflows"},
	}, func(ctx context.Context, in *workflowInput) (*versionOutput, error) {
		return s.version(ctx, in.Name, 0)
	})

	huma.Register(api, huma.Operation{
		OperationID: "get-workflow-version", Method: http.MethodGet, Path: "/api/v1/workflows/{name}/versions/{version}",
		Summary: "Get one version of a workflow", Tags: []string{"workflows"},
	}, func(ctx context.Context, in *versionInput) (*versionOutput, error) {
		return s.version(ctx, in.Name, in.Version)
	})

	huma.Register(api, huma.Operation{
		OperationID: "list-workflow-versions", Method: http.MethodGet, Path: "/api/v1/workflows/{name}/versions",
		Summary: "List the versions of a workflow, newest first", Tags: []string{"workflows"},
	}, func(ctx context.Context, in *workflowInput) (*versionsOutput, error) {
		vs, err := s.workflowVersions(ctx, in.Name)
		if err != nil {
			return nil, s.apiError(ctx, err)
		}
		return &versionsOutput{Body: client.Page[client.WorkflowVersion]{Items: vs}}, nil
	})
}

func (s *Server) version(ctx context.Context, name string, version int64) (*versionOutput, error) {
	v, err := s.workflowVersion(ctx, name, version)
	if err != nil {
		return nil, s.apiError(ctx, err)
	}
	return &versionOutput{Body: v}, nil
}
