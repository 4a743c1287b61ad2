package engine

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/baton-sched/baton/internal/resource"
	"github.com/baton-sched/baton/internal/store"
	"github.com/baton-sched/baton/internal/workflow"
)

// AssignedResource is a resource version an attempt uses.
type AssignedResource struct {
	Name    string
	Version int64
	Sha256  string
	Size    int64
	Kind    string
}

// ResourceUpload is a new version of a resource as sent: a tar archive of
// a directory tree, or one file's content.
type ResourceUpload struct {
	Name       string
	Dir        bool // Body is a tar archive
	Executable bool // a file keeps its executable bit
	Body       []byte
	Actor      string
}

// ResourceLimits returns the limits of one version.
func (e *Engine) ResourceLimits() resource.Limits { return e.cfg.Resources }

// PutResource stores the next version of a resource: its content checked
// and packed into a deterministic archive, stored once by its SHA-256.
// Too large: a *LimitError naming the limit; bad content or name: an
// *InvalidError; nothing is stored then.
func (e *Engine) PutResource(ctx context.Context, up ResourceUpload) (store.Resource, error) {
	if ref, msg := workflow.ParseResourceRef(up.Name); msg != "" || ref.Version != 0 {
		if msg == "" {
			msg = "a version is given by the servers: put NAME, not NAME@VERSION"
		}
		return store.Resource{}, invalid("name: %s", msg)
	}
	var (
		archive []byte
		info    resource.Info
		err     error
	)
	if up.Dir {
		archive, info, err = resource.PackTar(bytes.NewReader(up.Body), e.cfg.Resources)
	} else {
		archive, info, err = resource.PackFile(bytes.NewReader(up.Body), up.Executable, e.cfg.Resources)
	}
	var le *resource.LimitError
	switch {
	case errors.As(err, &le):
		return store.Resource{}, &LimitError{Limit: le.Limit, Max: le.Max, Got: le.Got,
			What: fmt.Sprintf("%s in resource %s", le.What, up.Name)}
	case errors.Is(err, resource.ErrInvalid):
		return store.Resource{}, invalid("resource %s: %v", up.Name, err)
	case err != nil:
		return store.Resource{}, err
	}
	var out store.Resource
	// A concurrent put of the same name may take the version number
	// first: the next try takes the one after.
	for try := 0; try < 3; try++ {
		err = e.inTx(ctx, up.Actor, func(o *op) error {
			if _, err := o.Resources().PutBlob(o.ctx, info.Sha256, archive); err != nil {
				return err
			}
			out, err = o.Resources().Insert(o.ctx, store.NewResource{Name: up.Name, Sha256: info.Sha256,
				Kind: info.Kind, Size: info.Size, Files: info.Files, CreatedBy: up.Actor})
			if err != nil {
				return err
			}
			o.record(store.NewEvent{Kind: "resource.put", Reason: fmt.Sprintf("resource %s version %d (%s, %d files, %d bytes, sha256 %s)",
				out.Name, out.Version, out.Kind, out.Files, out.Size, out.Sha256)})
			return nil
		})
		if !errors.Is(err, store.ErrConflict) {
			break
		}
	}
	if err != nil {
		return store.Resource{}, fmt.Errorf("put resource %s: %w", up.Name, err)
	}
	return out, nil
}

