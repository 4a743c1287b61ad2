package server

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/baton-sched/baton/internal/auth"
	"github.com/baton-sched/baton/internal/store"
)

// A browser session is a credential of its own: a token of kind session
// in the tokens table (only the hash of its secret), bound to the
// principal it stands for (Subject "user:alice"), with a role and an
// expiry. Its secret lives only in the session cookie. Being a row in the
// database, a logout, a deleted or disabled user, a changed role or a
// revoked token ends it on every server (within tokenCacheTTL).

// startSession logs a browser in as p with role: it stores a new session
// credential that expires after sessionAge, sets the session cookie and
// redirects to next (a local path; anything else goes to /). Password
// logins, token logins and OpenID Connect call it; the principal is who
// the session's requests act as (events show p.Actor()).
func (s *Server) startSession(w http.ResponseWriter, r *http.Request, p auth.Principal, role auth.Role, next string) {
	s.startSessionUntil(w, r, p, role, next, time.Now().Add(sessionAge))
}

// startSessionUntil is startSession with the session's expiry.
func (s *Server) startSessionUntil(w http.ResponseWriter, r *http.Request, p auth.Principal, role auth.Role,
	next string, expires time.Time) {
	next = safeNext(next)
	ctx := r.Context()
	if role == auth.RoleWorker || !role.Allows(auth.Authenticated) || p.Name == "" {
		s.renderLogin(w, http.StatusForbidden, next, fmt.Sprintf("%s (role %q) may not use the web UI", p.Actor(), role))
		return
	}
	subject := p.Actor()
	secret, hash := auth.NewSecret()
	err := s.engine.Store().InTx(ctx, func(tx store.Tx) error {
		_, err := tx.Tokens().Insert(ctx, store.NewToken{Name: "session:" + subject + ":" + hash[:12],
			Kind: store.TokenSession, Hash: hash, Role: string(role), Scope: "*", ExpiresAt: expires.UnixMilli(),
			CreatedBy: subject, Subject: subject})
		if err != nil {
			return err
		}
		return tx.Events().Insert(ctx, []store.NewEvent{{Kind: "session.started", Actor: subject,
			Reason: "web UI login, role " + string(role)}})
	})
	if err != nil {
		s.log.ErrorContext(ctx, "start session", "actor", subject, "err", err)
		s.renderLogin(w, http.StatusInternalServerError, next, "internal error; see the server log")
		return
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: secret, Path: "/",
		MaxAge: max(1, int(time.Until(expires).Seconds())), HttpOnly: true, Secure: s.cfg.TLS != nil,
		SameSite: http.SameSiteStrictMode})
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// endSession revokes the session whose secret the request's cookie holds
// (logout) and clears the cookie. A cookie holding anything but a live
// session revokes nothing.
func (s *Server) endSession(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if c, err := r.Cookie(sessionCookie); err == nil && auth.WellFormed(c.Value) {
		hash := auth.Hash(c.Value)
		err := s.engine.Store().InTx(ctx, func(tx store.Tx) error {
			tok, err := tx.Tokens().ByHash(ctx, hash)
			if err != nil || tok.Kind != store.TokenSession {
				return nil // not a session: nothing to end
			}
			ok, err := tx.Tokens().RevokeSession(ctx, hash)
			if err != nil || !ok {
				return err
			}
			return tx.Events().Insert(ctx, []store.NewEvent{{Kind: "session.ended", Actor: tok.Subject,
				Reason: "logout"}})
		})
		if err != nil {
			s.log.ErrorContext(ctx, "end session", "err", err)
		}
		s.authn.flush()
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: s.cfg.TLS != nil, SameSite: http.SameSiteStrictMode})
}

// sessionPruneInterval is how often the leading server deletes ended
// sessions.
const sessionPruneInterval = 10 * time.Minute

// pruneSessions deletes the sessions that ended over an hour ago, so that
// logins do not grow the tokens table forever.
func (s *Server) pruneSessions(ctx context.Context) {
	var n int64
	err := s.engine.Store().InTx(ctx, func(tx store.Tx) error {
		var err error
		n, err = tx.Tokens().DeleteEndedSessions(ctx)
		return err
	})
	switch {
	case err != nil && ctx.Err() == nil:
		s.log.WarnContext(ctx, "delete ended sessions", "err", err)
	case n > 0:
		s.log.DebugContext(ctx, "ended sessions deleted", "count", n)
	}
}

// sessionPrincipal is the principal a session token stands for.
func sessionPrincipal(tok store.Token) auth.Principal {
	kind, name, ok := strings.Cut(tok.Subject, ":")
	if !ok {
		kind, name = string(auth.KindUser), tok.Subject
	}
	return auth.Principal{Kind: auth.Kind(kind), Name: name, Role: auth.Role(tok.Role), Scope: tok.Scope,
		TokenID: tok.ID}
}
