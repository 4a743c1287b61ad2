package engine

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/baton-sched/baton/internal/store"
	"github.com/baton-sched/baton/internal/workflow"
)

// Source is a definition as the user wrote it.
type Source struct {
	Filename string // for error messages: "etl.yaml:12: ..."
	Text     []byte
}

// Applied is the outcome of applying one definition.
type Applied struct {
	Workflow store.Workflow
	Version  store.Version
	// Changed is false when the definition equals the latest version, which
	// then stays current: applying is idempotent.
	Changed bool
	// Schedules lists the schedules the new version adds, changes or
	// removes.
	Schedules []ScheduleChange
}

// ScheduleChange is what applying did (or, dry, would do) to one schedule.
type ScheduleChange struct {
	Name   string
	Change string // added, changed or removed
	Cron   string // the new definition's, "" when removed
	// Next is the next due time from now on, zero when removed or ended.
	Next time.Time
}

// ApplyOptions modify Apply.
type ApplyOptions struct {
	// DryRun computes what applying would do, with the same checks and
	// results, and stores nothing.
	DryRun bool
}

// errDryRun rolls back the transaction of a dry run.
var errDryRun = errors.New("dry run")

type parsed struct {
	src    Source
	def    *workflow.Definition
	spec   []byte
	digest string
}

// Apply validates every source, then stores each changed definition as a new
// version of its workflow, all in one transaction: one bad file, or two
// files defining one workflow, and nothing is stored.
func (e *Engine) Apply(ctx context.Context, sources []Source, actor string) ([]Applied, error) {
	return e.ApplyWith(ctx, sources, actor, ApplyOptions{})
}

// ApplyWith is Apply with options.
func (e *Engine) ApplyWith(ctx context.Context, sources []Source, actor string, opts ApplyOptions) ([]Applied, error) {
	var all []parsed
	var errs []error
	seen := map[string]string{}
	known, err := e.secretNames(ctx, sources)
	if err != nil {
		return nil, fmt.Errorf("apply: %w", err)
	}
	popts := workflow.Options{}
	if known != nil {
		popts.SecretExists = func(name string) bool { return known[name] }
	}
	for _, src := range sources {
		def, err := workflow.ParseWith(src.Filename, src.Text, popts)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if n, max := len(def.Tasks), e.cfg.Limits.MaxTasksPerWorkflow; n > max {
			errs = append(errs, &LimitError{Limit: "max_tasks_per_workflow", Max: int64(max), Got: int64(n),
				What: fmt.Sprintf("tasks in workflow %s (%s)", def.Name, src.Filename)})
			continue
		}
		if prev, dup := seen[def.Name]; dup {
			errs = append(errs, fmt.Errorf("%s: workflow %q is also defined in %s", src.Filename, def.Name, prev))
			continue
		}
		seen[def.Name] = src.Filename
		spec, err := json.Marshal(def)
		if err != nil {
			return nil, fmt.Errorf("encode %s: %w", src.Filename, err)
		}
		sum := sha256.Sum256(spec)
		all = append(all, parsed{src: src, def: def, spec: spec, digest: hex.EncodeToString(sum[:])})
	}
	for _, err := range errs {
		if errors.Is(err, ErrLimit) {
			return nil, err // the limit first: nothing else matters until the definition is smaller
		}
	}
	if len(errs) > 0 {
		return nil, &InvalidError{Err: errors.Join(errs...)}
	}
	var out []Applied
	err = e.inTx(ctx, actor, func(o *op) error {
		out = out[:0]
		for _, p := range all {
			a, err := o.apply(p)
			if err != nil {
				return err
			}
			out = append(out, a)
		}
		if opts.DryRun {
			return errDryRun
		}
		return nil
	})
	if errors.Is(err, errDryRun) {
		return out, nil
	}
	if err != nil {
		return nil, fmt.Errorf("apply: %w", err)
	}
	return out, nil
}

func (o *op) apply(p parsed) (Applied, error) {
	wf, err := o.Workflows().Upsert(o.ctx, p.def.Name)
	if err != nil {
		return Applied{}, err
	}
	if wf.LatestDigest == p.digest && wf.DeletedAt == 0 {
		v, err := o.Workflows().Version(o.ctx, wf.LatestVersionID)
		return Applied{Workflow: wf, Version: v}, err
	}
	v, err := o.Workflows().InsertVersion(o.ctx, store.NewVersion{
		WorkflowID: wf.ID, Version: wf.LatestVersion + 1, Digest: p.digest,
		Spec: string(p.spec), Source: string(p.src.Text), CreatedBy: o.actor,
	})
	if err != nil {
		return Applied{}, err
	}
	if err := o.Workflows().SetLatest(o.ctx, wf.ID, v.ID, v.Version, p.digest); err != nil {
		return Applied{}, err
	}
	wf.LatestVersion, wf.LatestVersionID, wf.LatestDigest = v.Version, v.ID, p.digest
	changes, err := o.syncSchedules(wf, p.def)
	if err != nil {
		return Applied{}, err
	}
	if err := o.syncTriggers(wf, p.def, p.src.Filename); err != nil {
		return Applied{}, err
	}
	o.record(store.NewEvent{Kind: "workflow.applied", NewState: fmt.Sprintf("v%d", v.Version),
		Reason: fmt.Sprintf("workflow %s version %d", wf.Name, v.Version)})
	wf.DeletedAt = 0
	return Applied{Workflow: wf, Version: v, Changed: true, Schedules: changes}, nil
}
