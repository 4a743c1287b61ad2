package server

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/baton-sched/baton/client"
)

type serversOutput struct{ Body client.Page[client.Server] }

func (s *Server) registerServers(api huma.API) {
	huma.Register(api, huma.Operation{
		OperationID: "list-servers", Method: http.MethodGet, Path: "/api/v1/servers",
		Summary: "List the servers", Tags: []string{"servers"},
		Description: "Every server replica recorded: address, zone, version, start and last seen (refreshed every " +
			"5s while it runs; alive when seen within 15s, by the database clock; ready when it took commits " +
			"within its bound). Servers not seen for 24h are forgotten.",
	}, func(ctx context.Context, _ *struct{}) (*serversOutput, error) {
		ss, err := s.listServers(ctx)
		if err != nil {
			return nil, s.apiError(ctx, err)
		}
		return &serversOutput{Body: client.Page[client.Server]{Items: ss}}, nil
	})
}
