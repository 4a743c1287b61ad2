package ui

import (
	"context"
	"slices"

	"github.com/baton-sched/baton/client"
)

// overviewAlerts is how many undelivered alerts the overview lists.
const overviewAlerts = 5

// alertSummary is the overview's part on undelivered alerts: how many
// the read returned (the API's read stops at 1000: then "at least") and
// the newest of them, newest first. Errors are as the API answers them:
// they never carry a channel's URL.
type alertSummary struct {
	Total  int
	Capped bool
	Latest []client.PendingAlert
}

// alertsLimit is the most alerts the API's read returns.
const alertsLimit = 1000

func (h *Handler) alertSummary(ctx context.Context) (alertSummary, error) {
	a, err := h.src.Alerts(ctx)
	if err != nil {
		return alertSummary{}, err
	}
	latest := slices.Clone(a.Pending[max(0, len(a.Pending)-overviewAlerts):])
	slices.Reverse(latest)
	return alertSummary{Total: len(a.Pending), Capped: len(a.Pending) >= alertsLimit, Latest: latest}, nil
}
