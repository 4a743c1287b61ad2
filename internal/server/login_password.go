package server

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/baton-sched/baton/internal/auth"
	"github.com/baton-sched/baton/internal/store"
)

// errLogin is the one answer to a wrong user name or a wrong password, so
// that the login form does not tell which user names exist.
const errLogin = "wrong user name or password"

// passwordLogin logs a browser in as a local user: throttled per user name
// and per client address (throttle.go), then the password checked
// against the user's hash. A user that does not exist costs a hash too,
// so both failures take about the same time.
func (s *Server) passwordLogin(w http.ResponseWriter, r *http.Request, name, password, next string) {
	userKey, addrKey := throttleKeys(name, r)
	if d := max(s.throttle.wait(userKey, userFreeFailures), s.throttle.wait(addrKey, addrFreeFailures)); d > 0 {
		s.refuseThrottled(w, next, d)
		return
	}
	u, ok, err := s.verifyUser(r.Context(), name, password)
	if err != nil {
		s.log.ErrorContext(r.Context(), "password login", "err", err)
		s.renderLogin(w, http.StatusInternalServerError, next, "internal error; see the server log")
		return
	}
	if !ok {
		s.throttle.fail(userKey, addrKey)
		// The name only if it is a user's: a mistyped one may be a password.
		s.log.InfoContext(r.Context(), "login refused", "user", cmp.Or(u.Name, "(no such user)"), "addr", clientAddr(r))
		s.renderLogin(w, http.StatusOK, next, errLogin)
		return
	}
	s.throttle.reset(userKey)
	s.startSession(w, r, auth.Principal{Kind: auth.KindUser, Name: u.Name, Role: auth.Role(u.Role), Scope: "*"},
		auth.Role(u.Role), next)
}

// refuseThrottled answers 429 with Retry-After and the login form.
func (s *Server) refuseThrottled(w http.ResponseWriter, next string, d time.Duration) {
	secs := int(math.Ceil(d.Seconds()))
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	s.renderLogin(w, http.StatusTooManyRequests, next,
		fmt.Sprintf("too many failed logins for this user or address: try again in %d s", secs))
}

// verifyUser checks a user's password; false for an unknown or disabled
// user or a wrong password, after the same work in each case. The user
// is returned when it exists, matched or not.
func (s *Server) verifyUser(ctx context.Context, name, password string) (store.User, bool, error) {
	var u store.User
	err := s.engine.Store().Read(ctx, func(tx store.Tx) error {
		var err error
		u, err = tx.Users().ByName(ctx, name)
		return err
	})
	if errors.Is(err, store.ErrNotFound) {
		auth.VerifyNoUser(password)
		return store.User{}, false, nil
	}
	if err != nil {
		return store.User{}, false, fmt.Errorf("look up user %s: %w", name, err)
	}
	ok, err := auth.VerifyPassword(password, u.PasswordHash)
	if err != nil {
		s.log.ErrorContext(ctx, "stored password hash unreadable", "user", name, "err", err)
		return u, false, nil
	}
	return u, ok && u.DisabledAt == 0, nil
}

// throttleKeys are the throttle's keys of a login: the user name (cut
// to the longest a name may be, so that garbage cannot grow the map's
// keys) and the client's address.
func throttleKeys(name string, r *http.Request) (user, addr string) {
	if len(name) > 65 {
		name = name[:65]
	}
	return "user:" + name, "addr:" + clientAddr(r)
}

// checkOldPassword checks a user's current password before a change,
// throttled as a login is.
func (s *Server) checkOldPassword(ctx context.Context, name, password string) error {
	key := "user:" + name
	if d := s.throttle.wait(key, userFreeFailures); d > 0 {
		return huma.NewError(http.StatusTooManyRequests,
			fmt.Sprintf("too many failed attempts for user %s: try again in %d s", name, int(math.Ceil(d.Seconds()))))
	}
	_, ok, err := s.verifyUser(ctx, name, password)
	if err != nil {
		return s.apiError(ctx, err)
	}
	if !ok {
		s.throttle.fail(key)
		return huma.Error403Forbidden("permission denied: body.old_password is not the current password")
	}
	return nil
}

// clientAddr is the address a request comes from (the proxy's, behind
// one).
func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
