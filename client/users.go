package client

import (
	"context"
	"net/http"
	"net/url"
	"time"
)

// User is what the API tells of a local user: never the password or its
// hash.
type User struct {
	Name       string     `json:"name" doc:"The actor of what the user does is user:NAME"`
	Role       string     `json:"role" enum:"viewer,operator,editor,admin"`
	Disabled   bool       `json:"disabled"`
	DisabledAt *time.Time `json:"disabled_at,omitempty"`
	CreatedBy  string     `json:"created_by,omitempty"`
	CreatedAt  time.Time  `json:"created_at"`
	UpdatedAt  time.Time  `json:"updated_at"`
}

// NewUser asks for a local user.
type NewUser struct {
	Name     string `json:"name" doc:"1-64 letters, digits, '-', '_', '.' or '@'; unique"`
	Role     string `json:"role" doc:"viewer, operator, editor or admin"`
	Password string `json:"password" doc:"12 characters to 1024 bytes; only its argon2id hash is stored"`
}

// UserUpdate changes a user's role or whether it may log in; a change
// ends the user's sessions.
type UserUpdate struct {
	Role     string `json:"role,omitempty" doc:"viewer, operator, editor or admin (empty: unchanged)"`
	Disabled *bool  `json:"disabled,omitempty" doc:"true refuses the user's logins (absent: unchanged)"`
}

// NewPassword sets a password.
type NewPassword struct {
	Password string `json:"password" doc:"12 characters to 1024 bytes"`
}

// PasswordChange is a user changing their own password.
type PasswordChange struct {
	OldPassword string `json:"old_password" doc:"The current password"`
	Password    string `json:"password" doc:"The new password: 12 characters to 1024 bytes"`
}

// Users lists the local users.
func (c *Client) Users(ctx context.Context) ([]User, error) {
	var out []User
	err := c.do(ctx, http.MethodGet, "/api/v1/users", nil, nil, &out)
	return out, err
}

// CreateUser creates a local user.
func (c *Client) CreateUser(ctx context.Context, u NewUser) (User, error) {
	var out User
	err := c.do(ctx, http.MethodPost, "/api/v1/users", nil, u, &out)
	return out, err
}

// UpdateUser changes a user's role or disables or enables it.
func (c *Client) UpdateUser(ctx context.Context, name string, u UserUpdate) (User, error) {
	var out User
	err := c.do(ctx, http.MethodPatch, "/api/v1/users/"+url.PathEscape(name), nil, u, &out)
	return out, err
}

// SetUserPassword sets a user's password (an admin's reset); it ends the
// user's sessions.
func (c *Client) SetUserPassword(ctx context.Context, name, password string) error {
	return c.do(ctx, http.MethodPut, "/api/v1/users/"+url.PathEscape(name)+"/password", nil,
		NewPassword{Password: password}, nil)
}

// ChangePassword changes the caller's own password (a user's session).
func (c *Client) ChangePassword(ctx context.Context, old, password string) error {
	return c.do(ctx, http.MethodPut, "/api/v1/auth/password", nil, PasswordChange{OldPassword: old, Password: password}, nil)
}

// DeleteUser deletes a user and ends their sessions.
func (c *Client) DeleteUser(ctx context.Context, name string) error {
	return c.do(ctx, http.MethodDelete, "/api/v1/users/"+url.PathEscape(name), nil, nil, nil)
}
