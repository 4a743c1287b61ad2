package ui

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"

	"github.com/baton-sched/baton/client"
	"github.com/baton-sched/baton/internal/egress"
	"github.com/baton-sched/baton/internal/engine"
	"github.com/baton-sched/baton/internal/kinds/approval"
	"github.com/baton-sched/baton/internal/kinds/wait"
	"github.com/baton-sched/baton/internal/workflow"
)

// checkpointInfo is the size of a task's last checkpoint: its decoded
// bytes (-1 when it does not decode).
type checkpointInfo struct {
	Bytes int
	Kept  bool // the task has a checkpoint
}

func checkpointOf(b64 string) checkpointInfo {
	if b64 == "" {
		return checkpointInfo{}
	}
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return checkpointInfo{Bytes: -1, Kept: true}
	}
	return checkpointInfo{Bytes: len(raw), Kept: true}
}

// sizeText says n bytes the way people read them.
func sizeText(n int) string {
	switch {
	case n < 0:
		return "not readable"
	case n < 1024:
		return fmt.Sprintf("%d B", n)
	case n < 1<<20:
		return fmt.Sprintf("%.1f KiB (%d B)", float64(n)/1024, n)
	default:
		return fmt.Sprintf("%.1f MiB (%d B)", float64(n)/(1<<20), n)
	}
}

// panelExtras adds to a task panel its checkpoint's size, its templates
// expanded for the attempt shown (secrets as placeholders; an http
// task's URL redacted as alert channels' are) and, for a sub-workflow
// task, the latest child run it started; for an approval task, its
// latest approval.
func (h *Handler) panelExtras(ctx context.Context, p *taskPanel) error {
	p.Checkpoint = checkpointOf(p.Task.Checkpoint)
	rendered, err := h.src.RenderTask(ctx, p.RunID, p.Task.Name, p.Logs.Attempt)
	if err != nil {
		return err
	}
	p.Rendered = viewOf(rendered)
	if p.Rendered.HTTP != nil {
		p.Rendered.HTTP.URL = egress.Redact(p.Rendered.HTTP.URL)
	}
	if p.Task.Group == approval.Group {
		aps, err := h.src.Approvals(ctx, p.RunID)
		if err != nil {
			return err
		}
		for _, a := range aps { // oldest first: the last one is the latest
			if a.Task == p.Task.Name {
				p.Approval = &a
			}
		}
		return nil
	}
	if p.Task.Group != workflow.SubWorkflowGroup {
		return nil
	}
	children, err := h.src.Children(ctx, p.RunID)
	if err != nil {
		return err
	}
	for _, c := range children { // oldest first: the last one is the latest
		if c.TaskID == p.Task.ID {
			p.Child = &c
		}
	}
	return nil
}

// renderedView is a task's rendering as the panel shows it: the payload
// of the kinds it knows by their form, any other as JSON.
type renderedView struct {
	engine.RenderedTask
	HTTP   *client.HTTPRequest
	SQL    *client.SQLRequest
	Params map[string]string // a sub-workflow's child parameters
	Wait   string            // a wait's condition, in words ("waiting for ...")
	Other  string            // another kind's payload, as JSON
}

func viewOf(r engine.RenderedTask) renderedView {
	v := renderedView{RenderedTask: r}
	switch p := r.Payload.(type) {
	case nil:
	case *client.HTTPRequest:
		h := *p // redacted for showing: the engine's copy stays whole
		v.HTTP = &h
	case *client.SQLRequest:
		v.SQL = p
	case map[string]string:
		v.Params = p
	case *wait.Condition:
		v.Wait = p.Describe()
	default:
		if b, err := json.MarshalIndent(p, "", "  "); err == nil {
			v.Other = string(b)
		}
	}
	return v
}
