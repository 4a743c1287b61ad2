package store

import "context"

// Resources stores the resource centre: content blobs by SHA-256, the
// immutable versions of named resources, and the versions each run pinned
// when it started.
type Resources interface {
	// PutBlob stores content under its SHA-256 (hex); a blob stored
	// already is left alone (true if this call stored it).
	PutBlob(ctx context.Context, sha256 string, content []byte) (bool, error)
	// Blob returns a blob's content; ErrNotFound if none.
	Blob(ctx context.Context, sha256 string) ([]byte, error)
	// Insert adds the next version of r.Name (the latest plus one) and
	// returns it; ErrConflict if another insert took that number first.
	Insert(ctx context.Context, r NewResource) (Resource, error)
	// Get returns one version; ErrNotFound if none.
	Get(ctx context.Context, name string, version int64) (Resource, error)
	// Latest returns the newest version of a resource; ErrNotFound if none.
	Latest(ctx context.Context, name string) (Resource, error)
	// Versions returns the versions of a resource, newest first.
	Versions(ctx context.Context, name string) ([]Resource, error)
	// List returns every version of every resource, by name then newest
	// first.
	List(ctx context.Context) ([]Resource, error)
	// Pin records the versions a run uses.
	Pin(ctx context.Context, runID int64, pins []ResourcePin) error
	// Pinned returns the versions a run pinned, by name.
	Pinned(ctx context.Context, runID int64) ([]Resource, error)
}

// Resource is one version of a named resource.
type Resource struct {
	Name      string
	Version   int64
	Sha256    string
	Kind      string // "file" or "dir"
	Size      int64  // bytes of its files
	Files     int64
	CreatedAt int64
	CreatedBy string
}

// NewResource is a version to insert; its blob must be stored.
type NewResource struct {
	Name      string
	Sha256    string
	Kind      string
	Size      int64
	Files     int64
	CreatedBy string
}

// ResourcePin is a version a run uses.
type ResourcePin struct {
	Name    string
	Version int64
}
