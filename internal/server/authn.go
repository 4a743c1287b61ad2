package server

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/baton-sched/baton/internal/auth"
	"github.com/baton-sched/baton/internal/store"
)

// Bounds of the authenticator: a token looked up is trusted for
// tokenCacheTTL (so a revocation takes effect on every server within it),
// and its last use is written at most once per touchEvery.
const (
	tokenCacheTTL   = time.Second
	touchEvery      = time.Minute
	tokenCacheLimit = 10000
)

type cachedToken struct {
	tok store.Token
	at  time.Time
}

// authenticator turns a bearer secret into a principal. The database is
// the truth; answers are kept for tokenCacheTTL at most.
type authenticator struct {
	st  store.Store
	now func() time.Time

	// checks and spent count the credentials checked and the time
	// checking them took (AuthCost, baton_auth_seconds_total).
	checks, spent atomic.Int64

	mu      sync.Mutex
	cache   map[string]cachedToken // by hash
	touched map[int64]time.Time    // token ID -> last write of last_used_at
}

func newAuthenticator(st store.Store) *authenticator {
	return &authenticator{st: st, now: time.Now, cache: map[string]cachedToken{}, touched: map[int64]time.Time{}}
}

var (
	errNoCredential  = errors.New("authentication required: send Authorization: Bearer <token>")
	errBadCredential = errors.New("invalid token")
	errRevoked       = errors.New("token revoked")
	errExpired       = errors.New("token expired")
)

// lookup returns the token a secret proves.
func (a *authenticator) lookup(ctx context.Context, secret string) (store.Token, error) {
	if secret == "" {
		return store.Token{}, errNoCredential
	}
	if !auth.WellFormed(secret) {
		return store.Token{}, errBadCredential
	}
	hash := auth.Hash(secret)
	now := a.now()
	a.mu.Lock()
	c, ok := a.cache[hash]
	a.mu.Unlock()
	if !ok || now.Sub(c.at) >= tokenCacheTTL || now.Before(c.at) {
		var tok store.Token
		err := a.st.Read(ctx, func(tx store.Tx) error {
			var err error
			tok, err = tx.Tokens().ByHash(ctx, hash)
			return err
		})
		if errors.Is(err, store.ErrNotFound) {
			return store.Token{}, errBadCredential
		}
		if err != nil {
			return store.Token{}, err
		}
		c = cachedToken{tok: tok, at: now}
		a.mu.Lock()
		if len(a.cache) >= tokenCacheLimit {
			clear(a.cache)
		}
		a.cache[hash] = c
		a.mu.Unlock()
	}
	if !auth.Matches(secret, c.tok.Hash) { // the look-up was by hash; compare anyway, in constant time
		return store.Token{}, errBadCredential
	}
	switch {
	case c.tok.RevokedAt != 0:
		return store.Token{}, errRevoked
	case c.tok.ExpiresAt != 0 && now.UnixMilli() >= c.tok.ExpiresAt:
		return store.Token{}, errExpired
	}
	a.touch(ctx, c.tok, now)
	return c.tok, nil
}

// touch records a use of tok at most once per touchEvery per server (and
// the query itself writes at most once a minute whatever the servers).
func (a *authenticator) touch(ctx context.Context, tok store.Token, now time.Time) {
	// Workers' credentials are not touched: their workers' last_seen_at
	// says the same, without a write per worker and minute.
	if tok.Kind == store.TokenWorker || now.UnixMilli()-tok.LastUsedAt < touchEvery.Milliseconds() {
		return
	}
	a.mu.Lock()
	last, ok := a.touched[tok.ID]
	if ok && now.Sub(last) < touchEvery {
		a.mu.Unlock()
		return
	}
	if len(a.touched) >= tokenCacheLimit {
		clear(a.touched)
	}
	a.touched[tok.ID] = now
	a.mu.Unlock()
	_ = a.st.InTx(ctx, func(tx store.Tx) error { // best effort: a failed write is tried again next minute
		_, err := tx.Tokens().Touch(ctx, tok.ID)
		return err
	})
}

