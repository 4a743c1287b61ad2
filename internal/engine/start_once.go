package engine

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"

	"github.com/baton-sched/baton/internal/store"
)

// ErrKeyReused: an Idempotency-Key sent again with a different request
// (other runs, or another caller). Nothing was started.
var ErrKeyReused = errors.New("the Idempotency-Key was already used for a different request")

// ErrRunsDeleted: the runs a request key started are no longer stored
// (retention deleted them); nothing was started.
var ErrRunsDeleted = errors.New("the runs this Idempotency-Key started were deleted")

// StartRunsOnce starts runs of one workflow as StartRuns does, once per
// request key: the key and the request's answer are recorded in the
// transaction that starts the runs, and a repeat of the request with the
// same key returns the same runs (Created false) and starts nothing, until
// the record expires (server.RetentionConfig.RequestKeys). The same key
// with another request (other runs or another caller) is refused with
// ErrKeyReused. Of two concurrent requests with one key, one starts the
// runs and the other returns them. An empty key is StartRuns.
//
// Runs without an IdempotencyKey of their own get none: the request key
// is the only entry the request costs. A request that has to be split
// over several transactions (Limits.MaxRowsPerTx) gives each such run a
// key derived from the request's instead, so that a retry after a failure
// part-way starts only the rest.
func (e *Engine) StartRunsOnce(ctx context.Context, key string, reqs []StartRequest) ([]Started, error) {
	if key == "" || len(reqs) == 0 {
		return e.startRuns(ctx, reqs, nil)
	}
	for _, r := range reqs[1:] {
		if r.Workflow != reqs[0].Workflow {
			return nil, invalid("runs: a request with an Idempotency-Key starts runs of one workflow")
		}
	}
	return e.startRuns(ctx, reqs, &requestKey{key: key, hash: requestHash(reqs)})
}

// requestKey is a request's Idempotency-Key with the hash of the request.
type requestKey struct {
	key, hash string
}

// requestHash identifies a start request: its caller and, for each run,
// everything that makes it (workflow, version, params, key, priority).
func requestHash(reqs []StartRequest) string {
	h := sha256.New()
	var buf []byte
	str := func(s string) {
		buf = binary.AppendUvarint(buf, uint64(len(s)))
		buf = append(buf, s...)
	}
	str(reqs[0].Actor)
	buf = binary.AppendUvarint(buf, uint64(len(reqs)))
	for _, r := range reqs {
		str(r.Workflow)
		str(r.IdempotencyKey)
		buf = binary.AppendVarint(buf, r.Version)
		buf = binary.AppendVarint(buf, r.Priority)
		buf = binary.AppendUvarint(buf, uint64(len(r.Params)))
		for _, k := range slices.Sorted(maps.Keys(r.Params)) {
			str(k)
			str(r.Params[k])
		}
		if len(buf) > 4096 {
			h.Write(buf)
			buf = buf[:0]
		}
	}
	h.Write(buf)
	return hex.EncodeToString(h.Sum(nil))
}

// repeated returns the runs recorded under rk (nil if none), in the
// request's order.
func (o *op) repeated(workflowID int64, rk *requestKey) ([]Started, error) {
	rec, err := o.Runs().StartRecord(o.ctx, workflowID, rk.key)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if rec.BodyHash != rk.hash {
		return nil, ErrKeyReused
	}
	runs, err := o.Runs().GetMany(o.ctx, rec.RunIDs)
	if err != nil {
		return nil, err
	}
	byID := make(map[int64]store.Run, len(runs))
	for _, r := range runs {
		byID[r.ID] = r
	}
	out := make([]Started, len(rec.RunIDs))
	for i, id := range rec.RunIDs {
		r, ok := byID[id]
		if !ok {
			return nil, ErrRunsDeleted
		}
		out[i] = Started{Run: r}
	}
	return out, nil
}

// recordStart records the runs started under rk; store.ErrConflict if a
// concurrent request with the key recorded its own first (the caller
// rolls back and tries again, finding them).
func (o *op) recordStart(workflowID int64, rk *requestKey, out []Started) error {
	ok, err := o.Runs().RecordStart(o.ctx, store.StartRecord{WorkflowID: workflowID, Key: rk.key, BodyHash: rk.hash,
		RunIDs: runIDs(out)})
	if err == nil && !ok {
		err = fmt.Errorf("the Idempotency-Key was recorded meanwhile: %w", store.ErrConflict)
	}
	return err
}

func runIDs(out []Started) []int64 {
	ids := make([]int64, len(out))
	for i, st := range out {
		ids[i] = st.Run.ID
	}
	return ids
}

// perRunKeys gives the requests without a key of their own one derived
// from the request key (none without one).
func (rk *requestKey) perRunKeys(reqs []StartRequest) []StartRequest {
	if rk == nil {
		return reqs
	}
	reqs = slices.Clone(reqs)
	for i := range reqs {
		if reqs[i].IdempotencyKey == "" {
			reqs[i].IdempotencyKey = "request:" + rk.key + ":" + strconv.Itoa(i)
		}
	}
	return reqs
}

// recordSplit records under rk the runs of a request started in several
// transactions. A record made meanwhile by a concurrent request with the
// key names the same runs (their keys are derived from it), so it stands.
func (e *Engine) recordSplit(ctx context.Context, reqs []StartRequest, rk *requestKey, out []Started) error {
	if rk == nil {
		return nil
	}
	err := e.inGatedTx(ctx, GateStart, reqs[0].Actor, func(o *op) error {
		wf, err := o.Workflows().Get(o.ctx, reqs[0].Workflow)
		if err != nil {
			return notFound(err, "workflow %q", reqs[0].Workflow)
		}
		return o.recordStart(wf.ID, rk, out)
	})
	if errors.Is(err, store.ErrConflict) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("record the Idempotency-Key of %d runs (they were started): %w", len(reqs), err)
	}
	return nil
}
