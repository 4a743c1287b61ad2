package engine

import (
	"context"
	"fmt"
	"time"

	"github.com/baton-sched/baton/internal/store"
)

// DueAlert is an alert to deliver now, with where to.
type DueAlert struct {
	store.Alert
	URL    string
	Secret string
}

// LeaseAlerts takes up to limit alerts whose time came, for lease: no
// other server takes them meanwhile, and if this one dies before saying
// how they went, they are delivered again after it (at least once).
// Alerts of a deleted channel are dropped.
func (e *Engine) LeaseAlerts(ctx context.Context, limit int, lease time.Duration) ([]DueAlert, error) {
	var out []DueAlert
	err := e.inTx(ctx, alertActor, func(o *op) error {
		out = out[:0]
		as, err := o.Alerts().Lease(o.ctx, int64(limit), lease.Milliseconds())
		if err != nil || len(as) == 0 {
			return err
		}
		chans, err := o.Alerts().Channels(o.ctx)
		if err != nil {
			return err
		}
		byName := map[string]store.AlertChannel{}
		for _, c := range chans {
			byName[c.Name] = c
		}
		for _, a := range as {
			c, ok := byName[a.Channel]
			if !ok {
				if err := o.Alerts().Delete(o.ctx, a.ID); err != nil {
					return err
				}
				continue
			}
			out = append(out, DueAlert{Alert: a, URL: c.URL, Secret: c.Secret})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("lease alerts: %w", err)
	}
	return out, nil
}

// AlertSent records a delivery: done when failure is "", else the alert
// is tried again after a back-off (1 s doubling to 5 min), and given up
// after MaxAlertAttempts with an alert.undelivered event.
func (e *Engine) AlertSent(ctx context.Context, a DueAlert, failure string) error {
	err := e.inTx(ctx, alertActor, func(o *op) error {
		if failure == "" {
			return o.Alerts().Delete(o.ctx, a.ID)
		}
		if a.Attempts+1 >= MaxAlertAttempts {
			o.record(store.NewEvent{Kind: "alert.undelivered", Reason: fmt.Sprintf(
				"alert %s (%s) to channel %s given up after %d attempts: %s", a.AlertID, a.Kind, a.Channel,
				a.Attempts+1, failure)})
			return o.Alerts().Retry(o.ctx, a.ID, "failed", failure, 0)
		}
		delay := min(time.Second<<min(a.Attempts, 10), 5*time.Minute)
		return o.Alerts().Retry(o.ctx, a.ID, "pending", failure, delay.Milliseconds())
	})
	if err != nil {
		return fmt.Errorf("record alert %s: %w", a.AlertID, err)
	}
	return nil
}

// Alerts returns the channels and up to limit undelivered alerts.
func (e *Engine) Alerts(ctx context.Context, limit int) ([]store.AlertChannel, []store.Alert, error) {
	var chans []store.AlertChannel
	var as []store.Alert
	err := e.store.Read(ctx, func(tx store.Tx) (err error) {
		if chans, err = tx.Alerts().Channels(ctx); err != nil {
			return err
		}
		as, err = tx.Alerts().List(ctx, int64(limit))
		return err
	})
	return chans, as, err
}
