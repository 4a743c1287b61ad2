package worker

import "github.com/baton-sched/baton/client"

// Stage is a step of an attempt's dispatch on the worker, for Config.Trace.
type Stage int

const (
	// StageReceived: the worker received the assignment (the claim's
	// answer arrived).
	StageReceived Stage = iota
	// StageStartQueued: the attempt's start report was queued for delivery.
	StageStartQueued
	// StageStartSent: a batch holding the start report is being sent (each
	// try of a batch sent again is told again).
	StageStartSent
	// StageStartAnswered: a server answered the batch holding the start
	// report (the report's transaction ended).
	StageStartAnswered
)

// traceStarts tells cfg.Trace, if set, that the attempts of the start
// reports among reports passed stage.
func traceStarts(cfg Config, stage Stage, reports []client.Report) {
	if cfg.Trace == nil {
		return
	}
	for _, r := range reports {
		if r.Kind == "start" {
			cfg.Trace(stage, r.AttemptID)
		}
	}
}
