package server

import (
	"context"
	"fmt"
	"mime"
	"net/http"
	"strconv"

	"github.com/danielgtaylor/huma/v2"

	"github.com/baton-sched/baton/client"
	"github.com/baton-sched/baton/internal/engine"
	"github.com/baton-sched/baton/internal/store"
)

type putResourceInput struct {
	Name        string `path:"name" doc:"Resource name: lowercase letters, digits, _ and -"`
	Executable  bool   `query:"executable" doc:"For a single file: keep it executable (mode 0555, else 0444)"`
	ContentType string `header:"Content-Type" doc:"application/x-tar: a directory tree; anything else: one file"`
	RawBody     []byte `contentType:"application/x-tar"`
}

type resourceOutput struct{ Body client.Resource }

type resourcesOutput struct{ Body []client.ResourceSummary }

type resourceVersionsOutput struct{ Body []client.Resource }

type resourceNameInput struct {
	Name string `path:"name"`
}

type resourceVersionInput struct {
	Name    string `path:"name"`
	Version string `path:"version" doc:"A version number, or latest"`
}

type workerResourceInput struct {
	ID     string `path:"id"`
	Sha256 string `path:"sha256" doc:"SHA-256 of the archive, as the assignment gives it"`
}

func (s *Server) registerResources(api huma.API) {
	huma.Register(api, huma.Operation{
		OperationID: "put-resource", Method: http.MethodPut, Path: "/api/v1/resources/{name}",
		Summary: "Store a new version of a resource", Tags: []string{"resources"},
		Description: "The body is a tar archive of a directory tree (Content-Type: application/x-tar) or one " +
			"file (any other type, application/octet-stream). Relative paths only: absolute paths, \"..\", " +
			"links and devices are refused (422). Past max_resource_bytes of files or max_resource_files " +
			"files: 413, naming the limit. Content is stored once by its SHA-256; versions are numbered from 1 " +
			"and never change.",
	}, func(ctx context.Context, in *putResourceInput) (*resourceOutput, error) {
		mt, _, _ := mime.ParseMediaType(in.ContentType)
		r, err := s.engine.PutResource(ctx, engine.ResourceUpload{Name: in.Name, Dir: mt == client.ContentTar,
			Executable: in.Executable, Body: in.RawBody, Actor: actorOf(ctx)})
		if err != nil {
			return nil, s.apiError(ctx, err)
		}
		s.log.InfoContext(ctx, "resource stored", "actor", actorOf(ctx), "resource", r.Name, "version", r.Version,
			"sha256", r.Sha256, "bytes", r.Size)
		return &resourceOutput{Body: toResource(r)}, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "list-resources", Method: http.MethodGet, Path: "/api/v1/resources",
		Summary: "Resources with their latest version and count of versions", Tags: []string{"resources"},
	}, func(ctx context.Context, _ *struct{}) (*resourcesOutput, error) {
		all, err := s.engine.Resources(ctx)
		if err != nil {
			return nil, s.apiError(ctx, err)
		}
		out := []client.ResourceSummary{}
		for _, r := range all { // by name, newest first
			if n := len(out); n > 0 && out[n-1].Latest.Name == r.Name {
				out[n-1].Versions++
				continue
			}
			out = append(out, client.ResourceSummary{Latest: toResource(r), Versions: 1})
		}
		return &resourcesOutput{Body: out}, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "list-resource-versions", Method: http.MethodGet, Path: "/api/v1/resources/{name}/versions",
		Summary: "The versions of a resource, newest first", Tags: []string{"resources"},
	}, func(ctx context.Context, in *resourceNameInput) (*resourceVersionsOutput, error) {
		list, err := s.engine.ResourceVersions(ctx, in.Name)
		if err != nil {
			return nil, s.apiError(ctx, err)
		}
		out := make([]client.Resource, len(list))
		for i, r := range list {
			out[i] = toResource(r)
		}
		return &resourceVersionsOutput{Body: out}, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "get-resource-version", Method: http.MethodGet, Path: "/api/v1/resources/{name}/versions/{version}",
		Summary: "One version of a resource", Tags: []string{"resources"},
	}, func(ctx context.Context, in *resourceVersionInput) (*resourceOutput, error) {
		r, err := s.resourceVersion(ctx, in.Name, in.Version)
		if err != nil {
			return nil, err
		}
		return &resourceOutput{Body: toResource(r)}, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "get-resource-content", Method: http.MethodGet,
		Path:    "/api/v1/resources/{name}/versions/{version}/content",
		Summary: "The archive of a version (application/x-tar)", Tags: []string{"resources"},
		Description: "A tar archive: for a directory its tree, for a file one entry named \"file\". Entries are " +
			"sorted, without owners or times; modes are 0444, or 0555 for executables and directories.",
		Responses: map[string]*huma.Response{"200": {Description: "The archive",
			Content: map[string]*huma.MediaType{client.ContentTar: {}}}},
	}, func(ctx context.Context, in *resourceVersionInput) (*huma.StreamResponse, error) {
		r, err := s.resourceVersion(ctx, in.Name, in.Version)
		if err != nil {
			return nil, err
		}
		blob, err := s.engine.ResourceBlob(ctx, r.Sha256)
		if err != nil {
			return nil, s.apiError(ctx, err)
		}
		return s.streamArchive(ctx, r.Sha256, blob), nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "worker-resource", Method: http.MethodGet, Path: "/api/v1/workers/{id}/resources/{sha256}",
		Summary: "The archive of a resource a live attempt of the worker uses", Tags: []string{protocolTag},
		Description: "Workers fetch each archive once and keep it by its SHA-256. 404 unless a live attempt " +
			"of the worker uses it.",
		Responses: map[string]*huma.Response{"200": {Description: "The archive",
			Content: map[string]*huma.MediaType{client.ContentTar: {}}}},
	}, func(ctx context.Context, in *workerResourceInput) (*huma.StreamResponse, error) {
		blob, err := s.engine.WorkerResourceBlob(ctx, in.ID, in.Sha256)
		if err != nil {
			return nil, s.apiError(ctx, err)
		}
		s.resourceFetches.Add(1)
		return s.streamArchive(ctx, in.Sha256, blob), nil
	})
}

