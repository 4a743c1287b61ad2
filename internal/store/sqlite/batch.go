package sqlite

import (
	"context"

	"github.com/baton-sched/baton/internal/store"
	db "github.com/baton-sched/baton/internal/store/sqlitedb"
)

// Bulk inserts: SQLite statements are cheap in-process calls, so a loop in
// the transaction is as good as a batch.

func (t tasks) Insert(ctx context.Context, ts []store.NewTask) error {
	for _, n := range ts {
		if err := t.q.InsertTask(ctx, db.InsertTaskParams(n)); err != nil {
			return mapErr(err)
		}
	}
	return nil
}

func (e events) Insert(ctx context.Context, es []store.NewEvent) error {
	for _, n := range es {
		if err := e.q.InsertEvent(ctx, db.InsertEventParams(n)); err != nil {
			return mapErr(err)
		}
	}
	return nil
}

func (l logs) Insert(ctx context.Context, cs []store.NewLogChunk) error {
	for _, n := range cs {
		if err := l.q.InsertLog(ctx, db.InsertLogParams(n)); err != nil {
			return mapErr(err)
		}
	}
	return nil
}
