// Package oidctest runs a real OpenID Connect issuer inside a test: the
// discovery document, a JWKS, an authorization endpoint that approves a
// preset person at once, and a token endpoint that checks the client,
// the code and its PKCE verifier and returns an RS256-signed ID token.
// Knobs change the claims or the signed token, to test refusals.
package oidctest

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"html/template"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// The client the issuer knows.
const (
	ClientID     = "baton"
	ClientSecret = "oidctest-client-secret"
)

// Issuer is a running test issuer.
type Issuer struct {
	// URL is the issuer URL (the iss claim).
	URL string

	srv *httptest.Server
	key *rsa.PrivateKey
	kid string

	mu      sync.Mutex
	user    map[string]any
	codes   map[string]grant
	mutate  func(claims map[string]any)
	tamper  func(idToken string) string
	tokens  int
	consent bool
}

type grant struct {
	clientID, redirect, nonce, challenge string
	user                                 map[string]any
}

// New starts an issuer, stopped when t ends. The preset person is
// sub "alice-1", preferred_username "alice", email alice@example.com
// (verified), groups ["baton-viewers"].
func New(t testing.TB) *Issuer {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	i := &Issuer{key: key, kid: "k1", codes: map[string]grant{}}
	i.SetUser(map[string]any{"sub": "alice-1", "preferred_username": "alice", "email": "alice@example.com",
		"email_verified": true, "groups": []string{"baton-viewers"}})
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", i.discovery)
	mux.HandleFunc("GET /jwks", i.jwks)
	mux.HandleFunc("GET /authorize", i.authorize)
	mux.HandleFunc("POST /token", i.token)
	i.srv = httptest.NewServer(mux)
	i.URL = i.srv.URL
	t.Cleanup(i.srv.Close)
	return i
}

// SetUser sets the claims of the person the issuer approves next (sub and
// any others; iss, aud, exp, iat and nonce are the issuer's).
func (i *Issuer) SetUser(claims map[string]any) {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.user = maps.Clone(claims)
}

// Mutate changes the claims of every ID token issued from now on, just
// before it is signed (nil: none).
func (i *Issuer) Mutate(f func(claims map[string]any)) {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.mutate = f
}

// Tamper changes every signed ID token issued from now on (nil: none).
func (i *Issuer) Tamper(f func(idToken string) string) {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.tamper = f
}

// Consent makes the authorization endpoint answer a page with an
// "Approve" link (id approve) to follow, as a person would at a real
// issuer, instead of redirecting at once: the way back then starts on the
// issuer's site.
func (i *Issuer) Consent(on bool) {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.consent = on
}

// Tokens counts the codes exchanged for tokens.
func (i *Issuer) Tokens() int {
	i.mu.Lock()
	defer i.mu.Unlock()
	return i.tokens
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func oauthError(w http.ResponseWriter, status int, code, desc string) {
	writeJSON(w, status, map[string]string{"error": code, "error_description": desc})
}

func (i *Issuer) discovery(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{
		"issuer": i.URL, "authorization_endpoint": i.URL + "/authorize", "token_endpoint": i.URL + "/token",
		"jwks_uri": i.URL + "/jwks", "response_types_supported": []string{"code"},
		"subject_types_supported": []string{"public"}, "id_token_signing_alg_values_supported": []string{"RS256"},
		"code_challenge_methods_supported": []string{"S256"}, "scopes_supported": []string{"openid", "email", "profile"},
		"token_endpoint_auth_methods_supported": []string{"client_secret_basic", "client_secret_post"},
	})
}

func (i *Issuer) jwks(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, jose.JSONWebKeySet{Keys: []jose.JSONWebKey{
		{Key: &i.key.PublicKey, KeyID: i.kid, Algorithm: string(jose.RS256), Use: "sig"}}})
}

