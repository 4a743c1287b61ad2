package server

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/baton-sched/baton/client"
	"github.com/baton-sched/baton/internal/engine"
)

type secretsOutput struct{ Body []client.Secret }

type setSecretInput struct {
	Name string `path:"name"`
	Body client.SecretValue
}

type secretOutput struct{ Body client.Secret }

type deleteSecretInput struct {
	Name string `path:"name"`
}

type rotateSecretsInput struct {
}

type rotationOutput struct{ Body client.SecretRotation }

func (s *Server) registerSecrets(api huma.API) {
	huma.Register(api, huma.Operation{
		OperationID: "list-secrets", Method: http.MethodGet, Path: "/api/v1/secrets",
		Summary: "Secrets: names, keys and dates, never values", Tags: []string{"secrets"},
	}, func(ctx context.Context, _ *struct{}) (*secretsOutput, error) {
		list, err := s.engine.Secrets(ctx)
		if err != nil {
			return nil, s.apiError(ctx, err)
		}
		out := make([]client.Secret, len(list))
		for i, sec := range list {
			out[i] = toSecret(sec)
		}
		return &secretsOutput{Body: out}, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "set-secret", Method: http.MethodPut, Path: "/api/v1/secrets/{name}",
		Summary: "Create or replace a secret", Tags: []string{"secrets"},
		// Checked by the engine, whose errors never quote the value (the
		// schema's would).
		SkipValidateBody: true,
		Description: "Stores the value encrypted (AES-256-GCM under the servers' current key). Workflows refer " +
			"to it as ${{ secrets.NAME }} in env, http.headers and http.body; it is decrypted only into the " +
			"assignment of an attempt that needs it, and workers mask it (***) in logs and outputs.",
	}, func(ctx context.Context, in *setSecretInput) (*secretOutput, error) {
		sec, err := s.engine.SetSecret(ctx, in.Name, in.Body.Value, actorOf(ctx))
		if err != nil {
			return nil, s.apiError(ctx, err)
		}
		return &secretOutput{Body: toSecret(sec)}, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "delete-secret", Method: http.MethodDelete, Path: "/api/v1/secrets/{name}",
		Summary: "Delete a secret", Tags: []string{"secrets"}, DefaultStatus: http.StatusNoContent,
		Description: "Tasks that refer to it fail when they are dispatched, naming it.",
	}, func(ctx context.Context, in *deleteSecretInput) (*struct{}, error) {
		if err := s.engine.DeleteSecret(ctx, in.Name, actorOf(ctx)); err != nil {
			return nil, s.apiError(ctx, err)
		}
		return nil, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "rotate-secrets", Method: http.MethodPost, Path: "/api/v1/secrets/rotate",
		Summary: "Re-encrypt every secret under the current key", Tags: []string{"secrets"},
		Description: "Secrets sealed under an older key of this server's key ring are re-encrypted under its " +
			"current key; those whose key it lacks are listed as failed (nothing is lost).",
	}, func(ctx context.Context, in *rotateSecretsInput) (*rotationOutput, error) {
		rot, err := s.engine.RotateSecrets(ctx, actorOf(ctx))
		if err != nil {
			return nil, s.apiError(ctx, err)
		}
		out := client.SecretRotation{KeyID: rot.KeyID, Rotated: rot.Rotated, Current: rot.Current,
			Failed: rot.Failed, Error: rot.FailedErr}
		if out.Rotated == nil {
			out.Rotated = []string{}
		}
		return &rotationOutput{Body: out}, nil
	})
}

func toSecret(s engine.SecretInfo) client.Secret {
	return client.Secret{Name: s.Name, KeyID: s.KeyID, CreatedAt: ms(s.CreatedAt), CreatedBy: s.CreatedBy,
		UpdatedAt: ms(s.UpdatedAt), UpdatedBy: s.UpdatedBy}
}
