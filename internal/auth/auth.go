package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
)

// Permission is what an operation needs.
type Permission string

// The permissions. Anonymous is the need of the health checks only.
const (
	Anonymous Permission = "anonymous"
	Read      Permission = "read"
	Operate   Permission = "operate"
	Edit      Permission = "edit"
	Admin     Permission = "admin"
	Worker    Permission = "worker"
	// Authenticated is the need of operations any valid credential may
	// call (whoami).
	Authenticated Permission = "authenticated"
)

// Role is a named set of permissions.
type Role string

// The roles, each one more than the one before it; worker stands apart.
const (
	RoleViewer   Role = "viewer"
	RoleOperator Role = "operator"
	RoleEditor   Role = "editor"
	RoleAdmin    Role = "admin"
	RoleWorker   Role = "worker"
)

// Roles lists the roles in order of power (worker last).
var Roles = []Role{RoleViewer, RoleOperator, RoleEditor, RoleAdmin, RoleWorker}

var grants = map[Role][]Permission{
	RoleViewer:   {Read},
	RoleOperator: {Read, Operate},
	RoleEditor:   {Read, Operate, Edit},
	RoleAdmin:    {Read, Operate, Edit, Admin},
	RoleWorker:   {Worker},
}

// ParseRole checks a role name.
func ParseRole(s string) (Role, error) {
	r := Role(s)
	if _, ok := grants[r]; !ok {
		return "", fmt.Errorf("unknown role %q (want viewer, operator, editor, admin or worker)", s)
	}
	return r, nil
}

// Permissions lists what the role may do.
func (r Role) Permissions() []Permission { return slices.Clone(grants[r]) }

// Allows reports whether the role grants p. Anonymous and Authenticated
// are granted to every role.
func (r Role) Allows(p Permission) bool {
	if p == Anonymous || p == Authenticated {
		_, ok := grants[r]
		return ok
	}
	return slices.Contains(grants[r], p)
}

// Kind is what a principal is.
type Kind string

// The kinds of principal.
const (
	KindUser   Kind = "user"
	KindToken  Kind = "token"
	KindWorker Kind = "worker"
	KindServer Kind = "server"
)

// Principal is who a request comes from.
type Principal struct {
	Kind Kind
	Name string // token name, user name, worker ID, server ID
	Role Role
	// Scope is what the grant covers: "*" (all workflows) for now.
	Scope string
	// TokenID is the stored token or credential that proved it (0: none).
	TokenID int64
	// WorkerID is the worker a worker credential is bound to.
	WorkerID string
	// Zones and Groups bound a join token ("" : any).
	Zones, Groups []string
	// Join marks a join token: it may register a worker and nothing else.
	Join bool
}

// Actor is the principal as the audit trail names it: "token:ci-deploy",
// "worker:w-1", "user:alice", "server:server-1a2b".
func (p Principal) Actor() string { return string(p.Kind) + ":" + p.Name }

// Server is the principal of a server's own loops.
func Server(id string) Principal {
	return Principal{Kind: KindServer, Name: id, Role: RoleAdmin, Scope: "*"}
}

type ctxKey struct{}

// With returns ctx carrying p.
func With(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, ctxKey{}, p)
}

// From returns the principal of ctx, if any.
func From(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(ctxKey{}).(Principal)
	return p, ok
}

// SecretPrefix starts every token secret, so that scanners and people
// recognise one.
const SecretPrefix = "baton_"

// NewSecret returns a new token secret (256 random bits) and its hash.
func NewSecret() (secret, hash string) {
	var b [32]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand)
	secret = SecretPrefix + base64.RawURLEncoding.EncodeToString(b[:])
	return secret, Hash(secret)
}

// Hash is the stored form of a secret: hex SHA-256. A secret has 256 bits
// of entropy, so a fast hash suffices.
func Hash(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// Matches compares a presented secret with a stored hash in constant time.
func Matches(secret, hash string) bool {
	return subtle.ConstantTimeCompare([]byte(Hash(secret)), []byte(hash)) == 1
}

// WellFormed reports whether s can be a token secret, so that garbage is
// refused without a database look-up: 32 to 256 characters of the base64
// alphabets (and '.'). Secrets Baton makes are "baton_" and 43 base64url
// characters; a bootstrap secret may come from elsewhere (head -c 32
// /dev/urandom | base64).
func WellFormed(s string) bool {
	if len(s) < 32 || len(s) > 256 {
		return false
	}
	for _, c := range s {
		if !alnumOr(c, "-_+/=.") {
			return false
		}
	}
	return true
}

// CheckName checks a token name: 1-64 letters, digits, '-', '_' or '.'.
func CheckName(name string) error {
	if name == "" || len(name) > 64 {
		return fmt.Errorf("token name must have 1 to 64 characters, got %d", len(name))
	}
	for _, c := range name {
		if !alnumOr(c, "-_.") {
			return fmt.Errorf("token name %q: only letters, digits, '-', '_' and '.' are allowed", name)
		}
	}
	return nil
}

// alnumOr reports whether c is an ASCII letter or digit or one of extra.
func alnumOr(c rune, extra string) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune(extra, c)
}