// ResourceFetches counts the archives sent to workers since the server
// started.
func (s *Server) ResourceFetches() int64 { return s.resourceFetches.Load() }

func (s *Server) resourceVersion(ctx context.Context, name, version string) (store.Resource, error) {
	var v int64
	if version != "latest" {
		n, err := strconv.ParseInt(version, 10, 64)
		if err != nil || n < 1 {
			return store.Resource{}, huma.Error422UnprocessableEntity(fmt.Sprintf(
				"version %q: want a version number from 1, or latest", version))
		}
		v = n
	}
	r, err := s.engine.ResourceVersion(ctx, name, v)
	if err != nil {
		return store.Resource{}, s.apiError(ctx, err)
	}
	return r, nil
}

func (s *Server) streamArchive(ctx context.Context, sha256 string, blob []byte) *huma.StreamResponse {
	return &huma.StreamResponse{Body: func(hc huma.Context) {
		hc.SetHeader("Content-Type", client.ContentTar)
		hc.SetHeader("Content-Length", strconv.Itoa(len(blob)))
		hc.SetHeader("ETag", `"`+sha256+`"`)
		hc.SetStatus(http.StatusOK)
		if _, err := hc.BodyWriter().Write(blob); err != nil {
			s.log.WarnContext(ctx, "resource archive not sent whole", "sha256", sha256, "err", err)
		}
	}}
}

func toResource(r store.Resource) client.Resource {
	return client.Resource{Name: r.Name, Version: r.Version, Sha256: r.Sha256, Kind: r.Kind, Size: r.Size,
		Files: r.Files, CreatedAt: ms(r.CreatedAt), CreatedBy: r.CreatedBy}
}
