package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/baton-sched/baton/client"
	"github.com/baton-sched/baton/internal/auth"
	"github.com/baton-sched/baton/internal/store"
)

type tokenNameInput struct {
	Name string `path:"name" doc:"Token name"`
}

type newTokenInput struct{ Body client.NewToken }

type createdTokenOutput struct{ Body client.CreatedToken }

type tokensOutput struct{ Body []client.Token }

type whoamiOutput struct{ Body client.Identity }

// bootstrapName names the first admin token.
const bootstrapName = "bootstrap"

func (s *Server) registerAuth(api huma.API) {
	tag := []string{"auth"}
	huma.Register(api, huma.Operation{
		OperationID: "whoami", Method: http.MethodGet, Path: "/api/v1/auth/whoami",
		Summary: "Who the caller is", Tags: tag,
	}, func(ctx context.Context, _ *struct{}) (*whoamiOutput, error) {
		p, _ := auth.From(ctx)
		perms := []string{}
		for _, q := range p.Role.Permissions() {
			perms = append(perms, string(q))
		}
		return &whoamiOutput{Body: client.Identity{Actor: p.Actor(), Kind: string(p.Kind), Name: p.Name,
			Role: string(p.Role), Permissions: perms}}, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "auth-bootstrap", Method: http.MethodPost, Path: "/api/v1/auth/bootstrap",
		Summary: "Create the first admin token", Tags: tag, DefaultStatus: http.StatusCreated,
		Description: "Anonymous, and only once: 409 Conflict as soon as any token exists (as Nomad's ACL bootstrap).",
	}, func(ctx context.Context, _ *struct{}) (*createdTokenOutput, error) {
		secret, hash := auth.NewSecret()
		tok, err := s.bootstrap(ctx, hash)
		if err != nil {
			return nil, err
		}
		s.log.InfoContext(ctx, "first admin token created", "token", tok.Name)
		return &createdTokenOutput{Body: client.CreatedToken{Token: toToken(tok), Secret: secret}}, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "list-tokens", Method: http.MethodGet, Path: "/api/v1/tokens",
		Summary: "List the API and join tokens (never their secrets)", Tags: tag,
	}, func(ctx context.Context, _ *struct{}) (*tokensOutput, error) {
		toks, err := s.listTokens(ctx)
		if err != nil {
			return nil, s.apiError(ctx, err)
		}
		return &tokensOutput{Body: toks}, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "create-token", Method: http.MethodPost, Path: "/api/v1/tokens",
		Summary: "Create a token; its secret is in the answer only", Tags: tag, DefaultStatus: http.StatusCreated,
		Description: "Role worker makes a join token, with which workers register (optionally only in the zones " +
			"and groups given). 409 if the name is taken.",
	}, s.createToken)

	huma.Register(api, huma.Operation{
		OperationID: "revoke-token", Method: http.MethodDelete, Path: "/api/v1/tokens/{name}",
		Summary: "Revoke a token", Tags: tag, DefaultStatus: http.StatusNoContent,
		Description: "Every server refuses it within a second. 404 if there is no such unrevoked token.",
	}, s.revokeToken)
}

// newToken checks a token request whole.
func (s *Server) newToken(ctx context.Context, in client.NewToken) (store.NewToken, error) {
	var errs []error
	if err := auth.CheckName(in.Name); err != nil {
		errs = append(errs, &huma.ErrorDetail{Location: "body.name", Message: err.Error()})
	}
	if strings.HasPrefix(in.Name, "worker:") {
		errs = append(errs, &huma.ErrorDetail{Location: "body.name", Message: "names starting worker: are Baton's own"})
	}
	role, err := auth.ParseRole(in.Role)
	if err != nil {
		errs = append(errs, &huma.ErrorDetail{Location: "body.role", Message: err.Error()})
	}
	if in.Expires < 0 {
		errs = append(errs, &huma.ErrorDetail{Location: "body.expires", Message: "must not be negative"})
	}
	if role != auth.RoleWorker && (len(in.Zones) > 0 || len(in.Groups) > 0) {
		errs = append(errs, &huma.ErrorDetail{Location: "body.zones", Message: "zones and groups bound join tokens (role worker) only"})
	}
	for _, l := range [][]string{in.Zones, in.Groups} {
		if slices.ContainsFunc(l, func(v string) bool { return v == "" || strings.Contains(v, ",") }) {
			errs = append(errs, &huma.ErrorDetail{Location: "body.zones", Message: "zone and group names must be non-empty, without commas"})
		}
	}
	if len(errs) > 0 {
		return store.NewToken{}, huma.Error422UnprocessableEntity("invalid request: nothing was changed", errs...)
	}
	nt := store.NewToken{Name: in.Name, Kind: store.TokenAPI, Role: string(role), Scope: "*",
		Zones: strings.Join(in.Zones, ","), WorkerGroups: strings.Join(in.Groups, ","), CreatedBy: actorOf(ctx)}
	if role == auth.RoleWorker {
		nt.Kind = store.TokenJoin
	}
	if in.Expires > 0 {
		nt.ExpiresAt = time.Now().Add(in.Expires).UnixMilli()
	}
	return nt, nil
}

