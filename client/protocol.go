package client

import (
	"encoding/json"
	"fmt"
	"time"
)

// The worker protocol: how `baton worker` talks to servers. Every report
// carries the attempt ID as its fencing token.

// RegisterRequest declares a worker.
type RegisterRequest struct {
	Name     string            `json:"name,omitempty"`
	Zone     string            `json:"zone,omitempty" doc:"Availability zone (default \"default\")"`
	Group    string            `json:"group,omitempty" doc:"Resource group (default \"default\")"`
	Labels   map[string]string `json:"labels,omitempty"`
	Capacity float64           `json:"capacity,omitempty" doc:"Capacity in CU (default 1)"`
	Version  string            `json:"version,omitempty" doc:"The worker's build version"`
}

// Registration is the server's answer to a registration: the worker's ID
// and the timing it must keep.
type Registration struct {
	Worker            Worker        `json:"worker"`
	LeaseTTL          time.Duration `json:"lease_ttl" doc:"Nanoseconds a lease lasts after a heartbeat"`
	HeartbeatInterval time.Duration `json:"heartbeat_interval" doc:"Nanoseconds between heartbeats"`
	// ServerVersion is the answering server's build version (absent from
	// servers older than this field).
	ServerVersion string `json:"server_version,omitempty"`
	// Credential is the secret of the worker's own credential, shown
	// once: every later worker-protocol call for this worker sends it.
	Credential string `json:"credential,omitempty"`
}

// HeartbeatRequest renews a worker's lease.
type HeartbeatRequest struct {
	Running []int64 `json:"running" doc:"IDs of the attempts the worker is running"`
	// Ending lists attempts that ended whose finish report is not yet
	// acknowledged: the worker still holds them.
	Ending []int64 `json:"ending,omitempty" doc:"IDs of ended attempts whose finish report is not yet acknowledged"`
	// Complete says Running and Ending are every attempt the worker
	// holds: the servers end any other of its attempts at once (lost).
	Complete bool `json:"complete,omitempty" doc:"running and ending list every attempt the worker holds; others are ended as lost"`
}

// WorkerStop is the body of a worker's stop.
type WorkerStop struct {
	// Held lists every attempt the worker still holds, ended or not (an
	// empty list: none); null when it does not say. An attempt dispatched
	// to the worker and not listed never reached it: the servers call it
	// off and queue its task again without counting a loss, where an
	// attempt it holds is lost.
	Held []int64 `json:"held" doc:"Every attempt the worker still holds (null: not said); one dispatched to it and not listed never reached it, and its task is queued again without counting a loss"`
}

// HeartbeatResponse tells the worker what to kill.
type HeartbeatResponse struct {
	Kill []int64 `json:"kill" doc:"Attempts that are no longer live: kill them, drop their results"`
	// Preempt lists live attempts an operator moved elsewhere (drain
	// --reschedule): stop them and report finish state "cancelled"; the
	// task is then handed on.
	Preempt  []int64       `json:"preempt,omitempty"`
	State    string        `json:"state" enum:"active,draining"`
	LeaseTTL time.Duration `json:"lease_ttl"`
}

// ClaimRequest long-polls for work.
type ClaimRequest struct {
	Max    int           `json:"max" minimum:"1" maximum:"1000"`
	FreeCU float64       `json:"free_cu" minimum:"0"`
	Wait   time.Duration `json:"wait,omitempty" doc:"Nanoseconds to wait for work (at most 30s)"`
	// Kinds lists the task kinds the worker runs; a worker that sends
	// none (older than this field) gets tasks of the kinds every worker
	// runs: shell, noop and http.
	Kinds []string `json:"kinds,omitempty" doc:"Task kinds the worker runs (default shell, noop, http)"`
	// Redeliver says Held lists every attempt the worker holds (running,
	// or ended with its finish report not yet acknowledged): the servers
	// then also return, first, the worker's attempts dispatched and not
	// started that it does not hold, whose claim's answer it lost.
	// Workers send it for a while after a claim that got no answer.
	// Without it (workers older than the field), such an attempt is lost
	// after the dispatch timeout and run again.
	Redeliver bool    `json:"redeliver,omitempty" doc:"held lists every attempt the worker holds; its dispatched attempts not started and not held (a claim answer it lost) are returned again first"`
	Held      []int64 `json:"held,omitempty" doc:"With redeliver: IDs of every attempt the worker holds"`
}

