package server

import (
	"context"
	"fmt"

	"github.com/baton-sched/baton/client"
	"github.com/baton-sched/baton/internal/store"
)

// The reads of the administration lists, shared by the API and the UI.

// listAlerts returns the alert channels (URLs redacted, secrets never)
// and up to 1000 undelivered alerts.
func (s *Server) listAlerts(ctx context.Context) (client.Alerts, error) {
	chans, pending, err := s.engine.Alerts(ctx, 1000)
	if err != nil {
		return client.Alerts{}, err
	}
	out := client.Alerts{Channels: []client.AlertChannel{}, Pending: []client.PendingAlert{}}
	for _, c := range chans {
		out.Channels = append(out.Channels, toChannel(c))
	}
	for _, a := range pending {
		out.Pending = append(out.Pending, client.PendingAlert{AlertID: a.AlertID, Channel: a.Channel, Kind: a.Kind,
			State: a.State, Attempts: a.Attempts, NextAt: ms(a.NextAt), LastError: a.LastError,
			CreatedAt: ms(a.CreatedAt)})
	}
	return out, nil
}

// listSlots returns the slots with their running and queued tasks.
func (s *Server) listSlots(ctx context.Context) ([]client.Slot, error) {
	slots, err := s.engine.Slots(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]client.Slot, len(slots))
	for i, sl := range slots {
		out[i] = client.Slot{Name: sl.Name, Size: sl.Size, Description: sl.Description, Running: sl.Running,
			Queued: sl.Queued, UpdatedAt: ms(sl.UpdatedAt)}
	}
	return out, nil
}

// listTokens returns the API and join tokens, never their secrets.
func (s *Server) listTokens(ctx context.Context) ([]client.Token, error) {
	var toks []store.Token
	err := s.engine.Store().Read(ctx, func(tx store.Tx) error {
		var err error
		toks, err = tx.Tokens().List(ctx)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	out := make([]client.Token, len(toks))
	for i, t := range toks {
		out[i] = toToken(t)
	}
	return out, nil
}
