package client

import (
	"context"
	"net/http"
	"net/url"
	"time"
)

// Secret is what the API tells of a secret: never its value.
type Secret struct {
	Name      string    `json:"name"`
	KeyID     string    `json:"key_id" doc:"The id of the key that sealed the value (see baton secret rotate)"`
	CreatedAt time.Time `json:"created_at"`
	CreatedBy string    `json:"created_by,omitempty"`
	UpdatedAt time.Time `json:"updated_at"`
	UpdatedBy string    `json:"updated_by,omitempty"`
}

// SecretValue is the body that sets a secret.
type SecretValue struct {
	Value string `json:"value" doc:"The value (at most 64 KiB); never returned"`
}

// SecretRotation is the outcome of a key rotation.
type SecretRotation struct {
	KeyID   string   `json:"key_id" doc:"The current key"`
	Rotated []string `json:"rotated" doc:"Secrets re-encrypted under it"`
	Current int      `json:"current" doc:"Secrets that already were"`
	Failed  []string `json:"failed,omitempty" doc:"Secrets this server cannot decrypt: their key is not in its ring"`
	Error   string   `json:"error,omitempty" doc:"Why the first of them failed"`
}

// Secrets lists the secrets, without values.
func (c *Client) Secrets(ctx context.Context) ([]Secret, error) {
	var out []Secret
	err := c.do(ctx, http.MethodGet, "/api/v1/secrets", nil, nil, &out)
	return out, err
}

// SetSecret creates or replaces a secret.
func (c *Client) SetSecret(ctx context.Context, name, value string) (Secret, error) {
	var out Secret
	err := c.do(ctx, http.MethodPut, "/api/v1/secrets/"+url.PathEscape(name), nil, SecretValue{Value: value}, &out)
	return out, err
}

// DeleteSecret removes a secret.
func (c *Client) DeleteSecret(ctx context.Context, name string) error {
	return c.do(ctx, http.MethodDelete, "/api/v1/secrets/"+url.PathEscape(name), nil, nil, nil)
}

// RotateSecrets re-encrypts every secret under the servers' current key.
func (c *Client) RotateSecrets(ctx context.Context) (SecretRotation, error) {
	var out SecretRotation
	err := c.do(ctx, http.MethodPost, "/api/v1/secrets/rotate", nil, struct{}{}, &out)
	return out, err
}
