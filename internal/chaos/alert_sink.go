package chaos

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/baton-sched/baton/internal/engine"
)

// Alert is one alert a channel received: the JSON body Baton posts.
type Alert = engine.AlertPayload

// AlertSink is a webhook on loopback that records every alert posted to
// it, once per alert ID (deliveries are at least once).
type AlertSink struct {
	srv *http.Server
	url string

	mu     sync.Mutex
	alerts map[string]Alert
}

// StartAlertSink starts a webhook on a free loopback port.
func StartAlertSink(log *slog.Logger) (*AlertSink, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("alert sink: %w", err)
	}
	s := &AlertSink{url: "http://" + ln.Addr().String() + "/alerts", alerts: map[string]Alert{}}
	s.srv = &http.Server{Handler: http.HandlerFunc(s.receive), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("alert sink stopped", "err", err)
		}
	}()
	return s, nil
}

// URL is where channels post.
func (s *AlertSink) URL() string { return s.url }

func (s *AlertSink) receive(w http.ResponseWriter, r *http.Request) {
	var a Alert
	if err := json.NewDecoder(r.Body).Decode(&a); err != nil || a.AlertID == "" {
		http.Error(w, "want an alert", http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	s.alerts[a.AlertID] = a
	s.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

// Alerts returns the alerts received, oldest first.
func (s *AlertSink) Alerts() []Alert {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Alert
	for _, a := range s.alerts {
		out = append(out, a)
	}
	slices.SortFunc(out, func(a, b Alert) int { return cmp.Compare(a.At, b.At) })
	return out
}

// Close stops the webhook.
func (s *AlertSink) Close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = s.srv.Shutdown(ctx)
}
