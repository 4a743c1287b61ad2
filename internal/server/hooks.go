package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/baton-sched/baton/client"
	"github.com/baton-sched/baton/internal/auth"
	"github.com/baton-sched/baton/internal/engine"
	"github.com/baton-sched/baton/internal/store"
)

// Webhooks. POST /api/v1/hooks/{workflow} starts a run of a workflow that
// declares on: {webhook: true}. It is not authenticated by a user's token
// but by the workflow's own webhook token (an editor creates it; only its
// SHA-256 is stored, a new one replaces it). A missing or wrong token is
// 401 whether the workflow exists or not. The JSON body (at most
// webhookBodyLimit, else 413) gives the run's parameters: checked against
// the declared params before anything is stored (422 naming the field).

// webhookBodyLimit bounds a webhook call's body.
const webhookBodyLimit = 1 << 20

// webhookPath is the path of a workflow's webhook.
const webhookPath = "/api/v1/hooks/"

type webhookTokenInput struct {
	Name string `path:"name" doc:"Workflow name"`
}

type webhookTokenOutput struct{ Body client.WebhookToken }

type callWebhookInput struct {
	Workflow       string `path:"workflow" doc:"Workflow name"`
	Authorization  string `header:"Authorization" doc:"Bearer <the workflow's webhook token>"`
	IdempotencyKey string `header:"Idempotency-Key" doc:"Makes a repeated call return the first call's run"`
	RawBody        []byte
}

type callWebhookOutput struct {
	Status int
	Body   client.WebhookStarted
}

// errBadWebhookToken is every refusal of a webhook's token: missing,
// malformed, unknown, or another workflow's.
const errBadWebhookToken = "authentication required: send the workflow's webhook token as Authorization: Bearer <token>"

func (s *Server) registerWebhooks(api huma.API) {
	huma.Register(api, huma.Operation{
		OperationID: "create-webhook-token", Method: http.MethodPost, Path: "/api/v1/workflows/{name}/webhook-token",
		Summary: "Create or replace a workflow's webhook token", Tags: []string{"workflows"},
		Description: "The token authenticates POST " + webhookPath + "{workflow} for this workflow only. It is " +
			"shown once; a new one replaces the old at once (rotation).",
	}, func(ctx context.Context, in *webhookTokenInput) (*webhookTokenOutput, error) {
		secret, hash := auth.NewSecret()
		wt, err := s.engine.SetWebhookToken(ctx, in.Name, hash, actorOf(ctx))
		if err != nil {
			return nil, s.apiError(ctx, err)
		}
		return &webhookTokenOutput{Body: client.WebhookToken{Workflow: in.Name, Token: secret,
			Path: webhookPath + in.Name, CreatedBy: wt.CreatedBy, CreatedAt: time.UnixMilli(wt.CreatedAt).UTC()}}, nil
	})
	huma.Register(api, huma.Operation{
		OperationID: "delete-webhook-token", Method: http.MethodDelete, Path: "/api/v1/workflows/{name}/webhook-token",
		Summary: "Delete a workflow's webhook token", Tags: []string{"workflows"}, DefaultStatus: http.StatusNoContent,
		Description: "Its webhook answers 401 until a new token is created.",
	}, func(ctx context.Context, in *webhookTokenInput) (*struct{}, error) {
		if err := s.engine.DeleteWebhookToken(ctx, in.Name, actorOf(ctx)); err != nil {
			return nil, s.apiError(ctx, err)
		}
		return nil, nil
	})
	huma.Register(api, huma.Operation{
		OperationID: "call-webhook", Method: http.MethodPost, Path: webhookPath + "{workflow}",
		Summary: "Start a run of a workflow by its webhook", Tags: []string{"runs"},
		DefaultStatus: http.StatusAccepted,
		Description: "Authenticated by the workflow's webhook token (not a user's): 401 if it is missing or " +
			"wrong, whether the workflow exists or not. The JSON object body (at most 1 MiB) gives the run's " +
			"params: strings, numbers or booleans, declared ones only, every required one; else 422 naming the " +
			"field and nothing is started. 202 with the run's ID.",
	}, func(ctx context.Context, in *callWebhookInput) (*callWebhookOutput, error) {
		return s.callWebhook(ctx, in)
	})
}

func (s *Server) callWebhook(ctx context.Context, in *callWebhookInput) (*callWebhookOutput, error) {
	scheme, secret, _ := strings.Cut(in.Authorization, " ")
	secret = strings.TrimSpace(secret)
	if !strings.EqualFold(scheme, "Bearer") || !auth.WellFormed(secret) {
		return nil, huma.Error401Unauthorized(errBadWebhookToken)
	}
	var wt store.WebhookToken
	err := s.engine.Store().Read(ctx, func(tx store.Tx) (err error) {
		wt, err = tx.Triggers().WebhookByHash(ctx, auth.Hash(secret))
		return err
	})
	switch {
	case errors.Is(err, store.ErrNotFound) || (err == nil && wt.Workflow != in.Workflow):
		s.log.InfoContext(ctx, "webhook token refused", "workflow", in.Workflow)
		return nil, huma.Error401Unauthorized(errBadWebhookToken)
	case err != nil:
		return nil, s.apiError(ctx, err)
	}
	if err := checkIdempotencyKey(in.IdempotencyKey); err != nil {
		return nil, err
	}
	params, err := webhookBody(in.RawBody)
	if err != nil {
		return nil, huma.Error422UnprocessableEntity("invalid request: nothing was started", err)
	}
	started, err := s.engine.StartWebhook(ctx, engine.WebhookRequest{Workflow: in.Workflow, Params: params,
		IdempotencyKey: in.IdempotencyKey, Actor: "webhook:" + in.Workflow})
	if errors.Is(err, engine.ErrWebhookOff) {
		return nil, huma.Error403Forbidden(err.Error())
	}
	if err != nil {
		return nil, s.apiError(ctx, err)
	}
	return &callWebhookOutput{Status: http.StatusAccepted, Body: client.WebhookStarted{Workflow: in.Workflow,
		RunID: started.Run.ID, Created: started.Created}}, nil
}

// webhookBody reads a webhook's body: empty, or one JSON object.
func webhookBody(raw []byte) (map[string]any, error) {
	if len(bytes.TrimSpace(raw)) == 0 {
		return map[string]any{}, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var body map[string]any
	if err := dec.Decode(&body); err != nil {
		return nil, fmt.Errorf("body: want a JSON object of params: %w", err)
	}
	if body == nil {
		return nil, errors.New("body: want a JSON object of params, got null")
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("body: want one JSON object, found more after it")
	}
	return body, nil
}
