package engine

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/baton-sched/baton/internal/store"
	"github.com/baton-sched/baton/internal/workflow"
)

// Event triggers (`on:` of a definition). When a run ends succeeded, the
// transaction that ends it starts one run of each workflow listening to
// its workflow (on: workflow_succeeded), and records the event in
// run_triggers under the key "run:<upstream run id>", unique per
// workflow: the constraint, not a check, makes the trigger fire exactly
// once per upstream run, whatever servers race or die and however often
// the upstream run is rerun to success again. The record keeps the
// upstream run's params and outputs, which the new run's templates read as
// trigger.*.

// MaxTriggerChain bounds how many workflow_succeeded triggers follow each
// other: apply refuses a cycle, and this stops one that two concurrent
// applies made anyway.
const MaxTriggerChain = 32

// triggerActorPrefix starts the actor of runs an upstream's success
// started: "trigger:load-orders/42".
const triggerActorPrefix = "trigger:"

// listeners remembers, within one transaction, which workflows' waits
// were made due and which workflows no trigger listens to, so that a
// report ending many runs of one workflow looks them up once, not once a
// run (three statements a run before). Neither changes within the
// transaction; a workflow with subscribers is still handled run by run.
type listeners struct {
	woken map[int64]bool // workflow IDs whose waits are due
	quiet map[int64]bool // workflow IDs without subscribers
}

// succeeded wakes the waits for the workflow of a run that just succeeded
// and starts the runs that listen to it.
func (l *listeners) succeeded(o *op, runID, workflowID int64) error {
	if l.woken == nil {
		l.woken, l.quiet = map[int64]bool{}, map[int64]bool{}
	}
	if !l.woken[workflowID] {
		if err := o.wakeWaits(runID); err != nil {
			return err
		}
		l.woken[workflowID] = true
	}
	if l.quiet[workflowID] {
		return nil
	}
	heard, err := o.fireTriggers(runID)
	if err == nil && !heard {
		l.quiet[workflowID] = true
	}
	return err
}

// runSucceeded starts the runs that listen to the workflow of a run that
// just succeeded.
func (o *op) runSucceeded(runID int64) error {
	_, err := o.fireTriggers(runID)
	return err
}

// fireTriggers is runSucceeded, which also says whether any workflow
// listens to the run's.
func (o *op) fireTriggers(runID int64) (bool, error) {
	run, err := o.Runs().Get(o.ctx, runID)
	if err != nil {
		return false, fmt.Errorf("trigger: run %d: %w", runID, err)
	}
	subs, err := o.Triggers().Subscribers(o.ctx, run.Workflow)
	if err != nil || len(subs) == 0 {
		return false, err
	}
	return true, o.fireSubscribers(run, subs)
}

// fireSubscribers starts one run of each subscriber of run's workflow,
// once per upstream run.
func (o *op) fireSubscribers(run store.Run, subs []store.Subscriber) error {
	depth, err := o.triggerDepth(run.ID)
	if err != nil {
		return err
	}
	ts, err := o.upstreamScope(run)
	if err != nil {
		return err
	}
	ctxJSON, err := json.Marshal(ts)
	if err != nil {
		return err
	}
	for _, s := range subs {
		t, claimed, err := o.Triggers().Claim(o.ctx, store.NewTrigger{WorkflowID: s.ID,
			Key: "run:" + strconv.FormatInt(run.ID, 10), Kind: workflow.TriggerWorkflowSucceeded,
			UpstreamRunID: run.ID, UpstreamWorkflow: run.Workflow, Depth: depth, Context: string(ctxJSON)})
		if err != nil {
			return err
		}
		if !claimed {
			continue // this event fired already (the upstream run was rerun)
		}
		if err := o.fireUpstream(s, t, ts); err != nil {
			return err
		}
	}
	return nil
}

// triggerDepth is the chain depth of a run its upstream's success
// starts: one more than the run's own, 0 if a trigger did not start it.
func (o *op) triggerDepth(runID int64) (int64, error) {
	t, err := o.Triggers().OfRun(o.ctx, runID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return 0, nil
	case err != nil:
		return 0, err
	case t.Kind == workflow.TriggerWorkflowSucceeded:
		return t.Depth + 1, nil
	}
	return 0, nil
}

