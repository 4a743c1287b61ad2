package client

import (
	"context"
	"net/http"
)

// BuildInfo tells which build of Baton a server runs.
type BuildInfo struct {
	Version   string `json:"version" doc:"Semantic version (v1.2.0, v1.2.0-3-gabcdef0-dirty) or dev"`
	Commit    string `json:"commit" doc:"Git commit of the build, -dirty when built with changes, or unknown"`
	Date      string `json:"date" doc:"Build date (RFC 3339), or the commit's date, or unknown"`
	GoVersion string `json:"go_version" doc:"Go toolchain that built it"`
	Platform  string `json:"platform" doc:"GOOS/GOARCH"`
}

// Version returns the build information of the server that answers.
func (c *Client) Version(ctx context.Context) (BuildInfo, error) {
	var out BuildInfo
	err := c.do(ctx, http.MethodGet, "/api/v1/version", nil, nil, &out)
	return out, err
}
