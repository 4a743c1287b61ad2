package ui

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/baton-sched/baton/client"
)

// AdminActions are the administration lists' changes. The server's
// Actions implement them too, with the functions of the API operations;
// errors are *ActionError.
type AdminActions interface {
	SetSlot(ctx context.Context, name string, size int64, description string) error
	DeleteSlot(ctx context.Context, name string) error
	// CreateToken makes a token; its secret is in the answer only.
	CreateToken(ctx context.Context, t client.NewToken) (client.CreatedToken, error)
	RevokeToken(ctx context.Context, name string) error
	DeleteAlertChannel(ctx context.Context, name string) error
	// SetAlertChannel creates or replaces an alert channel (c.URL,
	// c.Events, c.Secret); the answer's URL is redacted.
	SetAlertChannel(ctx context.Context, name string, c client.AlertChannel) (client.AlertChannel, error)
	CreateUser(ctx context.Context, u client.NewUser) error
	DeleteUser(ctx context.Context, name string) error
	// SetUserDisabled disables or enables a user.
	SetUserDisabled(ctx context.Context, name string, disabled bool) error
}

// adminRoutes are the administration forms by mux pattern, each with the
// API operation it stands for (added to ActionRoutes, so the server
// mounts each with that operation's permission).
var adminRoutes = map[string]string{
	"POST /slots":                         "set-slot",
	"POST /slots/{name}/delete":           "delete-slot",
	"POST /tokens":                        "create-token",
	"POST /tokens/{name}/revoke":          "revoke-token",
	"POST /alerts/channels/{name}/delete": "delete-alert-channel",
	"POST /alerts/channels":               "set-alert-channel",
	"POST /users":                         "create-user",
	"POST /users/{name}/delete":           "delete-user",
	"POST /users/{name}/disable":          "update-user",
	"POST /users/{name}/enable":           "update-user",
}

// maxSlotSize is the API's bound on a slot's size.
const maxSlotSize = 1_000_000

// routeAdminActions mounts the administration forms when the Actions
// can make them.
func (h *Handler) routeAdminActions() {
	a, ok := h.opts.Actions.(AdminActions)
	if !ok {
		return
	}
	handlers := map[string]http.HandlerFunc{
		"POST /slots": func(w http.ResponseWriter, r *http.Request) {
			name := strings.TrimSpace(r.PostFormValue("name"))
			size, err := strconv.ParseInt(strings.TrimSpace(r.PostFormValue("size")), 10, 64)
			if err != nil || size < 0 || size > maxSlotSize {
				h.done(w, r, "/slots", "", &ActionError{Status: http.StatusUnprocessableEntity,
					Detail: fmt.Sprintf("size: want a whole number from 0 to %d, not %q", maxSlotSize, r.PostFormValue("size"))})
				return
			}
			err = a.SetSlot(r.Context(), name, size, r.PostFormValue("description"))
			h.done(w, r, "/slots", fmt.Sprintf("Slot %s: size %d.", name, size), err)
		},
		"POST /slots/{name}/delete": func(w http.ResponseWriter, r *http.Request) {
			name := r.PathValue("name")
			h.done(w, r, "/slots", "Slot "+name+" deleted.", a.DeleteSlot(r.Context(), name))
		},
		"POST /tokens": func(w http.ResponseWriter, r *http.Request) { h.createToken(w, r, a) },
		"POST /tokens/{name}/revoke": func(w http.ResponseWriter, r *http.Request) {
			name := r.PathValue("name")
			h.done(w, r, "/tokens", "Token "+name+" revoked.", a.RevokeToken(r.Context(), name))
		},
		"POST /alerts/channels/{name}/delete": func(w http.ResponseWriter, r *http.Request) {
			name := r.PathValue("name")
			h.done(w, r, "/alerts", "Alert channel "+name+" deleted.", a.DeleteAlertChannel(r.Context(), name))
		},
		"POST /alerts/channels": func(w http.ResponseWriter, r *http.Request) { h.setChannel(w, r, a) },
		"POST /users": func(w http.ResponseWriter, r *http.Request) {
			u := client.NewUser{Name: strings.TrimSpace(r.PostFormValue("name")), Role: r.PostFormValue("role"),
				Password: r.PostFormValue("password")}
			h.done(w, r, "/users", "User "+u.Name+" created.", a.CreateUser(r.Context(), u))
		},
		"POST /users/{name}/delete": func(w http.ResponseWriter, r *http.Request) {
			name := r.PathValue("name")
			h.done(w, r, "/users", "User "+name+" deleted.", a.DeleteUser(r.Context(), name))
		},
		"POST /users/{name}/disable": h.setUserDisabled(a, true),
		"POST /users/{name}/enable":  h.setUserDisabled(a, false),
	}
	for pattern, hf := range handlers {
		h.mux.HandleFunc(pattern, hf)
	}
}

// createToken makes a token and answers the tokens page with its secret,
// shown this once (never stored, never in a redirect or a cookie).
func (h *Handler) createToken(w http.ResponseWriter, r *http.Request, a AdminActions) {
	nt := client.NewToken{Name: strings.TrimSpace(r.PostFormValue("name")), Role: r.PostFormValue("role"),
		Zones: splitList(r.PostFormValue("zones")), Groups: splitList(r.PostFormValue("groups"))}
	if e := strings.TrimSpace(r.PostFormValue("expires")); e != "" {
		d, err := time.ParseDuration(e)
		if err != nil || d <= 0 {
			h.done(w, r, "/tokens", "", &ActionError{Status: http.StatusUnprocessableEntity,
				Detail: fmt.Sprintf("expires: want a duration such as 720h, not %q", e)})
			return
		}
		nt.Expires = d
	}
	created, err := a.CreateToken(r.Context(), nt)
	if err != nil {
		h.done(w, r, "/tokens", "", err)
		return
	}
	ts, err := h.src.Tokens(r.Context())
	if err != nil {
		h.readErr(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	from, to, prev, next := pageOf(r, "/tokens", len(ts))
	h.render(w, r, http.StatusOK, "tokens", page{Title: "Tokens", Nav: "tokens", Data: map[string]any{
		"Tokens": ts[from:to], "Total": len(ts), "Prev": prev, "Next": next, "Created": created,
		"Roles": tokenRoles,
	}})
}

// tokenRoles are the roles a token may have.
var tokenRoles = []string{"viewer", "operator", "editor", "admin", "worker"}

// splitList reads "a, b" as [a b].
func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

func (h *Handler) setUserDisabled(a AdminActions, disabled bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		name := r.PathValue("name")
		verb := "enabled"
		if disabled {
			verb = "disabled"
		}
		h.done(w, r, "/users", "User "+name+" "+verb+".", a.SetUserDisabled(r.Context(), name, disabled))
	}
}
