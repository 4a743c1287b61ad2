package server

import (
	"html/template"
	"net/http"
	"strings"

	"github.com/baton-sched/baton/internal/auth"
)

var passwordPage = template.Must(template.New("password").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Change your password · Baton</title><link rel="stylesheet" href="/ui/static/style.css"></head>
<body><main class="login">
<h1>Change your password</h1>
<form method="post" action="/password">
<p><label for="username">User name</label><br>
<input id="username" name="username" autocomplete="username" required autofocus size="30"></p>
<p><label for="old_password">Current password</label><br>
<input id="old_password" name="old_password" type="password" autocomplete="current-password" required size="30"></p>
<p><label for="password">New password ({{.Min}} characters or more)</label><br>
<input id="password" name="password" type="password" autocomplete="new-password" required size="30"></p>
<p><label for="confirm">New password again</label><br>
<input id="confirm" name="confirm" type="password" autocomplete="new-password" required size="30"></p>
{{if .Error}}<p class="error" role="alert">{{.Error}}</p>{{end}}
<p><button type="submit">Change the password</button> <a href="/login">Log in</a></p>
</form></main></body></html>
`))

// registerPasswordPage serves the form where a local user changes their
// own password with the current one. Like the login form it is
// anonymous (the current password is the credential), throttled the same
// way, and guarded against other sites' pages by the Origin and Host
// checks. The change ends all the user's sessions.
func (s *Server) registerPasswordPage() {
	s.plain.handle("GET /password", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		s.renderPassword(w, http.StatusOK, "")
	}))
	s.plain.handle("POST /password", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimSpace(r.PostFormValue("username"))
		userKey, addrKey := throttleKeys(name, r)
		if d := max(s.throttle.wait(userKey, userFreeFailures), s.throttle.wait(addrKey, addrFreeFailures)); d > 0 {
			s.refuseThrottled(w, "/", d)
			return
		}
		pw := r.PostFormValue("password")
		if pw != r.PostFormValue("confirm") {
			s.renderPassword(w, http.StatusOK, "the two new passwords differ: nothing was changed")
			return
		}
		if err := auth.CheckPassword(pw); err != nil {
			s.renderPassword(w, http.StatusOK, "new "+err.Error())
			return
		}
		u, ok, err := s.verifyUser(r.Context(), name, r.PostFormValue("old_password"))
		if err != nil {
			s.log.ErrorContext(r.Context(), "password change", "err", err)
			s.renderPassword(w, http.StatusInternalServerError, "internal error; see the server log")
			return
		}
		if !ok {
			s.throttle.fail(userKey, addrKey)
			s.renderPassword(w, http.StatusOK, errLogin)
			return
		}
		hash, err := auth.HashPassword(pw)
		if err == nil {
			ctx := auth.With(r.Context(), auth.Principal{Kind: auth.KindUser, Name: u.Name, Role: auth.Role(u.Role)})
			err = s.setPassword(ctx, u.Name, hash, "password changed by the user")
		}
		if err != nil {
			s.log.ErrorContext(r.Context(), "password change", "user", u.Name, "err", err)
			s.renderPassword(w, http.StatusInternalServerError, "internal error; see the server log")
			return
		}
		s.throttle.reset(userKey)
		s.renderLoginNotice(w, "/", "password changed: log in with the new one")
	}))
}

func (s *Server) renderPassword(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	if err := passwordPage.Execute(w, struct {
		Min   int
		Error string
	}{auth.MinPasswordLen, msg}); err != nil {
		s.log.Error("render password page", "err", err)
	}
}
