package postgres

import (
	"context"

	"github.com/baton-sched/baton/internal/store"
	db "github.com/baton-sched/baton/internal/store/pgdb"
)

// Bulk inserts go out as one pgx batch: one round trip for the lot.

type batchResults interface{ Exec(func(int, error)) }

func execBatch(br batchResults) error {
	var first error
	br.Exec(func(_ int, err error) {
		if err != nil && first == nil {
			first = err
		}
	})
	return mapErr(first)
}

func convertAll[S, D any](in []S, conv func(S) D) []D {
	out := make([]D, len(in))
	for i, v := range in {
		out[i] = conv(v)
	}
	return out
}

func (t tasks) Insert(ctx context.Context, ts []store.NewTask) error {
	if len(ts) == 0 {
		return nil
	}
	return execBatch(t.q.InsertTasks(ctx, convertAll(ts, func(n store.NewTask) db.InsertTasksParams {
		return db.InsertTasksParams(n)
	})))
}

func (e events) Insert(ctx context.Context, es []store.NewEvent) error {
	if len(es) == 0 {
		return nil
	}
	return execBatch(e.q.InsertEvents(ctx, convertAll(es, func(n store.NewEvent) db.InsertEventsParams {
		return db.InsertEventsParams(n)
	})))
}

func (l logs) Insert(ctx context.Context, cs []store.NewLogChunk) error {
	if len(cs) == 0 {
		return nil
	}
	return execBatch(l.q.InsertLogs(ctx, convertAll(cs, func(n store.NewLogChunk) db.InsertLogsParams {
		return db.InsertLogsParams(n)
	})))
}
