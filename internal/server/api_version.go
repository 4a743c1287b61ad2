package server

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/baton-sched/baton/client"
	"github.com/baton-sched/baton/internal/version"
)

type versionInfoOutput struct{ Body client.BuildInfo }

// buildInfo is this binary's build information in the API's form.
func buildInfo() client.BuildInfo {
	v := version.Get()
	return client.BuildInfo{Version: v.Version, Commit: v.Commit, Date: v.Date, GoVersion: v.GoVersion,
		Platform: v.Platform}
}

func (s *Server) registerVersion(api huma.API) {
	huma.Register(api, huma.Operation{
		OperationID: "get-version", Method: http.MethodGet, Path: "/api/v1/version",
		Summary: "The server's version", Tags: []string{"server"},
		Description: "The version, commit, build date and Go version of the server that answers. " +
			"During a rolling upgrade servers may differ: ask each one, or read the baton_build_info metric.",
	}, func(context.Context, *struct{}) (*versionInfoOutput, error) {
		return &versionInfoOutput{Body: s.build}, nil
	})
}
