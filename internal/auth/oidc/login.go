package oidc

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/baton-sched/baton/internal/auth"
)

// Errors of Finish, for the caller to choose the answer.
var (
	// ErrState: the callback's state is not the one this browser was
	// given (a forged or replayed callback, or the login took too long).
	ErrState = errors.New("login state does not match: start the login again")
	// ErrToken: the code could not be exchanged or the ID token is not
	// valid (signature, issuer, audience, expiry, nonce).
	ErrToken = errors.New("the identity provider's answer is not valid")
	// ErrIssuer: the issuer could not be reached or described itself
	// wrongly.
	ErrIssuer = errors.New("the identity provider cannot be reached")
)

// Login runs the code flow against one issuer. Its discovery document is
// fetched at the first login (and again after a failure), so a server
// starts while the issuer is down.
type Login struct {
	cfg    Config
	client *http.Client
	now    func() time.Time

	mu       sync.Mutex
	provider *gooidc.Provider
	verifier *gooidc.IDTokenVerifier // keeps the issuer's keys, fetched again for an unknown key ID
}

// New returns the login of cfg (validated; ClientSecretFile already read
// into ClientSecret by the caller). client talks to the issuer (nil: a
// client with a 10 s timeout).
func New(cfg Config, client *http.Client) (*Login, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if !cfg.Enabled() {
		return nil, errors.New("config: oidc.issuer: required")
	}
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	return &Login{cfg: cfg.WithDefaults(), client: client, now: time.Now}, nil
}

// Flow is what a browser keeps between the start of a login and the
// callback (in an HttpOnly cookie): the state, the nonce, the PKCE
// verifier, and where to go afterwards.
type Flow struct {
	State, Nonce, Verifier, Next string
}

// Encode is the flow as a cookie value.
func (f Flow) Encode() string {
	return strings.Join([]string{f.State, f.Nonce, f.Verifier,
		base64.RawURLEncoding.EncodeToString([]byte(f.Next))}, ".")
}

// DecodeFlow reads a cookie value Encode wrote.
func DecodeFlow(s string) (Flow, bool) {
	parts := strings.Split(s, ".")
	if len(parts) != 4 || parts[0] == "" || parts[1] == "" || parts[2] == "" {
		return Flow{}, false
	}
	next, err := base64.RawURLEncoding.DecodeString(parts[3])
	if err != nil {
		return Flow{}, false
	}
	return Flow{State: parts[0], Nonce: parts[1], Verifier: parts[2], Next: string(next)}, true
}

func random() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return base64.RawURLEncoding.EncodeToString(b)
}

func (l *Login) ctx(ctx context.Context) context.Context {
	return gooidc.ClientContext(ctx, l.client)
}

// discover returns the issuer's provider, fetching its discovery
// document once it answers.
func (l *Login) discover(ctx context.Context) (*gooidc.Provider, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.provider != nil {
		return l.provider, nil
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	p, err := gooidc.NewProvider(l.ctx(ctx), l.cfg.Issuer)
	if err != nil {
		return nil, fmt.Errorf("%w: discovery of %s: %w", ErrIssuer, l.cfg.Issuer, err)
	}
	l.provider = p
	l.verifier = p.Verifier(&gooidc.Config{ClientID: l.cfg.ClientID, Now: func() time.Time { return l.now() }})
	return p, nil
}

func (l *Login) oauth(p *gooidc.Provider) *oauth2.Config {
	return &oauth2.Config{ClientID: l.cfg.ClientID, ClientSecret: l.cfg.ClientSecret, Endpoint: p.Endpoint(),
		RedirectURL: l.cfg.RedirectURL, Scopes: l.cfg.Scopes}
}

// Start begins a login that returns to next: the URL to send the browser
// to, and the flow it must keep until the callback.
func (l *Login) Start(ctx context.Context, next string) (string, Flow, error) {
	p, err := l.discover(ctx)
	if err != nil {
		return "", Flow{}, err
	}
	f := Flow{State: random(), Nonce: random(), Verifier: oauth2.GenerateVerifier(), Next: next}
	u := l.oauth(p).AuthCodeURL(f.State, gooidc.Nonce(f.Nonce), oauth2.S256ChallengeOption(f.Verifier))
	return u, f, nil
}

// Identity is who logged in.
type Identity struct {
	// Username is the username claim's value.
	Username string
	// Role is the role the role claim maps to.
	Role auth.Role
	// Subject is the issuer's identifier of the person ("sub").
	Subject string
}

// Finish completes the login of flow f with the callback's state and
// code: the code is exchanged (with the PKCE verifier), the ID token
// verified against the issuer's keys, its nonce compared, and the
// claims mapped. Errors wrap ErrState, ErrToken, ErrIssuer or ErrNoRole.
func (l *Login) Finish(ctx context.Context, f Flow, state, code string) (Identity, error) {
	if f.State == "" || subtle.ConstantTimeCompare([]byte(f.State), []byte(state)) != 1 {
		return Identity{}, ErrState
	}
	if code == "" {
		return Identity{}, fmt.Errorf("%w: the callback has no code", ErrToken)
	}
	p, err := l.discover(ctx)
	if err != nil {
		return Identity{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	tok, err := l.oauth(p).Exchange(l.ctx(ctx), code, oauth2.VerifierOption(f.Verifier))
	if err != nil {
		return Identity{}, fmt.Errorf("%w: code exchange: %w", ErrToken, err)
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return Identity{}, fmt.Errorf("%w: the token answer has no id_token", ErrToken)
	}
	l.mu.Lock()
	v := l.verifier
	l.mu.Unlock()
	idt, err := v.Verify(ctx, raw)
	if err != nil {
		return Identity{}, fmt.Errorf("%w: %w", ErrToken, err)
	}
	if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(f.Nonce)) != 1 {
		return Identity{}, fmt.Errorf("%w: nonce does not match", ErrToken)
	}
	var claims map[string]any
	if err := idt.Claims(&claims); err != nil {
		return Identity{}, fmt.Errorf("%w: claims: %w", ErrToken, err)
	}
	name, err := l.cfg.usernameOf(claims)
	if err != nil {
		return Identity{}, fmt.Errorf("%w: %w", ErrToken, err)
	}
	role, err := l.cfg.roleOf(claims)
	if err != nil {
		return Identity{Username: name, Subject: idt.Subject}, err
	}
	return Identity{Username: name, Role: role, Subject: idt.Subject}, nil
}