// upstreamScope is what the runs a succeeded run starts read as trigger.*.
func (o *op) upstreamScope(run store.Run) (*workflow.TriggerScope, error) {
	ts := &workflow.TriggerScope{Kind: workflow.TriggerWorkflowSucceeded, RunID: run.ID, Workflow: run.Workflow}
	if err := json.Unmarshal([]byte(run.Params), &ts.Params); err != nil {
		return nil, fmt.Errorf("run %d params: %w", run.ID, err)
	}
	rows, err := o.Tasks().Outputs(o.ctx, run.ID)
	if err != nil {
		return nil, err
	}
	for _, r := range rows {
		var kv map[string]string
		if err := json.Unmarshal([]byte(r.Outputs), &kv); err != nil {
			return nil, fmt.Errorf("outputs of task %s: %w", r.Name, err)
		}
		if ts.Outputs == nil {
			ts.Outputs = map[string]map[string]string{}
		}
		ts.Outputs[r.Name] = kv
	}
	return ts, nil
}

// fireUpstream starts the run of subscriber s for the event t claimed,
// or records why it starts none: the workflow is disabled, the chain is
// too long, or its parameters cannot be made from the upstream run.
func (o *op) fireUpstream(s store.Subscriber, t store.Trigger, ts *workflow.TriggerScope) error {
	skip := func(reason string) error {
		o.record(store.NewEvent{Kind: "trigger.skipped", Reason: fmt.Sprintf(
			"workflow %s not started by run %d of %s: %s", s.Name, t.UpstreamRunID, t.UpstreamWorkflow, reason)})
		return o.Triggers().SetRun(o.ctx, t.ID, 0, reason)
	}
	switch {
	case s.Disabled:
		return skip("the workflow is disabled")
	case t.Depth >= MaxTriggerChain:
		return skip(fmt.Sprintf("more than %d triggers in a chain: do the workflows trigger each other?", MaxTriggerChain))
	}
	wf, err := o.Workflows().Get(o.ctx, s.Name)
	if err != nil {
		return err
	}
	p, err := o.plan(wf.LatestVersionID)
	if err != nil {
		return err
	}
	up, ok := p.def.Upstream(t.UpstreamWorkflow)
	if !ok {
		return skip("its latest version does not listen to " + t.UpstreamWorkflow)
	}
	params, err := up.TriggerParams(ts)
	if err != nil {
		return skip(err.Error())
	}
	started, err := o.startRuns([]StartRequest{{Workflow: s.Name, Params: params,
		Actor: fmt.Sprintf("%s%s/%d", triggerActorPrefix, t.UpstreamWorkflow, t.UpstreamRunID)}}, false)
	var inv *InvalidError
	if errors.As(err, &inv) || errors.Is(err, ErrNotFound) || errors.Is(err, ErrDisabled) {
		return skip(err.Error())
	}
	if err != nil {
		return err
	}
	run := started[0].Run
	o.record(store.NewEvent{Kind: "run.triggered", RunID: run.ID, Actor: run.CreatedBy,
		Reason: fmt.Sprintf("started by run %d of %s succeeding (on: workflow_succeeded)", t.UpstreamRunID, t.UpstreamWorkflow)})
	return o.Triggers().SetRun(o.ctx, t.ID, run.ID, "")
}

// loadTrigger gives a run's scope the event that started it, for the
// templates of workflows that declare one (only those may refer to it).
func (o *op) loadTrigger(rs *runScope) error {
	if rs.triggerLoaded || rs.plan.def.On == nil {
		return nil
	}
	t, err := o.Triggers().OfRun(o.ctx, rs.run.ID)
	switch {
	case errors.Is(err, store.ErrNotFound):
	case err != nil:
		return err
	default:
		var ts workflow.TriggerScope
		if err := json.Unmarshal([]byte(t.Context), &ts); err != nil {
			return fmt.Errorf("trigger of run %d: %w", rs.run.ID, err)
		}
		rs.trigger = &ts
	}
	rs.triggerLoaded = true
	return nil
}

