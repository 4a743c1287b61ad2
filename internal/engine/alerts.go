package engine

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/baton-sched/baton/internal/egress"
	"github.com/baton-sched/baton/internal/store"
)

// Alert delivery: alerts wait in the outbox until a channel accepts them.
const (
	// alertRefresh is how often an engine rereads the channels: a change
	// made on another server applies within it.
	alertRefresh = 2 * time.Second
	// MaxAlertAttempts is how many deliveries of an alert fail before it
	// is given up (state failed, event alert.undelivered).
	MaxAlertAttempts = 20
)

// alertActor delivers alerts; its own events are never alerted.
const alertActor = "server:alerts"

// alertSubs is the channels subscribed to event kinds, as an engine last
// read them.
type alertSubs struct {
	mu     sync.Mutex
	at     time.Time
	exact  map[string][]string // kind -> channels
	prefix map[string][]string // "zone." -> channels
}

// matchAlert returns the channels subscribed to kind.
func matchAlert(exact, prefix map[string][]string, kind string) []string {
	out := slices.Clone(exact[kind]) // the cached slices are shared
	for p, chans := range prefix {
		if strings.HasPrefix(kind, p) {
			out = append(out, chans...)
		}
	}
	return out
}

// subscriptions returns the channels by kind, rereading them in the
// transaction when the copy is older than alertRefresh.
func (o *op) subscriptions() (exact, prefix map[string][]string, err error) {
	s := &o.e.alerts
	s.mu.Lock()
	defer s.mu.Unlock()
	if time.Since(s.at) < alertRefresh {
		return s.exact, s.prefix, nil
	}
	chans, err := o.Alerts().Channels(o.ctx)
	if err != nil {
		return nil, nil, err
	}
	s.exact, s.prefix = map[string][]string{}, map[string][]string{}
	for _, c := range chans {
		for _, k := range strings.Split(c.Events, ",") {
			if p, ok := strings.CutSuffix(k, "*"); ok {
				s.prefix[p] = append(s.prefix[p], c.Name)
			} else {
				s.exact[k] = append(s.exact[k], c.Name)
			}
		}
	}
	s.at = time.Now()
	return s.exact, s.prefix, nil
}

// AlertPayload is the JSON body a channel receives.
type AlertPayload struct {
	AlertID  string `json:"alert_id"`
	Channel  string `json:"channel"`
	At       int64  `json:"at_ms"`
	Kind     string `json:"kind"`
	Actor    string `json:"actor,omitempty"`
	RunID    int64  `json:"run_id,omitempty"`
	Task     string `json:"task,omitempty"`
	WorkerID string `json:"worker_id,omitempty"`
	Zone     string `json:"zone,omitempty"`
	OldState string `json:"old_state,omitempty"`
	NewState string `json:"new_state,omitempty"`
	Reason   string `json:"reason,omitempty"`
	// URL links to the run (and task) in the web UI, when the servers'
	// public_url is set.
	URL string `json:"url,omitempty"`
}

// queueAlerts writes an outbox row for every channel subscribed to each
// event of the transaction, so that the alerts commit with their events.
func (o *op) queueAlerts() error {
	if len(o.events) == 0 || o.actor == alertActor { // no alerts about alerts
		return nil
	}
	exact, prefix, err := o.subscriptions()
	if err != nil || len(exact)+len(prefix) == 0 {
		return err
	}
	var now int64
	for _, ev := range o.events {
		for _, ch := range matchAlert(exact, prefix, ev.Kind) {
			if now == 0 {
				if now, err = o.Schedules().Now(o.ctx); err != nil {
					return err
				}
			}
			p := AlertPayload{AlertID: newAlertID(), Channel: ch, At: now, Kind: ev.Kind, Actor: cmp.Or(ev.Actor, o.actor),
				RunID: ev.RunID, Task: ev.Task, WorkerID: ev.WorkerID, Zone: ev.Zone, OldState: ev.OldState,
				NewState: ev.NewState, Reason: ev.Reason, URL: o.e.runLink(ev.RunID, ev.Task)}
			body, err := json.Marshal(p)
			if err != nil {
				return err
			}
			if err := o.Alerts().Insert(o.ctx, p.AlertID, ch, ev.Kind, string(body)); err != nil {
				return fmt.Errorf("queue alert: %w", err)
			}
		}
	}
	return nil
}

// runLink is the web UI's page of a run (its task panel when task is
// set), or empty without a public URL or a run.
func (e *Engine) runLink(runID int64, task string) string {
	if e.cfg.PublicURL == "" || runID == 0 {
		return ""
	}
	link := fmt.Sprintf("%s/runs/%d", strings.TrimRight(e.cfg.PublicURL, "/"), runID)
	if task != "" {
		link += "?task=" + url.QueryEscape(task)
	}
	return link
}

// newAlertID returns a random id, stable for the alert's every delivery.
func newAlertID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

var eventPattern = regexp.MustCompile(`^(\*|[a-z_]+\.\*|[a-z_]+\.[a-z_]+)$`)

// SetAlertChannel creates or replaces a channel.
func (e *Engine) SetAlertChannel(ctx context.Context, c store.AlertChannel, actor string) (store.AlertChannel, error) {
	var errs []string
	if !validObjectName(c.Name) {
		errs = append(errs, fmt.Sprintf("name: %q: use lowercase letters, digits, _ and -", c.Name))
	}
	if u, err := url.Parse(c.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		errs = append(errs, fmt.Sprintf("url: %q is not an http:// or https:// URL", egress.Redact(c.URL)))
	}
	kinds := strings.Split(strings.ReplaceAll(c.Events, " ", ""), ",")
	for _, k := range kinds {
		if !eventPattern.MatchString(k) {
			errs = append(errs, fmt.Sprintf("events: %q is not an event kind (run.failed) or prefix (zone.*)", k))
		}
	}
	if len(errs) > 0 {
		return store.AlertChannel{}, invalid("%s", strings.Join(errs, "; "))
	}
	c.Events = strings.Join(kinds, ",")
	var out store.AlertChannel
	err := e.inTx(ctx, actor, func(o *op) (err error) {
		if out, err = o.Alerts().UpsertChannel(o.ctx, c); err != nil {
			return err
		}
		o.record(store.NewEvent{Kind: "alert_channel.set", Reason: fmt.Sprintf("channel %s: %s", c.Name, c.Events)})
		return nil
	})
	e.alerts.expire()
	if err != nil {
		return store.AlertChannel{}, fmt.Errorf("set alert channel %s: %w", c.Name, err)
	}
	return out, nil
}

// DeleteAlertChannel removes a channel; its undelivered alerts are
// dropped when their turn comes.
func (e *Engine) DeleteAlertChannel(ctx context.Context, name, actor string) error {
	err := e.inTx(ctx, actor, func(o *op) error {
		ok, err := o.Alerts().DeleteChannel(o.ctx, name)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("alert channel %s: %w", name, ErrNotFound)
		}
		o.record(store.NewEvent{Kind: "alert_channel.deleted", Reason: "channel " + name})
		return nil
	})
	e.alerts.expire()
	return err
}

func (s *alertSubs) expire() {
	s.mu.Lock()
	s.at = time.Time{}
	s.mu.Unlock()
}

// validObjectName says whether s names an alert channel or a slot:
// lowercase letters, digits, _ and -, at most 100.
func validObjectName(s string) bool {
	return len(s) > 0 && len(s) <= 100 && strings.Trim(s, "abcdefghijklmnopqrstuvwxyz0123456789_-") == ""
}
