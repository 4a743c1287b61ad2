package server

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/baton-sched/baton/internal/egress"
	"github.com/baton-sched/baton/internal/engine"
)

// Alert delivery timing.
const (
	alertInterval = 500 * time.Millisecond
	alertBatch    = 20
	alertLease    = 30 * time.Second
	alertTimeout  = 10 * time.Second
)

// deliverAlerts sends the alerts whose time came: every server does, each
// leasing its own. A channel accepts an alert by answering 2xx.
func (s *Server) deliverAlerts(ctx context.Context) {
	as, err := s.engine.LeaseAlerts(ctx, alertBatch, alertLease)
	if err != nil {
		if ctx.Err() == nil {
			s.log.Warn("alerts", "err", err)
		}
		return
	}
	for _, a := range as {
		failure := ""
		if err := s.sendAlert(ctx, a); err != nil {
			// What is stored and shown tells no open port from a closed
			// one; the log has the cause, never the URL (credentials).
			failure = "delivery failed: " + egress.Opaque(ctx, err).Error()
			var answered *answerError
			if errors.As(err, &answered) {
				failure = "delivery failed: " + answered.Error()
			}
			s.log.Warn("alert not delivered", "alert_id", a.AlertID, "channel", a.Channel, "kind", a.Kind,
				"attempt", a.Attempts+1, "err", egress.Detail(err))
		}
		if err := s.engine.AlertSent(ctx, a, failure); err != nil && ctx.Err() == nil {
			s.log.Warn("alerts", "err", err)
		}
	}
}

// sendAlert posts one alert, signed when its channel has a secret.
func (s *Server) sendAlert(ctx context.Context, a engine.DueAlert) error {
	ctx, cancel := context.WithTimeout(ctx, alertTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.URL, bytes.NewReader([]byte(a.Payload)))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Baton-Alert-Id", a.AlertID)
	req.Header.Set("X-Baton-Event", a.Kind)
	if a.Secret != "" {
		req.Header.Set("X-Baton-Signature", "sha256="+Sign(a.Secret, []byte(a.Payload)))
	}
	resp, err := s.alertClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode/100 != 2 {
		return &answerError{status: resp.StatusCode}
	}
	return nil
}

// answerError is a channel that answered, but not 2xx.
type answerError struct{ status int }

func (e *answerError) Error() string {
	return fmt.Sprintf("channel answered %d %s", e.status, http.StatusText(e.status))
}

// Sign is the hex HMAC-SHA256 of body with secret, as X-Baton-Signature
// carries it after "sha256=".
func Sign(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}
