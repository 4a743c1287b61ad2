package server

import (
	"context"

	"github.com/baton-sched/baton/client"
	"github.com/baton-sched/baton/internal/store"
)

// The reads below answer both the API handlers and the web UI (see
// uiSource), so that the two share one query layer. Their errors are not
// yet mapped to problem documents.

// listRuns returns a page of runs, newest first, and the cursor of the
// next page ("" for the last).
func (s *Server) listRuns(ctx context.Context, f store.RunFilter) ([]client.Run, string, error) {
	out, next := []client.Run{}, ""
	err := s.engine.Store().Read(ctx, func(tx store.Tx) error {
		runs, err := tx.Runs().List(ctx, f)
		for _, r := range runs {
			out = append(out, toRun(r))
		}
		if f.Limit > 0 && int64(len(runs)) == f.Limit {
			next = itoa(runs[len(runs)-1].ID)
		}
		return err
	})
	return out, next, err
}

// runDetail returns a run with its tasks, each with its latest attempt.
func (s *Server) runDetail(ctx context.Context, id int64) (client.RunDetail, error) {
	var out client.RunDetail
	err := s.engine.Store().Read(ctx, func(tx store.Tx) error {
		run, err := tx.Runs().Get(ctx, id)
		if err != nil {
			return notFound(err, "run %d", id)
		}
		tasks, err := tx.Tasks().ListRun(ctx, id)
		if err != nil {
			return err
		}
		attempts, err := tx.Attempts().ListRun(ctx, id)
		if err != nil {
			return err
		}
		last := map[int64]store.Attempt{}
		for _, a := range attempts {
			last[a.TaskID] = a // ordered by task, number
		}
		out = client.RunDetail{Run: toRun(run), Tasks: make([]client.Task, len(tasks))}
		for i, t := range tasks {
			var la *client.Attempt
			if a, ok := last[t.ID]; ok {
				ca := toAttempt(a)
				la = &ca
			}
			out.Tasks[i] = toTask(t, la)
		}
		return nil
	})
	return out, err
}

// runAttempts returns every attempt of a run, by task and number.
func (s *Server) runAttempts(ctx context.Context, id int64) ([]client.Attempt, error) {
	out := []client.Attempt{}
	err := s.engine.Store().Read(ctx, func(tx store.Tx) error {
		if _, err := tx.Runs().Get(ctx, id); err != nil {
			return notFound(err, "run %d", id)
		}
		attempts, err := tx.Attempts().ListRun(ctx, id)
		for _, a := range attempts {
			out = append(out, toAttempt(a))
		}
		return err
	})
	return out, err
}

// taskLogs reads a page of one attempt's output (attempt 0: the latest).
func (s *Server) taskLogs(ctx context.Context, runID int64, taskName string, attempt, after, limit, limitBytes int64) (client.Logs, error) {
	out := client.Logs{Chunks: []client.LogChunk{}, NextSeq: after}
	err := s.engine.Store().Read(ctx, func(tx store.Tx) error {
		task, err := tx.Tasks().ByName(ctx, runID, taskName)
		if err != nil {
			return notFound(err, "task %q of run %d", taskName, runID)
		}
		attempts, err := tx.Attempts().ListRun(ctx, runID)
		if err != nil {
			return err
		}
		var pick *store.Attempt
		for i, a := range attempts {
			if a.TaskID == task.ID && (attempt == 0 || a.Number == attempt) {
				pick = &attempts[i]
			}
		}
		if pick == nil {
			if attempt != 0 {
				return notFound(store.ErrNotFound, "attempt %d of task %q", attempt, taskName)
			}
			return nil // not started yet: no output
		}
		out.AttemptID, out.Attempt, out.State = pick.ID, pick.Number, pick.State
		stats, err := tx.Logs().Stats(ctx, pick.ID)
		if err != nil {
			return err
		}
		out.DroppedBytes = stats.Dropped
		chunks, err := readLogPage(ctx, tx, pick.ID, after, limit, limitBytes)
		for _, c := range chunks {
			out.Chunks = append(out.Chunks, toLogChunk(c))
			out.NextSeq = c.Seq
		}
		return err
	})
	return out, err
}