// authorize approves the preset person at once and sends the browser back
// with a one-time code.
func (i *Issuer) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	switch {
	case q.Get("response_type") != "code":
		http.Error(w, "response_type must be code", http.StatusBadRequest)
		return
	case q.Get("client_id") != ClientID:
		http.Error(w, "unknown client_id", http.StatusBadRequest)
		return
	case q.Get("redirect_uri") == "":
		http.Error(w, "redirect_uri required", http.StatusBadRequest)
		return
	case q.Get("code_challenge") == "" || q.Get("code_challenge_method") != "S256":
		http.Error(w, "PKCE with S256 required", http.StatusBadRequest)
		return
	}
	back, err := url.Parse(q.Get("redirect_uri"))
	if err != nil {
		http.Error(w, "bad redirect_uri", http.StatusBadRequest)
		return
	}
	code := rand.Text()
	i.mu.Lock()
	i.codes[code] = grant{clientID: ClientID, redirect: q.Get("redirect_uri"), nonce: q.Get("nonce"),
		challenge: q.Get("code_challenge"), user: maps.Clone(i.user)}
	consent := i.consent
	i.mu.Unlock()
	v := back.Query()
	v.Set("code", code)
	v.Set("state", q.Get("state"))
	back.RawQuery = v.Encode()
	if consent {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_ = consentPage.Execute(w, back.String())
		return
	}
	http.Redirect(w, r, back.String(), http.StatusSeeOther)
}

var consentPage = template.Must(template.New("consent").Parse(
	`<!doctype html><title>Test issuer</title><p>Log in to Baton? <a id="approve" href="{{.}}">Approve</a></p>`))

// token exchanges a code: the client's secret (basic or in the form), the
// code (once), its redirect_uri and the PKCE verifier are checked.
func (i *Issuer) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		oauthError(w, http.StatusBadRequest, "invalid_request", err.Error())
		return
	}
	id, secret, ok := r.BasicAuth()
	if !ok {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	if id != ClientID || subtle.ConstantTimeCompare([]byte(secret), []byte(ClientSecret)) != 1 {
		oauthError(w, http.StatusUnauthorized, "invalid_client", "bad client credentials")
		return
	}
	if r.PostForm.Get("grant_type") != "authorization_code" {
		oauthError(w, http.StatusBadRequest, "unsupported_grant_type", "")
		return
	}
	i.mu.Lock()
	g, ok := i.codes[r.PostForm.Get("code")]
	delete(i.codes, r.PostForm.Get("code"))
	mutate, tamper := i.mutate, i.tamper
	i.mu.Unlock()
	sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
	switch {
	case !ok:
		oauthError(w, http.StatusBadRequest, "invalid_grant", "unknown or used code")
		return
	case g.redirect != r.PostForm.Get("redirect_uri"):
		oauthError(w, http.StatusBadRequest, "invalid_grant", "redirect_uri differs")
		return
	case base64.RawURLEncoding.EncodeToString(sum[:]) != g.challenge:
		oauthError(w, http.StatusBadRequest, "invalid_grant", "PKCE verifier does not match")
		return
	}
	now := time.Now()
	claims := maps.Clone(g.user)
	claims["iss"], claims["aud"], claims["nonce"] = i.URL, g.clientID, g.nonce
	claims["iat"], claims["exp"] = now.Unix(), now.Add(5*time.Minute).Unix()
	if mutate != nil {
		mutate(claims)
	}
	idToken, err := i.sign(claims)
	if err != nil {
		oauthError(w, http.StatusInternalServerError, "server_error", err.Error())
		return
	}
	if tamper != nil {
		idToken = tamper(idToken)
	}
	i.mu.Lock()
	i.tokens++
	i.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"access_token": rand.Text(), "token_type": "Bearer",
		"expires_in": 300, "id_token": idToken})
}

func (i *Issuer) sign(claims map[string]any) (string, error) {
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256,
		Key: jose.JSONWebKey{Key: i.key, KeyID: i.kid}}, (&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		return "", err
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	obj, err := signer.Sign(payload)
	if err != nil {
		return "", err
	}
	return obj.CompactSerialize()
}
