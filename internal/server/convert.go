package server

import (
	"encoding/json"
	"strconv"
	"time"

	"github.com/baton-sched/baton/client"
	"github.com/baton-sched/baton/internal/store"
)

// Conversions from store rows to API types.

func ms(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMilli(v).UTC()
}

func itoa(v int64) string { return strconv.FormatInt(v, 10) }

func stringMap(s string) map[string]string {
	switch s {
	case "":
		return nil
	case "{}": // most runs' params: what decoding gives, without decoding
		return map[string]string{}
	}
	var m map[string]string
	_ = json.Unmarshal([]byte(s), &m) // written by the engine as such a map
	return m
}

func toWorkflow(w store.Workflow) client.Workflow {
	return client.Workflow{Name: w.Name, LatestVersion: w.LatestVersion, Disabled: w.Disabled,
		CreatedAt: ms(w.CreatedAt), UpdatedAt: ms(w.UpdatedAt)}
}

func toVersion(name string, v store.Version, full bool) client.WorkflowVersion {
	out := client.WorkflowVersion{Workflow: name, Version: v.Version, Digest: v.Digest,
		CreatedBy: v.CreatedBy, CreatedAt: ms(v.CreatedAt)}
	if full {
		_ = json.Unmarshal([]byte(v.Spec), &out.Definition)
		out.Source = v.Source
	}
	return out
}

func toRun(r store.Run) client.Run {
	params := stringMap(r.Params)
	if params == nil {
		params = map[string]string{}
	}
	return client.Run{
		ID: r.ID, Workflow: r.Workflow, Version: r.Version, State: r.State, Reason: r.Reason,
		Params: params, Priority: r.Priority, ScheduledAt: ms(r.ScheduledAt), CreatedBy: r.CreatedBy,
		CreatedAt: ms(r.CreatedAt), StartedAt: ms(r.StartedAt), FinishedAt: ms(r.FinishedAt),
		TasksTotal: r.TasksTotal, TasksLeft: r.TasksLeft, TasksFailed: r.TasksFailed, ParentRunID: r.ParentRunID,
	}
}

func toTask(t store.Task, last *client.Attempt) client.Task {
	return client.Task{
		ID: t.ID, Name: t.Name, State: t.State, Reason: t.Reason, Group: t.Group, CU: t.CU,
		Attempts: t.Attempts, Lost: t.Lost, Outputs: stringMap(t.Outputs),
		StartedAt: ms(t.StartedAt), FinishedAt: ms(t.FinishedAt), LastAttempt: last,
		Checkpoint: t.Checkpoint, CheckpointAt: ms(t.CheckpointAt), Slot: t.Slot,
	}
}

func toAttempt(a store.Attempt) client.Attempt {
	return client.Attempt{
		ID: a.ID, TaskID: a.TaskID, Task: a.Task, Number: a.Number, State: a.State, Reason: a.Reason,
		WorkerID: a.WorkerID, Zone: a.Zone, ExitCode: a.ExitCode, DispatchedAt: ms(a.DispatchedAt),
		StartedAt: ms(a.StartedAt), FinishedAt: ms(a.FinishedAt),
	}
}

func toWorker(w store.Worker) client.Worker {
	labels := stringMap(w.Labels)
	if labels == nil {
		labels = map[string]string{}
	}
	return client.Worker{
		ID: w.ID, Name: w.Name, Zone: w.Zone, Group: w.Group, Labels: labels, Capacity: w.Capacity,
		State: w.State, Version: w.Version, LeaseExpiresAt: ms(w.LeaseExpiresAt),
		RegisteredAt: ms(w.RegisteredAt), LastSeenAt: ms(w.LastSeenAt),
	}
}

func toEvent(e store.Event) client.Event {
	return client.Event{
		ID: e.ID, At: ms(e.At), Kind: e.Kind, Actor: e.Actor, RunID: e.RunID, TaskID: e.TaskID,
		Task: e.Task, AttemptID: e.AttemptID, WorkerID: e.WorkerID, OldState: e.OldState,
		NewState: e.NewState, Reason: e.Reason, Zone: e.Zone,
	}
}

func toLogChunk(c store.LogChunk) client.LogChunk {
	return client.LogChunk{Seq: c.Seq, Stream: c.Stream, At: ms(c.At), Data: c.Data}
}
