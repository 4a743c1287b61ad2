package server

import (
	"context"
	"net/http"
	"slices"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/baton-sched/baton/client"
	"github.com/baton-sched/baton/internal/engine"
	"github.com/baton-sched/baton/internal/schedule"
)

type schedulesOutput struct{ Body []client.Schedule }

// SchedulePath names a schedule in the URL; exported because huma only
// reads parameters of exported embedded structs.
type SchedulePath struct {
	Workflow string `path:"workflow" doc:"Workflow name"`
	Schedule string `path:"schedule" doc:"Schedule name (\"default\" for a workflow's single schedule)"`
}

type nextInput struct {
	SchedulePath
	N int `query:"n" minimum:"1" maximum:"1000" default:"10" doc:"How many due times"`
}

type nextOutput struct{ Body client.NextFires }

type pauseInput struct {
	SchedulePath
	Action string `path:"action" enum:"pause,resume" doc:"pause: stop firing; resume: fire again from the next due time"`
	Body   client.ScheduleNote
}

type scheduleOutput struct{ Body client.Schedule }

type triggerInput struct {
	SchedulePath
}

type backfillInput struct {
	SchedulePath
	Body client.BackfillRequest
}

type backfillOutput struct{ Body client.Backfill }

func (s *Server) registerSchedules(api huma.API) {
	huma.Register(api, huma.Operation{
		OperationID: "list-schedules", Method: http.MethodGet, Path: "/api/v1/schedules",
		Summary: "List schedules", Tags: []string{"schedules"},
		Description: "Every schedule of every workflow, its next due time and its recent firing lateness.",
	}, func(ctx context.Context, _ *struct{}) (*schedulesOutput, error) {
		out, err := s.listSchedules(ctx)
		if err != nil {
			return nil, s.apiError(ctx, err)
		}
		return &schedulesOutput{Body: out}, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "schedule-next", Method: http.MethodGet, Path: "/api/v1/workflows/{workflow}/schedules/{schedule}/next",
		Summary: "A schedule's next due times", Tags: []string{"schedules"},
	}, func(ctx context.Context, in *nextInput) (*nextOutput, error) {
		info, due, err := s.engine.NextFires(ctx, in.Workflow, in.Schedule, in.N)
		if err != nil {
			return nil, s.apiError(ctx, err)
		}
		out := client.NextFires{Schedule: toSchedule(info), Due: []time.Time{}}
		for _, t := range due {
			out.Due = append(out.Due, t.UTC())
		}
		return &nextOutput{Body: out}, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "pause-schedule", Method: http.MethodPost, Path: "/api/v1/workflows/{workflow}/schedules/{schedule}/{action}",
		Summary: "Pause or resume a schedule", Tags: []string{"schedules"},
		Description: "A resumed schedule fires from its next due time after now: ticks due while it was paused " +
			"are not caught up (they are counted in the schedule.resumed event).",
	}, s.pauseSchedule)

	huma.Register(api, huma.Operation{
		OperationID: "trigger-schedule", Method: http.MethodPost, Path: "/api/v1/workflows/{workflow}/schedules/{schedule}/trigger",
		Summary: "Start a run of a schedule now", Tags: []string{"schedules"},
		Description: "The run gets the schedule's params and now as its due time, whatever the overlap policy or pause.",
	}, func(ctx context.Context, in *triggerInput) (*runOutput, error) {
		run, err := s.engine.TriggerSchedule(ctx, in.Workflow, in.Schedule, actorOf(ctx))
		if err != nil {
			return nil, s.apiError(ctx, err)
		}
		return &runOutput{Body: toRun(run)}, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "backfill-schedule", Method: http.MethodPost, Path: "/api/v1/workflows/{workflow}/schedules/{schedule}/backfill",
		Summary: "Create a schedule's runs for a past time range", Tags: []string{"schedules"},
		Description: "One run per due time in [from, to] (to no later than now), each the run its tick would " +
			"create: repeating a backfill, or backfilling ticks that fired, creates nothing new. At most 10000 due times.",
	}, s.backfill)
}

// pauseSchedule is the pause-schedule operation, pause or resume (and the
// web UI's).
func (s *Server) pauseSchedule(ctx context.Context, in *pauseInput) (*scheduleOutput, error) {
	err := s.engine.PauseSchedule(ctx, in.Workflow, in.Schedule, in.Action == "pause", in.Body.Note, actorOf(ctx))
	if err != nil {
		return nil, s.apiError(ctx, err)
	}
	return s.scheduleAnswer(ctx, in.Workflow, in.Schedule)
}

// backfill is the backfill-schedule operation (and the web UI's).
func (s *Server) backfill(ctx context.Context, in *backfillInput) (*backfillOutput, error) {
	b, err := s.engine.Backfill(ctx, in.Workflow, in.Schedule, in.Body.From, in.Body.To, actorOf(ctx))
	if err != nil {
		return nil, s.apiError(ctx, err)
	}
	out := client.Backfill{Created: b.Created, Existing: b.Existing, RunIDs: []int64{}}
	for _, r := range b.Runs {
		out.RunIDs = append(out.RunIDs, r.ID)
	}
	return &backfillOutput{Body: out}, nil
}

// scheduleAnswer returns a schedule as listed.
func (s *Server) scheduleAnswer(ctx context.Context, workflow, name string) (*scheduleOutput, error) {
	info, err := s.engine.Schedule(ctx, workflow, name)
	if err != nil {
		return nil, s.apiError(ctx, err)
	}
	return &scheduleOutput{Body: toSchedule(info)}, nil
}

func toSchedule(in engine.ScheduleInfo) client.Schedule {
	d := in.Def
	catchup, _ := schedule.ParseCatchup(d.Catchup)
	overlap, _ := schedule.ParseOverlap(d.Overlap)
	out := client.Schedule{
		Workflow: in.Row.Workflow, Name: in.Row.Name, Cron: d.Cron, Timezone: d.Timezone,
		Start: d.Start, End: d.End, Catchup: string(catchup), Overlap: string(overlap), Params: d.Params,
		Paused: in.Row.Paused, Note: in.Row.Note, NextDue: ms(in.Row.NextFireAt), NextFire: ms(in.Row.FireAt),
		Buffered: in.Buffered, Lateness: lateness(in.Lateness),
	}
	if d.Jitter > 0 {
		out.Jitter = d.Jitter.String()
	}
	if d.CatchupWindow > 0 {
		out.CatchupWindow = d.CatchupWindow.String()
	}
	return out
}

// lateness summarises delays: nearest-rank percentiles.
func lateness(ds []time.Duration) client.Lateness {
	if len(ds) == 0 {
		return client.Lateness{}
	}
	s := slices.Sorted(slices.Values(ds))
	rank := func(q float64) float64 {
		i := int(q*float64(len(s))+0.999999) - 1
		return float64(s[max(i, 0)]) / float64(time.Millisecond)
	}
	return client.Lateness{Runs: len(s), P50Ms: rank(0.5), P99Ms: rank(0.99), MaxMs: rank(1)}
}