// syncTriggers records the upstream workflows a new version listens to,
// and refuses one that closes a cycle of triggers.
func (o *op) syncTriggers(wf store.Workflow, d *workflow.Definition, filename string) error {
	ups := d.UpstreamNames()
	if err := o.Triggers().SetSubscriptions(o.ctx, wf.ID, ups); err != nil {
		return err
	}
	if len(ups) == 0 {
		return nil
	}
	subs, err := o.Triggers().Subscriptions(o.ctx)
	if err != nil {
		return err
	}
	down := map[string][]string{} // upstream -> the workflows it starts
	for _, s := range subs {
		down[s.Upstream] = append(down[s.Upstream], s.Workflow)
	}
	if cycle := triggerCycle(wf.Name, down); cycle != nil {
		return &InvalidError{Err: fmt.Errorf("%s: on.workflow_succeeded: trigger cycle %s: runs would start each other forever",
			filename, strings.Join(cycle, " -> "))}
	}
	return nil
}

// triggerCycle returns a path of triggers from name back to name, or nil.
func triggerCycle(name string, down map[string][]string) []string {
	prev := map[string]string{}
	queue := []string{name}
	for len(queue) > 0 {
		x := queue[0]
		queue = queue[1:]
		for _, y := range down[x] {
			if y == name {
				path := []string{name}
				for z := x; z != name; z = prev[z] {
					path = append([]string{z}, path...)
				}
				return append([]string{name}, path...)
			}
			if _, seen := prev[y]; !seen {
				prev[y] = x
				queue = append(queue, y)
			}
		}
	}
	return nil
}

// WebhookRequest is a call of a workflow's webhook, its token checked.
type WebhookRequest struct {
	Workflow string
	// Params are the body's fields, each a string, number or boolean
	// (kept as written); anything else is refused.
	Params map[string]any
	// IdempotencyKey, when set, makes a repeated call return the first
	// call's run.
	IdempotencyKey string
	Actor          string
}

// ErrWebhookOff: the workflow's latest version does not declare
// on: webhook.
var ErrWebhookOff = errors.New("the workflow's webhook is not enabled (on: {webhook: true})")

// StartWebhook starts a run of a workflow for a webhook call. The body is
// validated whole against the declared params first: a bad one starts
// nothing and stores nothing (*InvalidError naming params.FIELD).
func (e *Engine) StartWebhook(ctx context.Context, req WebhookRequest) (Started, error) {
	params, err := webhookParams(req.Params)
	if err != nil {
		return Started{}, err
	}
	key := "webhook:key:" + req.IdempotencyKey
	if req.IdempotencyKey == "" {
		var b [16]byte
		_, _ = rand.Read(b[:]) // never fails (crypto/rand)
		key = "webhook:" + hex.EncodeToString(b[:])
	}
	var out Started
	err = e.inTx(ctx, req.Actor, func(o *op) error {
		var err error
		out, err = o.startWebhook(req.Workflow, params, key)
		return err
	})
	if errors.Is(err, store.ErrConflict) { // a concurrent call with the same key won
		err = e.inTx(ctx, req.Actor, func(o *op) error {
			var err error
			out, err = o.startWebhook(req.Workflow, params, key)
			return err
		})
	}
	if err != nil {
		return Started{}, fmt.Errorf("webhook of %s: %w", req.Workflow, err)
	}
	return out, nil
}

