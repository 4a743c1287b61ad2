package oidc_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/baton-sched/baton/internal/auth"
	"github.com/baton-sched/baton/internal/auth/oidc"
	"github.com/baton-sched/baton/internal/auth/oidctest"
)

func config(iss *oidctest.Issuer) oidc.Config {
	return oidc.Config{Issuer: iss.URL, ClientID: oidctest.ClientID, ClientSecret: oidctest.ClientSecret,
		RedirectURL: "http://baton.test/login/oidc/callback", RoleClaim: "groups", UsernameClaim: "preferred_username",
		RoleMap: map[string]string{"baton-viewers": "viewer", "baton-ops": "operator", "baton-admins": "admin"}}
}

// authorize runs the browser's part: Start, then the issuer's redirect,
// returning the flow and the callback's state and code.
func authorize(t *testing.T, l *oidc.Login) (oidc.Flow, string, string) {
	t.Helper()
	u, f, err := l.Start(context.Background(), "/runs")
	if err != nil {
		t.Fatal(err)
	}
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("authorize: %s", resp.Status)
	}
	back, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	if back.Path != oidc.CallbackPath {
		t.Fatalf("issuer sent the browser to %s", back)
	}
	return f, back.Query().Get("state"), back.Query().Get("code")
}

func login(t *testing.T, iss *oidctest.Issuer, cfg oidc.Config) (oidc.Identity, error) {
	t.Helper()
	l, err := oidc.New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	f, state, code := authorize(t, l)
	return l.Finish(context.Background(), f, state, code)
}

func TestLoginMapsTheRoleClaim(t *testing.T) {
	iss := oidctest.New(t)
	id, err := login(t, iss, config(iss))
	if err != nil {
		t.Fatal(err)
	}
	if id.Username != "alice" || id.Role != auth.RoleViewer || id.Subject != "alice-1" {
		t.Fatalf("identity %+v, want alice as viewer", id)
	}
	// Several groups: the most powerful mapped role wins; unknown groups
	// are ignored.
	iss.SetUser(map[string]any{"sub": "bob-1", "email": "bob@example.com", "email_verified": true,
		"groups": []string{"staff", "baton-admins", "baton-viewers"}})
	cfg := config(iss)
	cfg.UsernameClaim = ""
	id, err = login(t, iss, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if id.Username != "bob@example.com" || id.Role != auth.RoleAdmin {
		t.Fatalf("identity %+v, want bob@example.com as admin", id)
	}
	// A string claim maps too.
	iss.SetUser(map[string]any{"sub": "c", "preferred_username": "carol", "baton_role": "baton-ops"})
	cfg = config(iss)
	cfg.RoleClaim = "baton_role"
	if id, err = login(t, iss, cfg); err != nil || id.Role != auth.RoleOperator {
		t.Fatalf("identity %+v, %v: want carol as operator", id, err)
	}
}

func TestLoginRefusals(t *testing.T) {
	iss := oidctest.New(t)
	cases := []struct {
		name  string
		setup func(*oidc.Config)
		want  error
		msg   string
	}{
		{name: "unmapped claim", want: oidc.ErrNoRole, msg: `claim "groups" maps to no role`, setup: func(*oidc.Config) {
			iss.SetUser(map[string]any{"sub": "m", "preferred_username": "mallory", "groups": []string{"staff"}})
		}},
		{name: "expired", want: oidc.ErrToken, msg: "expired", setup: func(*oidc.Config) {
			iss.Mutate(func(c map[string]any) { c["exp"] = time.Now().Add(-time.Minute).Unix() })
		}},
		{name: "nonce mismatch", want: oidc.ErrToken, msg: "nonce", setup: func(*oidc.Config) {
			iss.Mutate(func(c map[string]any) { c["nonce"] = "another" })
		}},
		{name: "other audience", want: oidc.ErrToken, msg: "audience", setup: func(*oidc.Config) {
			iss.Mutate(func(c map[string]any) { c["aud"] = "another-client" })
		}},
		{name: "other issuer", want: oidc.ErrToken, msg: "different provider", setup: func(*oidc.Config) {
			iss.Mutate(func(c map[string]any) { c["iss"] = "https://evil.example" })
		}},
		{name: "tampered signature", want: oidc.ErrToken, msg: "signature", setup: func(*oidc.Config) {
			iss.Tamper(tamperSignature)
		}},
		{name: "tampered claims", want: oidc.ErrToken, msg: "signature", setup: func(*oidc.Config) {
			iss.Tamper(tamperClaims)
		}},
		{name: "unverified email", want: oidc.ErrToken, msg: "not verified", setup: func(c *oidc.Config) {
			c.UsernameClaim = "email"
			iss.SetUser(map[string]any{"sub": "e", "email": "eve@example.com", "email_verified": false,
				"groups": []string{"baton-admins"}})
		}},
		{name: "no username", want: oidc.ErrToken, msg: `no "preferred_username" claim`, setup: func(*oidc.Config) {
			iss.SetUser(map[string]any{"sub": "n", "groups": []string{"baton-admins"}})
		}},
		{name: "wrong client secret", want: oidc.ErrToken, msg: "invalid_client", setup: func(c *oidc.Config) {
			c.ClientSecret = "wrong"
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			iss.SetUser(map[string]any{"sub": "alice-1", "preferred_username": "alice", "groups": []string{"baton-admins"}})
			iss.Mutate(nil)
			iss.Tamper(nil)
			cfg := config(iss)
			tc.setup(&cfg)
			id, err := login(t, iss, cfg)
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("login: %+v, %v; want %v mentioning %q", id, err, tc.want, tc.msg)
			}
			if id.Role != "" {
				t.Fatalf("a refused login has role %q", id.Role)
			}
		})
	}
}

