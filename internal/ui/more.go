package ui

// The pages added after the first ones: the audit trail and the
// administration lists. Their templates, funcs and routes are declared
// here, so that ui.go stays as it is.

import "time"

func init() {
	pageNames = append(pageNames, "events", "schedules", "slots", "alerts", "tokens", "users")
	for pattern, op := range adminRoutes {
		ActionRoutes[pattern] = op
	}
	funcs["evstate"] = eventState
	funcs["size"] = sizeText
	funcs["f64"] = func(n int64) float64 { return float64(n) }
	funcs["secs"] = func(s float64) string { return humanDuration(time.Duration(s * float64(time.Second))) }
}

func (h *Handler) routeMorePages() {
	h.mux.HandleFunc("GET /events", h.events)
	h.mux.HandleFunc("GET /schedules", h.schedules)
	h.mux.HandleFunc("GET /slots", h.slots)
	h.mux.HandleFunc("GET /alerts", h.alerts)
	h.mux.HandleFunc("GET /tokens", h.tokens)
	h.mux.HandleFunc("GET /users", h.users)
	h.routeAdminActions()
}
