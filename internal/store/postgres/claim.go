package postgres

import (
	"context"

	"github.com/baton-sched/baton/internal/store"
	db "github.com/baton-sched/baton/internal/store/pgdb"
)

// Candidates implements store.Tasks.
//
// A claim wants the first few queued tasks in placement order: the queue
// index (tasks_queue) hands them over in that order, and the scan stops at
// the claim's limit. The planner does not always see it so. Its estimate
// of the queued tasks comes from the last time autovacuum analyzed tasks;
// taken while few were queued, it makes reading every queued task at once
// (a bitmap or sequential scan) and sorting them look as cheap. The claim
// then costs in proportion to the backlog (27 ms for 7,000 queued tasks,
// against well under a millisecond), claims slow down, the backlog grows,
// and throughput sank within a minute of sustained load. So the claim
// turns those two plans off for its one statement: the ordered index scan
// is right whatever the backlog, and gives the session's own values back
// before the claim's transaction goes on.
func (t tasks) Candidates(ctx context.Context, f store.CandidateFilter) ([]store.Candidate, error) {
	was, err := t.q.PlanInQueueOrder(ctx)
	if err != nil {
		return nil, mapErr(err)
	}
	cands, err := many(toCandidate)(t.q.ClaimCandidates(ctx, db.ClaimCandidatesParams(f)))
	if err != nil {
		return nil, err // the transaction failed: its rollback undoes the settings
	}
	if err := t.q.PlanAsUsual(ctx, db.PlanAsUsualParams{Bitmapscan: was.Bitmapscan, Seqscan: was.Seqscan}); err != nil {
		return nil, mapErr(err)
	}
	return cands, nil
}