// bootstrap stores the first admin token with the hash; 409 if any
// token exists.
func (s *Server) bootstrap(ctx context.Context, hash string) (store.Token, error) {
	var tok store.Token
	err := s.engine.Store().InTx(ctx, func(tx store.Tx) error {
		n, err := tx.Tokens().Count(ctx)
		if err != nil {
			return err
		}
		if n > 0 {
			return errBootstrapped
		}
		tok, err = tx.Tokens().Insert(ctx, store.NewToken{Name: bootstrapName, Kind: store.TokenAPI, Hash: hash,
			Role: string(auth.RoleAdmin), Scope: "*", CreatedBy: "server:" + s.id})
		if err != nil {
			return err
		}
		return tx.Events().Insert(ctx, []store.NewEvent{{Kind: "token.created", Actor: "server:" + s.id,
			Reason: "first admin token " + bootstrapName}})
	})
	if errors.Is(err, errBootstrapped) || errors.Is(err, store.ErrConflict) {
		return store.Token{}, huma.Error409Conflict("already bootstrapped: tokens exist; ask an admin for one " +
			"(baton token create NAME --role ROLE)")
	}
	if err != nil {
		return store.Token{}, s.apiError(ctx, fmt.Errorf("bootstrap: %w", err))
	}
	return tok, nil
}

var errBootstrapped = errors.New("already bootstrapped")

// bootstrapFromConfig makes the configured bootstrap token the first
// admin token, unless tokens exist.
func (s *Server) bootstrapFromConfig(ctx context.Context) error {
	if !auth.WellFormed(s.cfg.BootstrapToken) {
		return errors.New("bootstrap token: want 32 to 256 base64 characters (make one with baton auth secret)")
	}
	hash := auth.Hash(s.cfg.BootstrapToken)
	_, err := s.bootstrap(ctx, hash)
	var se huma.StatusError
	if errors.As(err, &se) && se.GetStatus() == http.StatusConflict {
		var tok store.Token
		err := s.engine.Store().Read(ctx, func(tx store.Tx) error {
			var err error
			tok, err = tx.Tokens().ByHash(ctx, hash)
			return err
		})
		if err != nil || tok.RevokedAt != 0 {
			s.log.WarnContext(ctx, "bootstrap_token_file ignored: other tokens exist, and it is not one of them (or revoked)")
		}
		return nil
	}
	return err
}

// issueCredential stores a new credential of the worker, revoking its
// older ones, and returns the secret.
func (s *Server) issueCredential(ctx context.Context, workerID string, join auth.Principal) (string, error) {
	secret, hash := auth.NewSecret()
	err := s.engine.Store().InTx(ctx, func(tx store.Tx) error {
		if _, err := tx.Tokens().RevokeWorker(ctx, workerID); err != nil {
			return err
		}
		_, err := tx.Tokens().Insert(ctx, store.NewToken{Name: "worker:" + workerID + ":" + hash[:12],
			Kind: store.TokenWorker, Hash: hash, Role: string(auth.RoleWorker), Scope: "*", WorkerID: workerID,
			CreatedBy: join.Actor()})
		return err
	})
	if err != nil {
		return "", fmt.Errorf("issue credential of worker %s: %w", workerID, err)
	}
	return secret, nil
}

// checkJoin refuses a registration outside the zones and groups of the
// join token.
func checkJoin(p auth.Principal, zone, group string) error {
	if len(p.Zones) > 0 && !slices.Contains(p.Zones, zone) {
		return huma.Error403Forbidden(fmt.Sprintf("permission denied: join token %s may register workers in zones %s, not %q",
			p.Name, strings.Join(p.Zones, ", "), zone))
	}
	if len(p.Groups) > 0 && !slices.Contains(p.Groups, group) {
		return huma.Error403Forbidden(fmt.Sprintf("permission denied: join token %s may register workers in groups %s, not %q",
			p.Name, strings.Join(p.Groups, ", "), group))
	}
	return nil
}