// Assignment is an attempt for the worker to run.
type Assignment struct {
	AttemptID int64             `json:"attempt_id" doc:"Fencing token of every report about this attempt"`
	Kind      string            `json:"kind" enum:"shell,noop,http,sql" doc:"shell: run command with /bin/sh; noop: run nothing, report the attempt succeeded; http: send the request in http; sql: run the statements in sql"`
	Number    int64             `json:"number"`
	RunID     int64             `json:"run_id"`
	TaskID    int64             `json:"task_id"`
	Task      string            `json:"task"`
	Workflow  string            `json:"workflow"`
	Command   string            `json:"command"`
	Env       map[string]string `json:"env,omitempty"`
	Timeout   time.Duration     `json:"timeout,omitempty" doc:"Nanoseconds; 0 for none"`
	CU        float64           `json:"cu"`
	// Checkpoint is the task's last checkpoint, base64: the worker puts it
	// in $BATON_CHECKPOINT before the task starts.
	Checkpoint string `json:"checkpoint,omitempty" doc:"The task's last checkpoint (base64), to put in $BATON_CHECKPOINT"`
	// HTTP is the request of an http attempt.
	HTTP *HTTPRequest `json:"http,omitempty"`
	// SQL is the work of an sql attempt.
	SQL *SQLRequest `json:"sql,omitempty"`
	// Spec is the rendered block of an attempt of any other kind (JSON,
	// the kind's own form). http and sql keep their keys, which workers
	// of every version read; see SetPayload.
	Spec json.RawMessage `json:"spec,omitempty" doc:"The rendered block of an attempt of a kind other than shell, noop, http and sql"`
	// Mask lists the values of the secrets the attempt uses: the worker
	// writes *** for each in the attempt's output, outputs and reasons.
	Mask []string `json:"mask,omitempty" doc:"Secret values to replace with *** in the attempt's output and outputs"`
	// Resources are materialised read-only in the attempt's working
	// directory before a shell task starts. A worker older than the field
	// ignores it and runs the task without them (the task then fails on
	// the missing files).
	Resources []AssignedResource `json:"resources,omitempty" doc:"Resources to materialise in the working directory before the task starts"`
}

// AssignedResource is a resource version an attempt uses: the worker
// fetches its archive by SHA-256 (GET /api/v1/workers/{id}/resources/{sha256}),
// once per worker, and puts it at ./NAME.
type AssignedResource struct {
	Name    string `json:"name"`
	Version int64  `json:"version"`
	Sha256  string `json:"sha256" doc:"Of the archive (a deterministic tar)"`
	Size    int64  `json:"size" doc:"Bytes of its files"`
	Kind    string `json:"kind" enum:"file,dir" doc:"file: ./NAME is the file; dir: ./NAME/ holds the tree"`
}

// SetPayload puts an attempt's rendered block (what its kind's Prepare
// made) where the worker reads it: an *HTTPRequest in HTTP, an
// *SQLRequest in SQL, as every worker version expects, and any other
// value as JSON in Spec.
func (a *Assignment) SetPayload(p any) error {
	switch p := p.(type) {
	case nil:
	case *HTTPRequest:
		a.HTTP = p
	case *SQLRequest:
		a.SQL = p
	default:
		b, err := json.Marshal(p)
		if err != nil {
			return fmt.Errorf("attempt %d: payload: %w", a.AttemptID, err)
		}
		a.Spec = b
	}
	return nil
}