func (o *op) startWebhook(name string, params map[string]string, key string) (Started, error) {
	wf, err := o.Workflows().Get(o.ctx, name)
	if err != nil {
		return Started{}, notFound(err, "workflow %q", name)
	}
	if prev, err := o.Triggers().ByKey(o.ctx, wf.ID, key); err == nil {
		run, err := o.Runs().Get(o.ctx, prev.RunID)
		return Started{Run: run}, err
	} else if !errors.Is(err, store.ErrNotFound) {
		return Started{}, err
	}
	p, err := o.plan(wf.LatestVersionID)
	if err != nil {
		return Started{}, err
	}
	if p.def.On == nil || !p.def.On.Webhook {
		return Started{}, ErrWebhookOff
	}
	// Checked before anything is written: a bad body stores nothing.
	if _, err := workflow.ResolveParams(p.def, params); err != nil {
		return Started{}, &InvalidError{Err: err}
	}
	if wf.Disabled {
		return Started{}, disabledError(wf.Name)
	}
	ctxJSON, err := json.Marshal(workflow.TriggerScope{Kind: workflow.TriggerWebhook, Params: params})
	if err != nil {
		return Started{}, err
	}
	t, claimed, err := o.Triggers().Claim(o.ctx, store.NewTrigger{WorkflowID: wf.ID, Key: key,
		Kind: workflow.TriggerWebhook, Context: string(ctxJSON)})
	if err != nil {
		return Started{}, err
	}
	if !claimed {
		return Started{}, fmt.Errorf("webhook key taken meanwhile: %w", store.ErrConflict)
	}
	started, err := o.startRuns([]StartRequest{{Workflow: name, Params: params, Actor: o.actor}}, false)
	if err != nil {
		return Started{}, err
	}
	run := started[0].Run
	o.record(store.NewEvent{Kind: "run.triggered", RunID: run.ID, Reason: "started by a call of its webhook"})
	return started[0], o.Triggers().SetRun(o.ctx, t.ID, run.ID, "")
}

// webhookParams turns a webhook body's fields into run parameters: each
// must be a string, a number (kept as written) or a boolean.
func webhookParams(body map[string]any) (map[string]string, error) {
	out := make(map[string]string, len(body))
	var errs []string
	for k, v := range body {
		switch v := v.(type) {
		case string:
			out[k] = v
		case json.Number:
			out[k] = v.String()
		case bool:
			out[k] = strconv.FormatBool(v)
		default:
			errs = append(errs, k)
		}
	}
	if len(errs) > 0 {
		slices.Sort(errs)
		ve := &workflow.ValidationError{}
		for _, k := range errs {
			ve.Problems = append(ve.Problems, workflow.Problem{Path: "params." + k,
				Message: "must be a string, number or boolean"})
		}
		return nil, &InvalidError{Err: ve}
	}
	return out, nil
}

// SetWebhookToken creates or replaces the webhook token (its hash) of a
// workflow.
func (e *Engine) SetWebhookToken(ctx context.Context, name, hash, actor string) (store.WebhookToken, error) {
	var out store.WebhookToken
	err := e.inTx(ctx, actor, func(o *op) error {
		wf, err := o.Workflows().Get(o.ctx, name)
		if err != nil {
			return notFound(err, "workflow %q", name)
		}
		if err := o.Triggers().SetWebhookToken(o.ctx, wf.ID, hash, actor); err != nil {
			return err
		}
		o.record(store.NewEvent{Kind: "webhook.token_created", Reason: fmt.Sprintf(
			"webhook token of workflow %s created by %s (any earlier one stops working)", name, actor)})
		out, err = o.Triggers().WebhookOf(o.ctx, wf.ID)
		return err
	})
	if err != nil {
		return store.WebhookToken{}, fmt.Errorf("webhook token of %s: %w", name, err)
	}
	out.Workflow = name
	return out, nil
}

// DeleteWebhookToken removes a workflow's webhook token; ErrNotFound if
// it has none.
func (e *Engine) DeleteWebhookToken(ctx context.Context, name, actor string) error {
	err := e.inTx(ctx, actor, func(o *op) error {
		wf, err := o.Workflows().Get(o.ctx, name)
		if err != nil {
			return notFound(err, "workflow %q", name)
		}
		ok, err := o.Triggers().DeleteWebhookToken(o.ctx, wf.ID)
		if err != nil {
			return err
		}
		if !ok {
			return notFound(store.ErrNotFound, "webhook token of workflow %q", name)
		}
		o.record(store.NewEvent{Kind: "webhook.token_deleted", Reason: fmt.Sprintf(
			"webhook token of workflow %s deleted by %s", name, actor)})
		return nil
	})
	if err != nil {
		return fmt.Errorf("delete webhook token of %s: %w", name, err)
	}
	return nil
}
