package client

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// Resource is one version of a resource of the resource centre.
type Resource struct {
	Name      string    `json:"name"`
	Version   int64     `json:"version"`
	Sha256    string    `json:"sha256" doc:"Of the stored archive (a deterministic tar)"`
	Kind      string    `json:"kind" enum:"file,dir"`
	Size      int64     `json:"size" doc:"Bytes of its files"`
	Files     int64     `json:"files"`
	CreatedAt time.Time `json:"created_at"`
	CreatedBy string    `json:"created_by,omitempty"`
}

// ResourceSummary is a resource with its latest version and how many
// versions it has.
type ResourceSummary struct {
	Latest   Resource `json:"latest"`
	Versions int64    `json:"versions"`
}

// Content types of a resource upload.
const (
	ContentTar  = "application/x-tar"        // a directory tree
	ContentFile = "application/octet-stream" // one file
)

// PutResource stores a new version of a resource: a tar archive of a
// directory (contentType ContentTar) or one file (ContentFile, executable
// keeping its executable bit).
func (c *Client) PutResource(ctx context.Context, name, contentType string, body []byte, executable bool) (Resource, error) {
	var out Resource
	q := url.Values{}
	if executable {
		q.Set("executable", "true")
	}
	err := c.do(ctx, http.MethodPut, "/api/v1/resources/"+url.PathEscape(name), q,
		rawBody{contentType: contentType, data: body}, &out)
	return out, err
}

// Resources lists every resource with its latest version.
func (c *Client) Resources(ctx context.Context) ([]ResourceSummary, error) {
	var out []ResourceSummary
	err := c.do(ctx, http.MethodGet, "/api/v1/resources", nil, nil, &out)
	return out, err
}

// ResourceVersions lists the versions of a resource, newest first.
func (c *Client) ResourceVersions(ctx context.Context, name string) ([]Resource, error) {
	var out []Resource
	err := c.do(ctx, http.MethodGet, "/api/v1/resources/"+url.PathEscape(name)+"/versions", nil, nil, &out)
	return out, err
}

// ResourceVersion returns one version (0: the latest).
func (c *Client) ResourceVersion(ctx context.Context, name string, version int64) (Resource, error) {
	var out Resource
	v := "latest"
	if version > 0 {
		v = strconv.FormatInt(version, 10)
	}
	err := c.do(ctx, http.MethodGet, "/api/v1/resources/"+url.PathEscape(name)+"/versions/"+v, nil, nil, &out)
	return out, err
}

// ResourceArchive writes the archive of a version (0: the latest) to w.
func (c *Client) ResourceArchive(ctx context.Context, name string, version int64, w io.Writer) error {
	v := "latest"
	if version > 0 {
		v = strconv.FormatInt(version, 10)
	}
	return c.do(ctx, http.MethodGet, "/api/v1/resources/"+url.PathEscape(name)+"/versions/"+v+"/content", nil, nil, w)
}

// WorkerResource writes the archive with the SHA-256 to w, as the worker
// whose attempt uses it.
func (c *Client) WorkerResource(ctx context.Context, workerID, sha256 string, w io.Writer) error {
	if len(sha256) != 64 {
		return fmt.Errorf("resource content: bad sha256 %q", sha256)
	}
	return c.do(c.asWorker(ctx, workerID), http.MethodGet, workerPath(workerID, "resources/"+sha256), nil, nil, w)
}
