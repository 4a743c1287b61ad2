package engine

import (
	"context"
	"errors"
	"fmt"

	"github.com/baton-sched/baton/internal/store"
)

// AppendLogs stores output chunks of a worker's attempts. Output of an
// attempt that finished normally is still taken (the last lines may arrive
// after the finish report), but output of an attempt that was superseded
// (lost, fenced, cancelled) or is not this worker's is refused: those
// attempt IDs are returned, and the worker must kill them.
func (e *Engine) AppendLogs(ctx context.Context, workerID string, chunks []store.NewLogChunk) ([]int64, error) {
	var fenced []int64
	err := e.store.InTx(ctx, func(tx store.Tx) error {
		fenced = fenced[:0]
		verdict := map[int64]bool{}
		var keep []store.NewLogChunk
		for _, c := range chunks {
			ok, seen := verdict[c.AttemptID]
			if !seen {
				a, err := tx.Attempts().Get(ctx, c.AttemptID)
				if err != nil && !errors.Is(err, store.ErrNotFound) {
					return err
				}
				ok = err == nil && a.WorkerID == workerID && !superseded(a.State)
				verdict[c.AttemptID] = ok
				if !ok {
					fenced = append(fenced, c.AttemptID)
				}
			}
			if ok {
				keep = append(keep, c)
			}
		}
		return tx.Logs().Insert(ctx, keep)
	})
	if err != nil {
		return nil, fmt.Errorf("append logs of worker %s: %w", workerID, err)
	}
	return fenced, nil
}

func superseded(attemptState string) bool {
	return attemptState == store.AttemptLost || attemptState == store.AttemptFenced ||
		attemptState == store.AttemptCancelled
}
