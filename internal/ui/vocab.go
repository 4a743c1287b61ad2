package ui

import "github.com/baton-sched/baton/client/vocab"

// vocabNames gives templates the states of client/vocab, which they
// compare with instead of spelling them: {{if eq .State (names).TaskFailed}}.
type vocabNames struct {
	RunPaused, RunSucceeded                       string
	TaskFailed, TaskCancelled, TaskUpstreamFailed string
	WorkerActive, AlertFailed                     string
	TaskMarkStates                                []string
	ApprovalPending                               string
	DecisionApprove, DecisionReject               string
}

var names = vocabNames{
	RunPaused: vocab.RunPaused, RunSucceeded: vocab.RunSucceeded,
	TaskFailed: vocab.TaskFailed, TaskCancelled: vocab.TaskCancelled, TaskUpstreamFailed: vocab.TaskUpstreamFailed,
	WorkerActive: vocab.WorkerActive, AlertFailed: vocab.AlertFailed,
	TaskMarkStates:  vocab.TaskMarkStates,
	ApprovalPending: vocab.ApprovalPending,
	DecisionApprove: vocab.DecisionApprove, DecisionReject: vocab.DecisionReject,
}
