// Package oidc logs people in with OpenID Connect: the authorization code
// flow with PKCE, state and nonce, the ID token verified against the
// issuer's published keys (github.com/coreos/go-oidc), and a claim mapped
// to a Baton role.
//
// The flow, as the server drives it:
//
//	browser ── GET /login/oidc ──▶ server: new state, nonce, PKCE verifier
//	        ◀── 303 issuer/authorize?state&nonce&code_challenge
//	browser ── (person logs in at the issuer) ──▶ issuer
//	        ◀── 303 /login/oidc/callback?code&state
//	browser ── GET /login/oidc/callback ──▶ server: state checked,
//	        code exchanged with the verifier, ID token verified
//	        (signature, issuer, audience, expiry, nonce), role mapped
//	        ◀── session cookie (or the login page and why)
package oidc

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/baton-sched/baton/internal/auth"
)

// Config is the `oidc:` section of the configuration. An empty Issuer
// turns OpenID Connect login off.
type Config struct {
	// Issuer is the issuer URL; its /.well-known/openid-configuration
	// says where the rest is.
	Issuer string `koanf:"issuer"`
	// ClientID and ClientSecret identify Baton at the issuer;
	// ClientSecretFile holds the secret instead (its first line).
	ClientID         string `koanf:"client_id"`
	ClientSecret     string `koanf:"client_secret"`
	ClientSecretFile string `koanf:"client_secret_file"`
	// RedirectURL is this service's callback as registered at the issuer:
	// https://baton.example.com/login/oidc/callback.
	RedirectURL string `koanf:"redirect_url"`
	// Scopes asked for; "openid" is always added (default: openid, email,
	// profile).
	Scopes []string `koanf:"scopes"`
	// RoleClaim names the ID token claim that carries roles or groups: a
	// string or a list of strings ("groups", "baton_role").
	RoleClaim string `koanf:"role_claim"`
	// RoleMap maps a value of RoleClaim to a role; when several values
	// map, the most powerful role wins.
	RoleMap map[string]string `koanf:"role_map"`
	// DefaultRole is the role of people whose claim maps to none; empty
	// refuses them.
	DefaultRole string `koanf:"default_role"`
	// UsernameClaim names the claim that becomes the user name, as in
	// user:NAME (default "email"; "preferred_username" is common).
	UsernameClaim string `koanf:"username_claim"`
}

// Keys are the keys of the `oidc:` section.
var Keys = []string{"issuer", "client_id", "client_secret", "client_secret_file", "redirect_url", "scopes",
	"role_claim", "role_map", "default_role", "username_claim"}

// Enabled says whether the section turns OpenID Connect login on.
func (c Config) Enabled() bool { return c.Issuer != "" }

// set says whether any key of the section was given.
func (c Config) set() bool {
	return c.Issuer != "" || c.ClientID != "" || c.ClientSecret != "" || c.ClientSecretFile != "" ||
		c.RedirectURL != "" || len(c.Scopes) > 0 || c.RoleClaim != "" || len(c.RoleMap) > 0 ||
		c.DefaultRole != "" || c.UsernameClaim != ""
}

// WithDefaults fills the keys left empty.
func (c Config) WithDefaults() Config {
	if c.UsernameClaim == "" {
		c.UsernameClaim = "email"
	}
	if len(c.Scopes) == 0 {
		c.Scopes = []string{"openid", "email", "profile"}
	} else if !slices.Contains(c.Scopes, "openid") {
		c.Scopes = append([]string{"openid"}, c.Scopes...)
	}
	return c
}

// Validate checks the section whole, each error naming its key (as
// oidc.KEY). A section with no key set is valid (login off).
func (c Config) Validate() error {
	if !c.set() {
		return nil
	}
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("config: oidc.%s: "+format, append([]any{key}, args...)...))
	}
	if c.Issuer == "" {
		bad("issuer", "required when any oidc key is set")
	} else if err := absURL(c.Issuer); err != nil {
		bad("issuer", "%v", err)
	}
	if c.ClientID == "" {
		bad("client_id", "required")
	}
	if c.ClientSecret != "" && c.ClientSecretFile != "" {
		bad("client_secret", "give client_secret or client_secret_file, not both")
	}
	if c.RedirectURL == "" {
		bad("redirect_url", "required (this service's /login/oidc/callback URL, as registered at the issuer)")
	} else if err := absURL(c.RedirectURL); err != nil {
		bad("redirect_url", "%v", err)
	} else if u, _ := url.Parse(c.RedirectURL); u.Path != CallbackPath {
		bad("redirect_url", "path must be %s, got %q", CallbackPath, u.Path)
	}
	if c.RoleClaim == "" && len(c.RoleMap) > 0 {
		bad("role_claim", "required with role_map")
	}
	if c.RoleClaim == "" && c.DefaultRole == "" {
		bad("role_claim", "give role_claim and role_map, or default_role: otherwise nobody could log in")
	}
	for value, role := range c.RoleMap {
		if err := loginRole(role); err != nil {
			bad("role_map", "%q: %v", value, err)
		}
	}
	if c.DefaultRole != "" {
		if err := loginRole(c.DefaultRole); err != nil {
			bad("default_role", "%v", err)
		}
	}
	return errors.Join(errs...)
}

// CallbackPath is where the issuer sends browsers back.
const CallbackPath = "/login/oidc/callback"

// loginRole checks a role people may hold: any but worker.
func loginRole(s string) error {
	r, err := auth.ParseRole(s)
	if err != nil {
		return err
	}
	if r == auth.RoleWorker {
		return errors.New("the worker role is for workers only, never for people")
	}
	return nil
}

func absURL(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return err
	}
	if (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fmt.Errorf("must be an absolute http(s) URL, got %q", s)
	}
	if strings.Contains(u.Host, "@") || u.User != nil {
		return fmt.Errorf("must not hold credentials, got %q", u.Redacted())
	}
	return nil
}