// listWorkers returns the live workers (all: also lost and stopped ones)
// with their used CU and running attempts.
func (s *Server) listWorkers(ctx context.Context, all bool) ([]client.Worker, error) {
	out := []client.Worker{}
	err := s.engine.Store().Read(ctx, func(tx store.Tx) error {
		ws, err := tx.Workers().List(ctx, all)
		if err != nil {
			return err
		}
		used, err := workerUsage(ctx, tx)
		if err != nil {
			return err
		}
		for _, w := range ws {
			cw := toWorker(w)
			cw.UsedCU, cw.Running = used[w.ID].UsedCU, int(used[w.ID].Running)
			out = append(out, cw)
		}
		return nil
	})
	return out, err
}

// listEvents returns audit events, oldest first.
func (s *Server) listEvents(ctx context.Context, f store.EventFilter) ([]client.Event, error) {
	out := []client.Event{}
	err := s.engine.Store().Read(ctx, func(tx store.Tx) error {
		evs, err := tx.Events().List(ctx, f)
		for _, e := range evs {
			out = append(out, toEvent(e))
		}
		return err
	})
	return out, err
}

// listWorkflows returns every workflow by name.
func (s *Server) listWorkflows(ctx context.Context) ([]client.Workflow, error) {
	out := []client.Workflow{}
	err := s.engine.Store().Read(ctx, func(tx store.Tx) error {
		wfs, err := tx.Workflows().List(ctx, "", 10000)
		for _, w := range wfs {
			out = append(out, toWorkflow(w))
		}
		return err
	})
	return out, err
}

// workflowVersions returns a workflow's versions, newest first, without
// their definitions.
func (s *Server) workflowVersions(ctx context.Context, name string) ([]client.WorkflowVersion, error) {
	out := []client.WorkflowVersion{}
	err := s.engine.Store().Read(ctx, func(tx store.Tx) error {
		wf, err := tx.Workflows().Get(ctx, name)
		if err != nil {
			return notFound(err, "workflow %q", name)
		}
		vs, err := tx.Workflows().Versions(ctx, wf.ID)
		for _, v := range vs {
			out = append(out, toVersion(wf.Name, v, false))
		}
		return err
	})
	return out, err
}

// workflowVersion returns one version with its definition (0: the latest).
func (s *Server) workflowVersion(ctx context.Context, name string, version int64) (client.WorkflowVersion, error) {
	var out client.WorkflowVersion
	err := s.engine.Store().Read(ctx, func(tx store.Tx) error {
		wf, err := tx.Workflows().Get(ctx, name)
		if err != nil {
			return notFound(err, "workflow %q", name)
		}
		var v store.Version
		if version == 0 {
			v, err = tx.Workflows().Version(ctx, wf.LatestVersionID)
		} else {
			v, err = tx.Workflows().VersionByNumber(ctx, wf.ID, version)
		}
		if err != nil {
			return notFound(err, "workflow %s version %d", name, version)
		}
		out = toVersion(wf.Name, v, true)
		return nil
	})
	return out, err
}

// listSchedules returns every schedule with its next due time.
func (s *Server) listSchedules(ctx context.Context) ([]client.Schedule, error) {
	infos, err := s.engine.Schedules(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]client.Schedule, 0, len(infos))
	for _, in := range infos {
		out = append(out, toSchedule(in))
	}
	return out, nil
}

// placement returns zone health and capacity.
func (s *Server) placement(ctx context.Context) (client.Placement, error) {
	p, err := s.engine.Placement(ctx)
	if err != nil {
		return client.Placement{}, err
	}
	return toPlacement(p), nil
}
