package server

import (
	"context"
	"net/http"
	"strings"

	"github.com/danielgtaylor/huma/v2"

	"github.com/baton-sched/baton/client"
	"github.com/baton-sched/baton/internal/egress"
	"github.com/baton-sched/baton/internal/store"
)

type alertsOutput struct{ Body client.Alerts }

type setChannelInput struct {
	Name string `path:"name"`
	Body client.AlertChannel
}

type channelOutput struct{ Body client.AlertChannel }

type deleteChannelInput struct {
	Name string `path:"name"`
}

func (s *Server) registerAlerts(api huma.API) {
	huma.Register(api, huma.Operation{
		OperationID: "list-alerts", Method: http.MethodGet, Path: "/api/v1/alerts",
		Summary: "Alert channels and undelivered alerts", Tags: []string{"alerts"},
	}, func(ctx context.Context, _ *struct{}) (*alertsOutput, error) {
		out, err := s.listAlerts(ctx)
		if err != nil {
			return nil, s.apiError(ctx, err)
		}
		return &alertsOutput{Body: out}, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "set-alert-channel", Method: http.MethodPut, Path: "/api/v1/alerts/channels/{name}",
		Summary: "Create or replace an alert channel", Tags: []string{"alerts"},
		Description: "A webhook receiving a POST (JSON) for each event of the kinds it subscribes to, at least once, " +
			"within the servers' egress policy; credentials in the URL (password, token-like query parameters) " +
			"are never shown back. " +
			"with a stable X-Baton-Alert-Id; signed (X-Baton-Signature: sha256=HMAC) when it has a secret.",
	}, s.setChannel)

	huma.Register(api, huma.Operation{
		OperationID: "delete-alert-channel", Method: http.MethodDelete, Path: "/api/v1/alerts/channels/{name}",
		Summary: "Delete an alert channel", Tags: []string{"alerts"}, DefaultStatus: http.StatusNoContent,
	}, s.deleteChannel)
}

func toChannel(c store.AlertChannel) client.AlertChannel {
	return client.AlertChannel{Name: c.Name, URL: egress.Redact(c.URL), Events: strings.Split(c.Events, ","), HasSecret: c.Secret != ""}
}

// setChannel creates or replaces an alert channel.
func (s *Server) setChannel(ctx context.Context, in *setChannelInput) (*channelOutput, error) {
	c, err := s.engine.SetAlertChannel(ctx, store.AlertChannel{Name: in.Name, URL: in.Body.URL,
		Secret: in.Body.Secret, Events: strings.Join(in.Body.Events, ",")}, actorOf(ctx))
	if err != nil {
		return nil, s.apiError(ctx, err)
	}
	return &channelOutput{Body: toChannel(c)}, nil
}

// deleteChannel deletes an alert channel.
func (s *Server) deleteChannel(ctx context.Context, in *deleteChannelInput) (*struct{}, error) {
	if err := s.engine.DeleteAlertChannel(ctx, in.Name, actorOf(ctx)); err != nil {
		return nil, s.apiError(ctx, err)
	}
	return nil, nil
}