// tamperClaims keeps the signature and changes the user name claim.
func tamperClaims(tok string) string {
	parts := strings.Split(tok, ".")
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	payload = bytes.Replace(payload, []byte(`"alice"`), []byte(`"admin"`), 1)
	parts[1] = base64.RawURLEncoding.EncodeToString(payload)
	return strings.Join(parts, ".")
}

// tamperSignature flips a bit of the signature.
func tamperSignature(tok string) string {
	i := strings.LastIndex(tok, ".") + 5
	b := []byte(tok)
	if b[i] == 'A' {
		b[i] = 'B'
	} else {
		b[i] = 'A'
	}
	return string(b)
}

func TestWrongStateIsRefusedBeforeAnyExchange(t *testing.T) {
	iss := oidctest.New(t)
	l, err := oidc.New(config(iss), nil)
	if err != nil {
		t.Fatal(err)
	}
	f, _, code := authorize(t, l)
	if _, err := l.Finish(context.Background(), f, "forged", code); !errors.Is(err, oidc.ErrState) {
		t.Fatalf("forged state: %v, want ErrState", err)
	}
	if _, err := l.Finish(context.Background(), oidc.Flow{}, "", code); !errors.Is(err, oidc.ErrState) {
		t.Fatalf("no flow: %v, want ErrState", err)
	}
	if n := iss.Tokens(); n != 0 {
		t.Fatalf("%d codes exchanged for a refused callback", n)
	}
	// The code is still unused: the right state completes the login once,
	// and a replay of the same callback is refused by the issuer.
	if _, err := l.Finish(context.Background(), f, f.State, code); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Finish(context.Background(), f, f.State, code); !errors.Is(err, oidc.ErrToken) {
		t.Fatalf("replayed code: %v, want ErrToken", err)
	}
}

func TestFlowRoundTrip(t *testing.T) {
	f := oidc.Flow{State: "s", Nonce: "n", Verifier: "v", Next: "/runs?state=failed&x=a.b"}
	got, ok := oidc.DecodeFlow(f.Encode())
	if !ok || got != f {
		t.Fatalf("DecodeFlow(Encode(%+v)) = %+v, %v", f, got, ok)
	}
	for _, bad := range []string{"", "a.b.c", "a..c.d", "a.b.c.d.e", "a.b.c.!!"} {
		if _, ok := oidc.DecodeFlow(bad); ok {
			t.Errorf("DecodeFlow(%q) accepted", bad)
		}
	}
}

func TestIssuerDownThenUp(t *testing.T) {
	cfg := config(&oidctest.Issuer{URL: "http://127.0.0.1:1"})
	l, err := oidc.New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := l.Start(context.Background(), "/"); !errors.Is(err, oidc.ErrIssuer) {
		t.Fatalf("Start with the issuer down: %v, want ErrIssuer", err)
	}
}

func TestValidateNamesTheField(t *testing.T) {
	ok := oidc.Config{Issuer: "https://id.example.com", ClientID: "baton", ClientSecret: "x",
		RedirectURL: "https://baton.example.com/login/oidc/callback", RoleClaim: "groups",
		RoleMap: map[string]string{"ops": "operator"}}
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
	if err := (oidc.Config{}).Validate(); err != nil {
		t.Fatalf("an empty section: %v", err)
	}
	cases := map[string]func(c *oidc.Config){
		"oidc.issuer: required":                 func(c *oidc.Config) { c.Issuer = "" },
		"oidc.issuer: must be":                  func(c *oidc.Config) { c.Issuer = "id.example.com" },
		"oidc.client_id: required":              func(c *oidc.Config) { c.ClientID = "" },
		"oidc.client_secret: give":              func(c *oidc.Config) { c.ClientSecretFile = "/etc/secret" },
		"oidc.redirect_url: requir":             func(c *oidc.Config) { c.RedirectURL = "" },
		"oidc.redirect_url: path":               func(c *oidc.Config) { c.RedirectURL = "https://baton.example.com/cb" },
		"oidc.role_claim: required":             func(c *oidc.Config) { c.RoleClaim = "" },
		"oidc.role_claim: give":                 func(c *oidc.Config) { c.RoleClaim, c.RoleMap = "", nil },
		`oidc.role_map: "ops": the worker role`: func(c *oidc.Config) { c.RoleMap["ops"] = "worker" },
		`oidc.role_map: "ops": unknown role`:    func(c *oidc.Config) { c.RoleMap["ops"] = "root" },
		"oidc.default_role: the worker role":    func(c *oidc.Config) { c.DefaultRole = "worker" },
	}
	for want, change := range cases {
		c := ok
		c.RoleMap = map[string]string{"ops": "operator"}
		change(&c)
		err := c.Validate()
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: got %v", want, err)
		}
	}
}