// flush forgets every looked-up token: this server refuses a token it
// revoked at once (the others within tokenCacheTTL).
func (a *authenticator) flush() {
	a.mu.Lock()
	defer a.mu.Unlock()
	clear(a.cache)
}

// principalOf is the identity a token proves.
func principalOf(tok store.Token) auth.Principal {
	p := auth.Principal{Kind: auth.KindToken, Name: tok.Name, Role: auth.Role(tok.Role), Scope: tok.Scope, TokenID: tok.ID}
	switch tok.Kind {
	case store.TokenWorker:
		p.Kind, p.Name, p.WorkerID = auth.KindWorker, tok.WorkerID, tok.WorkerID
	case store.TokenJoin:
		p.Join, p.Zones, p.Groups = true, splitList(tok.Zones), splitList(tok.WorkerGroups)
	case store.TokenSession:
		p = sessionPrincipal(tok)
	}
	return p
}

func splitList(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

// AuthCost returns how many credentials this server has checked and the
// time checking them took: what authentication costs, as the bench
// reports it beside TLS's (authentication has no off switch to compare
// against).
func (s *Server) AuthCost() (checks int64, spent time.Duration) {
	return s.authn.checks.Load(), time.Duration(s.authn.spent.Load())
}

// authorize authenticates the Authorization header and checks that the
// principal has need. It returns the principal, or the status (401, 403,
// 500) and the detail of the refusal. Join tokens may only register a
// worker (and ask who they are).
func (s *Server) authorize(ctx context.Context, header string, need auth.Permission, opID string) (auth.Principal, int, string) {
	if need == auth.Anonymous {
		return auth.Principal{}, 0, ""
	}
	start := time.Now()
	defer func() {
		s.authn.checks.Add(1)
		s.authn.spent.Add(int64(time.Since(start)))
	}()
	scheme, secret, _ := strings.Cut(header, " ")
	if header != "" && !strings.EqualFold(scheme, "Bearer") {
		return auth.Principal{}, http.StatusUnauthorized, "authentication required: the Authorization header must be \"Bearer <token>\""
	}
	tok, err := s.authn.lookup(ctx, strings.TrimSpace(secret))
	switch {
	case errors.Is(err, errNoCredential), errors.Is(err, errBadCredential), errors.Is(err, errRevoked),
		errors.Is(err, errExpired):
		return auth.Principal{}, http.StatusUnauthorized, err.Error()
	case err != nil:
		s.log.ErrorContext(ctx, "authenticate", "err", err)
		return auth.Principal{}, http.StatusInternalServerError, "internal error; see the server log"
	}
	p := principalOf(tok)
	if !p.Role.Allows(need) {
		return p, http.StatusForbidden, "permission denied: " + p.Actor() + " (role " + string(p.Role) +
			") lacks permission " + string(need)
	}
	if p.Join && opID != "register-worker" && need != auth.Authenticated {
		return p, http.StatusForbidden, "permission denied: " + p.Actor() + " is a join token: it may only register a worker"
	}
	if !p.Join && opID == "register-worker" {
		return p, http.StatusForbidden, "permission denied: registering a worker needs a join token (baton token create NAME --role worker)"
	}
	return p, 0, ""
}

// refuseImpersonation records a worker credential used for another worker.
func (s *Server) refuseImpersonation(ctx context.Context, p auth.Principal, workerID, opID string) {
	s.log.WarnContext(ctx, "worker credential used for another worker", "actor", p.Actor(), "worker_id", workerID,
		"operation", opID)
	err := s.engine.Store().InTx(ctx, func(tx store.Tx) error {
		return tx.Events().Insert(ctx, []store.NewEvent{{Kind: "auth.refused", Actor: p.Actor(), WorkerID: workerID,
			Reason: opID + ": a worker may act only for itself"}})
	})
	if err != nil {
		s.log.ErrorContext(ctx, "record refused call", "err", err)
	}
}

// actorOf names the authenticated principal of ctx for the audit trail.
func actorOf(ctx context.Context) string {
	if p, ok := auth.From(ctx); ok {
		return p.Actor()
	}
	return "anonymous"
}
