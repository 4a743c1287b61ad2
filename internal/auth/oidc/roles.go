package oidc

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode"

	"github.com/baton-sched/baton/internal/auth"
)

// ErrNoRole refuses a person whose claims map to no role (and no
// default_role is set).
var ErrNoRole = errors.New("no Baton role for this account")

// roleOf maps the role claim of claims to the most powerful role it
// names, else the default role; never worker.
func (c Config) roleOf(claims map[string]any) (auth.Role, error) {
	best := -1
	for _, v := range claimValues(claims[c.RoleClaim]) {
		role, ok := c.RoleMap[v]
		if !ok {
			continue
		}
		if i := slices.Index(auth.Roles, auth.Role(role)); i > best && auth.Role(role) != auth.RoleWorker {
			best = i
		}
	}
	if best >= 0 {
		return auth.Roles[best], nil
	}
	if c.DefaultRole != "" && c.DefaultRole != string(auth.RoleWorker) {
		return auth.Role(c.DefaultRole), nil
	}
	if c.RoleClaim == "" {
		return "", ErrNoRole
	}
	return "", fmt.Errorf("%w: claim %q maps to no role (see oidc.role_map)", ErrNoRole, c.RoleClaim)
}

// claimValues reads a claim that is a string or a list of strings.
func claimValues(v any) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case []any:
		out := make([]string, 0, len(v))
		for _, e := range v {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// maxUsername bounds a user name taken from a claim.
const maxUsername = 200

// usernameOf reads the user name claim: a string of printable characters
// without spaces. An email address must be verified by the issuer when
// it says so (email_verified: false is refused).
func (c Config) usernameOf(claims map[string]any) (string, error) {
	name, _ := claims[c.UsernameClaim].(string)
	if name == "" {
		return "", fmt.Errorf("the ID token has no %q claim (see oidc.username_claim)", c.UsernameClaim)
	}
	if len(name) > maxUsername || strings.ContainsFunc(name, func(r rune) bool {
		return !unicode.IsPrint(r) || unicode.IsSpace(r)
	}) {
		return "", fmt.Errorf("the %q claim is not a usable user name", c.UsernameClaim)
	}
	if c.UsernameClaim == "email" {
		if v, ok := claims["email_verified"].(bool); ok && !v {
			return "", errors.New("the issuer says this email address is not verified")
		}
	}
	return name, nil
}