// DecodePayload reads the attempt's rendered block into v, a pointer:
// *HTTPRequest and *SQLRequest from their keys, anything else from Spec.
// It fails when the assignment carries none.
func (a *Assignment) DecodePayload(v any) error {
	missing := fmt.Errorf("attempt %d of kind %s carries no payload", a.AttemptID, a.Kind)
	switch dst := v.(type) {
	case *HTTPRequest:
		if a.HTTP == nil {
			return missing
		}
		*dst = *a.HTTP
	case *SQLRequest:
		if a.SQL == nil {
			return missing
		}
		*dst = *a.SQL
	default:
		if len(a.Spec) == 0 {
			return missing
		}
		return json.Unmarshal(a.Spec, v)
	}
	return nil
}

// HTTPRequest is what the worker sends for an http task. The task
// succeeds when the status is one of ExpectStatus (any 2xx when empty);
// its outputs are the status and the body (up to 64 KiB).
type HTTPRequest struct {
	Method       string            `json:"method"`
	URL          string            `json:"url"`
	Headers      map[string]string `json:"headers,omitempty"`
	Body         string            `json:"body,omitempty"`
	ExpectStatus []int             `json:"expect_status,omitempty"`
}

// SQLRequest is what the worker runs for an sql task: the statements in
// one transaction on the connection DSN (a secret's value: in Mask too),
// parameters bound. Its outputs are rows_affected, columns and rows (JSON)
// and row_count (of the last statement, at most MaxRows kept).
type SQLRequest struct {
	DSN        string         `json:"dsn"`
	Statements []SQLStatement `json:"statements"`
	MaxRows    int            `json:"max_rows,omitempty"`
}

// SQLStatement is one statement of an sql task with its parameters.
type SQLStatement struct {
	Query  string   `json:"query"`
	Params []string `json:"params,omitempty"`
}

// ClaimResponse carries the claimed attempts, possibly none.
type ClaimResponse struct {
	Assignments []Assignment `json:"assignments"`
}

// Report is one thing a worker says about one attempt.
type Report struct {
	AttemptID int64             `json:"attempt_id"`
	Kind      string            `json:"kind" enum:"start,checkpoint,finish"`
	State     string            `json:"state,omitempty" doc:"For finish: succeeded, failed, timed_out, lost (given up), fenced (killed for lack of a lease) or cancelled (stopped on a preempt order)"`
	ExitCode  int64             `json:"exit_code,omitempty"`
	Reason    string            `json:"reason,omitempty"`
	Outputs   map[string]string `json:"outputs,omitempty"`
	// Checkpoint is, for kind checkpoint, the $BATON_CHECKPOINT file in
	// base64 (at most 64 KiB before encoding).
	Checkpoint string `json:"checkpoint,omitempty" doc:"For checkpoint: the $BATON_CHECKPOINT file, base64, at most 64 KiB decoded"`
}

// ReportBatch is several reports, applied in one transaction.
type ReportBatch struct {
	Reports []Report `json:"reports"`
}

// ReportResult answers one report: status 200 (accepted) or 409 (the
// attempt was superseded; kill it).
type ReportResult struct {
	AttemptID int64  `json:"attempt_id"`
	Status    int    `json:"status" enum:"200,409"`
	State     string `json:"state,omitempty" doc:"The attempt's state now"`
}

// ReportBatchResult answers a batch, one result per report in order.
type ReportBatchResult struct {
	Results []ReportResult `json:"results"`
}

// LogBatch is output of one or more attempts.
type LogBatch struct {
	Chunks []NewLogChunk `json:"chunks"`
}

// NewLogChunk is output of an attempt, numbered by the worker from 1 so a
// chunk sent twice is stored once.
type NewLogChunk struct {
	AttemptID int64  `json:"attempt_id"`
	Seq       int64  `json:"seq" minimum:"1"`
	Stream    string `json:"stream" enum:"stdout,stderr"`
	Data      string `json:"data"`
}

// LogBatchResult lists the attempts whose chunks were refused because the
// attempt was superseded (the worker must kill it).
type LogBatchResult struct {
	Fenced []int64 `json:"fenced"`
}
