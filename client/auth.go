package client

import (
	"context"
	"net/http"
	"net/url"
	"time"
)

// Token is what the API tells of a token: never its secret.
type Token struct {
	Name       string     `json:"name"`
	Kind       string     `json:"kind" doc:"api, or join (registers workers)"`
	Role       string     `json:"role" enum:"viewer,operator,editor,admin,worker"`
	Scope      string     `json:"scope" doc:"What the grant covers: * (all workflows)"`
	Zones      []string   `json:"zones,omitempty" doc:"Join tokens: the zones its workers may join (else any)"`
	Groups     []string   `json:"groups,omitempty" doc:"Join tokens: the groups its workers may join (else any)"`
	ExpiresAt  *time.Time `json:"expires_at,omitempty"`
	RevokedAt  *time.Time `json:"revoked_at,omitempty"`
	LastUsedAt *time.Time `json:"last_used_at,omitempty" doc:"Updated at most once a minute"`
	CreatedBy  string     `json:"created_by,omitempty"`
	CreatedAt  time.Time  `json:"created_at"`
}

// NewToken asks for a token.
type NewToken struct {
	Name    string        `json:"name" doc:"Unique name; the actor of what the token does is token:NAME"`
	Role    string        `json:"role" enum:"viewer,operator,editor,admin,worker"`
	Expires time.Duration `json:"expires,omitempty" doc:"Nanoseconds until it expires (0: never)"`
	Zones   []string      `json:"zones,omitempty" doc:"Role worker: zones its workers may register in"`
	Groups  []string      `json:"groups,omitempty" doc:"Role worker: groups its workers may register in"`
}

// CreatedToken is a new token with its secret, shown this once.
type CreatedToken struct {
	Token
	Secret string `json:"secret" doc:"Shown once; only its hash is stored"`
}

// Identity is who the servers take the caller for.
type Identity struct {
	Actor       string   `json:"actor" doc:"As the audit trail names it, e.g. token:ci-deploy"`
	Kind        string   `json:"kind" enum:"user,token,worker,server"`
	Name        string   `json:"name"`
	Role        string   `json:"role"`
	Permissions []string `json:"permissions"`
}

// Tokens lists the API and join tokens.
func (c *Client) Tokens(ctx context.Context) ([]Token, error) {
	var out []Token
	err := c.do(ctx, http.MethodGet, "/api/v1/tokens", nil, nil, &out)
	return out, err
}

// CreateToken creates a token and returns its secret, shown this once.
func (c *Client) CreateToken(ctx context.Context, t NewToken) (CreatedToken, error) {
	var out CreatedToken
	err := c.do(ctx, http.MethodPost, "/api/v1/tokens", nil, t, &out)
	return out, err
}

// RevokeToken revokes a token on every server (within a second or two).
func (c *Client) RevokeToken(ctx context.Context, name string) error {
	return c.do(ctx, http.MethodDelete, "/api/v1/tokens/"+url.PathEscape(name), nil, nil, nil)
}

// Whoami returns the identity the caller's token proves.
func (c *Client) Whoami(ctx context.Context) (Identity, error) {
	var out Identity
	err := c.do(ctx, http.MethodGet, "/api/v1/auth/whoami", nil, nil, &out)
	return out, err
}

// Bootstrap creates the first admin token; 409 once any token exists.
func (c *Client) Bootstrap(ctx context.Context) (CreatedToken, error) {
	var out CreatedToken
	err := c.do(ctx, http.MethodPost, "/api/v1/auth/bootstrap", nil, struct{}{}, &out)
	return out, err
}