// Resources returns every version of every resource, by name, newest
// first.
func (e *Engine) Resources(ctx context.Context) ([]store.Resource, error) {
	var out []store.Resource
	err := e.store.Read(ctx, func(tx store.Tx) (err error) {
		out, err = tx.Resources().List(ctx)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list resources: %w", err)
	}
	return out, nil
}

// ResourceVersions returns the versions of a resource, newest first;
// ErrNotFound if it has none.
func (e *Engine) ResourceVersions(ctx context.Context, name string) ([]store.Resource, error) {
	var out []store.Resource
	err := e.store.Read(ctx, func(tx store.Tx) (err error) {
		out, err = tx.Resources().Versions(ctx, name)
		return err
	})
	if err == nil && len(out) == 0 {
		err = store.ErrNotFound
	}
	if err != nil {
		return nil, notFound(err, "resource %s", name)
	}
	return out, nil
}

// ResourceVersion returns one version of a resource (0: the latest).
func (e *Engine) ResourceVersion(ctx context.Context, name string, version int64) (store.Resource, error) {
	var out store.Resource
	err := e.store.Read(ctx, func(tx store.Tx) (err error) {
		if version == 0 {
			out, err = tx.Resources().Latest(ctx, name)
		} else {
			out, err = tx.Resources().Get(ctx, name, version)
		}
		return err
	})
	if err != nil {
		if version == 0 {
			return store.Resource{}, notFound(err, "resource %s", name)
		}
		return store.Resource{}, notFound(err, "resource %s version %d", name, version)
	}
	return out, nil
}

// ResourceBlob returns the archive with the SHA-256.
func (e *Engine) ResourceBlob(ctx context.Context, sha256 string) ([]byte, error) {
	var out []byte
	err := e.store.Read(ctx, func(tx store.Tx) (err error) {
		out, err = tx.Resources().Blob(ctx, sha256)
		return err
	})
	if err != nil {
		return nil, notFound(err, "resource content %s", sha256)
	}
	return out, nil
}

// WorkerResourceBlob returns the archive with the SHA-256 to a worker that
// has a live attempt using it; ErrNotFound otherwise, so that a worker's
// credential reads only what its tasks need.
func (e *Engine) WorkerResourceBlob(ctx context.Context, workerID, sha256 string) ([]byte, error) {
	var out []byte
	err := e.store.Read(ctx, func(tx store.Tx) error {
		attempts, err := tx.Attempts().ListWorker(ctx, workerID)
		if err != nil {
			return err
		}
		o := &op{Tx: tx, ctx: ctx, e: e}
		seen := map[int64]bool{}
		for _, a := range attempts {
			if seen[a.RunID] {
				continue
			}
			seen[a.RunID] = true
			used, err := o.runUses(a.RunID, sha256)
			if err != nil || !used {
				continue
			}
			out, err = tx.Resources().Blob(ctx, sha256)
			return err
		}
		return store.ErrNotFound
	})
	if err != nil {
		return nil, notFound(err, "resource content %s for a live attempt of worker %s", sha256, workerID)
	}
	return out, nil
}

// runUses says whether a task of the run uses the archive.
func (o *op) runUses(runID int64, sha256 string) (bool, error) {
	rs, err := o.runScopes([]int64{runID})
	if err != nil || rs[runID] == nil {
		return false, err
	}
	pins, err := o.pinnedOf(runID)
	if err != nil {
		return false, err
	}
	for _, n := range rs[runID].plan.graph.Nodes {
		for _, ref := range n.Resources {
			r, err := o.resolvePinned(ref, pins)
			if err == nil && r.Sha256 == sha256 {
				return true, nil
			}
		}
	}
	return false, nil
}

func (o *op) pinnedOf(runID int64) (map[string]store.Resource, error) {
	list, err := o.Resources().Pinned(o.ctx, runID)
	if err != nil {
		return nil, err
	}
	out := make(map[string]store.Resource, len(list))
	for _, r := range list {
		out[r.Name] = r
	}
	return out, nil
}

// resolvePinned is the version a reference means in a run: the one it
// names, else the one the run pinned at its start.
func (o *op) resolvePinned(ref workflow.ResourceRef, pins map[string]store.Resource) (store.Resource, error) {
	if ref.Version != 0 {
		return o.Resources().Get(o.ctx, ref.Name, ref.Version)
	}
	r, ok := pins[ref.Name]
	if !ok {
		return store.Resource{}, store.ErrNotFound
	}
	return r, nil
}

// pinResources resolves, for a run about to start, the resources its
// tasks name: a version named must exist, and an unpinned name takes the
// latest version, which the run keeps (Pin after the run is inserted).
// An unknown resource fails the start, naming the task and the resource.
func (o *op) pinResources(p *plan) ([]store.ResourcePin, error) {
	var pins []store.ResourcePin
	seen := map[string]bool{}
	var errs []error
	for _, n := range p.graph.Nodes {
		for _, ref := range n.Resources {
			key := ref.String()
			if seen[key] {
				continue
			}
			seen[key] = true
			var err error
			var r store.Resource
			if ref.Version != 0 {
				r, err = o.Resources().Get(o.ctx, ref.Name, ref.Version)
			} else {
				r, err = o.Resources().Latest(o.ctx, ref.Name)
			}
			switch {
			case errors.Is(err, store.ErrNotFound):
				errs = append(errs, fmt.Errorf("task %q: resource %s does not exist (baton resources lists them; baton resource put stores one)",
					n.Name, key))
			case err != nil:
				return nil, err
			case ref.Version == 0:
				pins = append(pins, store.ResourcePin{Name: r.Name, Version: r.Version})
			}
		}
	}
	if len(errs) > 0 {
		return nil, &InvalidError{Err: errors.Join(errs...)}
	}
	return pins, nil
}

// assignResources lists the resources of a task's attempt; false when
// one cannot be found (the task failed instead, naming it).
func (o *op) assignResources(rs *runScope, c store.Candidate, n workflow.Node, asg *Assignment) (bool, error) {
	if len(n.Resources) == 0 {
		return true, nil
	}
	if rs.resources == nil {
		pins, err := o.pinnedOf(rs.run.ID)
		if err != nil {
			return false, err
		}
		rs.resources = pins
	}
	for _, ref := range n.Resources {
		r, err := o.resolvePinned(ref, rs.resources)
		if errors.Is(err, store.ErrNotFound) {
			task, err := o.Tasks().Get(o.ctx, c.ID)
			if err != nil {
				return false, err
			}
			return false, o.failQueued(rs, task, fmt.Sprintf("resource %s: not found (not pinned when the run started)", ref))
		}
		if err != nil {
			return false, err
		}
		asg.Resources = append(asg.Resources, AssignedResource{Name: r.Name, Version: r.Version, Sha256: r.Sha256,
			Size: r.Size, Kind: r.Kind})
	}
	return true, nil
}

// keepPins replaces the pins of a rerun by those of the run it reruns,
// for the names both use.
func (o *op) keepPins(oldRunID int64, pins []store.ResourcePin) ([]store.ResourcePin, error) {
	if len(pins) == 0 {
		return pins, nil
	}
	old, err := o.pinnedOf(oldRunID)
	if err != nil {
		return nil, err
	}
	for i, p := range pins {
		if r, ok := old[p.Name]; ok {
			pins[i].Version = r.Version
		}
	}
	return pins, nil
}