func toToken(t store.Token) client.Token {
	out := client.Token{Name: t.Name, Kind: t.Kind, Role: t.Role, Scope: t.Scope, Zones: splitList(t.Zones),
		Groups: splitList(t.WorkerGroups), CreatedBy: t.CreatedBy, CreatedAt: time.UnixMilli(t.CreatedAt).UTC()}
	ms := func(v int64) *time.Time {
		if v == 0 {
			return nil
		}
		t := time.UnixMilli(v).UTC()
		return &t
	}
	out.ExpiresAt, out.RevokedAt, out.LastUsedAt = ms(t.ExpiresAt), ms(t.RevokedAt), ms(t.LastUsedAt)
	return out
}

// EnsureToken makes secret a valid token named name with the role
// (worker: a join token), creating it if missing. It is for embedding
// (baton dev, benchmarks, tests): it fails if the name holds another
// secret or was revoked.
func EnsureToken(ctx context.Context, st store.Store, name string, role auth.Role, secret string) error {
	if !auth.WellFormed(secret) {
		return errors.New("ensure token: malformed secret")
	}
	hash := auth.Hash(secret)
	kind := store.TokenAPI
	if role == auth.RoleWorker {
		kind = store.TokenJoin
	}
	err := st.InTx(ctx, func(tx store.Tx) error {
		tok, err := tx.Tokens().ByName(ctx, name)
		switch {
		case errors.Is(err, store.ErrNotFound):
			_, err = tx.Tokens().Insert(ctx, store.NewToken{Name: name, Kind: kind, Hash: hash, Role: string(role),
				Scope: "*", CreatedBy: "server:embedded"})
			return err
		case err != nil:
			return err
		case !auth.Matches(secret, tok.Hash) || tok.RevokedAt != 0 || tok.Role != string(role):
			return fmt.Errorf("token %q exists with another secret or role, or was revoked", name)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("ensure token %s: %w", name, err)
	}
	return nil
}

// IssueToken stores a new token with the role and returns its secret,
// for embedding and tests.
func IssueToken(ctx context.Context, st store.Store, name string, role auth.Role) (string, error) {
	secret, _ := auth.NewSecret()
	return secret, EnsureToken(ctx, st, name, role, secret)
}

// EnsureToken is the package's EnsureToken on the server's store.
func (s *Server) EnsureToken(ctx context.Context, name string, role auth.Role, secret string) error {
	return EnsureToken(ctx, s.engine.Store(), name, role, secret)
}

// createToken creates a token; its secret is in the answer only.
func (s *Server) createToken(ctx context.Context, in *newTokenInput) (*createdTokenOutput, error) {
	nt, err := s.newToken(ctx, in.Body)
	if err != nil {
		return nil, err
	}
	secret, hash := auth.NewSecret()
	nt.Hash = hash
	var tok store.Token
	err = s.engine.Store().InTx(ctx, func(tx store.Tx) error {
		tok, err = tx.Tokens().Insert(ctx, nt)
		if err != nil {
			return err
		}
		return tx.Events().Insert(ctx, []store.NewEvent{{Kind: "token.created", Actor: actorOf(ctx),
			Reason: "token " + tok.Name + " (role " + tok.Role + ")"}})
	})
	if errors.Is(err, store.ErrConflict) {
		return nil, huma.Error409Conflict(fmt.Sprintf("token %q exists: revoke it or choose another name", nt.Name))
	}
	if err != nil {
		return nil, s.apiError(ctx, fmt.Errorf("create token: %w", err))
	}
	return &createdTokenOutput{Body: client.CreatedToken{Token: toToken(tok), Secret: secret}}, nil
}

// revokeToken revokes a token.
func (s *Server) revokeToken(ctx context.Context, in *tokenNameInput) (*struct{}, error) {
	var ok bool
	err := s.engine.Store().InTx(ctx, func(tx store.Tx) error {
		var err error
		if ok, err = tx.Tokens().Revoke(ctx, in.Name); err != nil || !ok {
			return err
		}
		if _, err := tx.Tokens().RevokeSessions(ctx, "token:"+in.Name); err != nil {
			return err
		}
		return tx.Events().Insert(ctx, []store.NewEvent{{Kind: "token.revoked", Actor: actorOf(ctx),
			Reason: "token " + in.Name}})
	})
	if err != nil {
		return nil, s.apiError(ctx, fmt.Errorf("revoke token: %w", err))
	}
	if !ok {
		return nil, huma.Error404NotFound(fmt.Sprintf("no unrevoked token %q", in.Name))
	}
	s.authn.flush()
	return nil, nil
}
