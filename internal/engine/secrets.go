package engine

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/baton-sched/baton/internal/secrets"
	"github.com/baton-sched/baton/internal/store"
	"github.com/baton-sched/baton/internal/workflow"
)

// MaxSecretBytes bounds a secret's value.
const MaxSecretBytes = 64 << 10

// SecretInfo is what anyone may know of a secret: never its value.
type SecretInfo struct {
	Name      string
	KeyID     string // the key that sealed the value
	CreatedAt int64
	CreatedBy string
	UpdatedAt int64
	UpdatedBy string
}

func secretInfo(s store.Secret) SecretInfo {
	return SecretInfo{Name: s.Name, KeyID: s.KeyID, CreatedAt: s.CreatedAt, CreatedBy: s.CreatedBy,
		UpdatedAt: s.UpdatedAt, UpdatedBy: s.UpdatedBy}
}

// ring returns the key ring, or an error saying this server has none.
func (e *Engine) ring() (*secrets.KeyRing, error) {
	if e.cfg.Secrets == nil {
		return nil, errors.New("this server has no secret key: set secret_key_file or BATON_SECRET_KEY")
	}
	return e.cfg.Secrets, nil
}

// SetSecret creates or replaces a secret, sealed under the current key.
// The event it records names the secret, never its value.
func (e *Engine) SetSecret(ctx context.Context, name, value, actor string) (SecretInfo, error) {
	var errs []string
	if !workflow.ValidSecretName(name) {
		errs = append(errs, fmt.Sprintf("name: %q: use letters, digits, _ and -, starting with a letter or _ (at most 100)", name))
	}
	switch {
	case value == "":
		errs = append(errs, "value: empty")
	case len(value) > MaxSecretBytes:
		errs = append(errs, fmt.Sprintf("value: %d bytes, at most %d", len(value), MaxSecretBytes))
	}
	if len(errs) > 0 {
		return SecretInfo{}, invalid("%s", strings.Join(errs, "; "))
	}
	ring, err := e.ring()
	if err != nil {
		return SecretInfo{}, &InvalidError{Err: err}
	}
	sealed, err := ring.Seal(name, value)
	if err != nil {
		return SecretInfo{}, err
	}
	var out store.Secret
	err = e.inTx(ctx, actor, func(o *op) (err error) {
		out, err = o.Secrets().Upsert(o.ctx, store.Secret{Name: name, KeyID: sealed.KeyID, Nonce: sealed.Nonce,
			Ciphertext: sealed.Ciphertext}, actor)
		if err != nil {
			return err
		}
		o.record(store.NewEvent{Kind: "secret.set", Reason: "secret " + name})
		return nil
	})
	if err != nil {
		return SecretInfo{}, fmt.Errorf("set secret %s: %w", name, err)
	}
	return secretInfo(out), nil
}

// DeleteSecret removes a secret. Tasks referring to it fail when they are
// dispatched (the reason names it).
func (e *Engine) DeleteSecret(ctx context.Context, name, actor string) error {
	err := e.inTx(ctx, actor, func(o *op) error {
		ok, err := o.Secrets().Delete(o.ctx, name)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("secret %s: %w", name, ErrNotFound)
		}
		o.record(store.NewEvent{Kind: "secret.deleted", Reason: "secret " + name})
		return nil
	})
	if err != nil {
		return fmt.Errorf("delete secret: %w", err)
	}
	return nil
}

// Secrets lists the secrets, without values.
func (e *Engine) Secrets(ctx context.Context) ([]SecretInfo, error) {
	var out []SecretInfo
	err := e.store.Read(ctx, func(tx store.Tx) error {
		list, err := tx.Secrets().List(ctx)
		out = out[:0]
		for _, s := range list {
			out = append(out, secretInfo(s))
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list secrets: %w", err)
	}
	return out, nil
}

// Rotation is the outcome of RotateSecrets.
type Rotation struct {
	KeyID     string   // the current key
	Rotated   []string // secrets re-sealed under it
	Current   int      // secrets that already were
	Failed    []string // secrets this server cannot open (their key is not in its ring)
	Changed   int      // secrets changed by someone else meanwhile (already current)
	FailedErr string   // why the first failure failed
}

// RotateSecrets re-seals, under the current key, every secret sealed under
// another key of the ring, one transaction each (a value changed
// meanwhile is left as it is). Values whose key this server lacks are
// listed, not lost.
func (e *Engine) RotateSecrets(ctx context.Context, actor string) (Rotation, error) {
	ring, err := e.ring()
	if err != nil {
		return Rotation{}, &InvalidError{Err: err}
	}
	list, err := e.listSealed(ctx)
	if err != nil {
		return Rotation{}, err
	}
	rot := Rotation{KeyID: ring.Current()}
	for _, s := range list {
		if s.KeyID == ring.Current() {
			rot.Current++
			continue
		}
		value, err := ring.Open(s.Name, secrets.Sealed{KeyID: s.KeyID, Nonce: s.Nonce, Ciphertext: s.Ciphertext})
		if err != nil {
			rot.Failed = append(rot.Failed, s.Name)
			if rot.FailedErr == "" {
				rot.FailedErr = err.Error()
			}
			continue
		}
		sealed, err := ring.Seal(s.Name, value)
		if err != nil {
			return rot, err
		}
		var ok bool
		err = e.inTx(ctx, actor, func(o *op) (err error) {
			ok, err = o.Secrets().Reseal(o.ctx, store.Secret{Name: s.Name, KeyID: sealed.KeyID, Nonce: sealed.Nonce,
				Ciphertext: sealed.Ciphertext}, s)
			if ok {
				o.record(store.NewEvent{Kind: "secret.rotated", Reason: fmt.Sprintf("secret %s: key %s -> %s",
					s.Name, s.KeyID, sealed.KeyID)})
			}
			return err
		})
		if err != nil {
			return rot, fmt.Errorf("rotate secret %s: %w", s.Name, err)
		}
		if ok {
			rot.Rotated = append(rot.Rotated, s.Name)
		} else {
			rot.Changed++
		}
	}
	return rot, nil
}

func (e *Engine) listSealed(ctx context.Context) ([]store.Secret, error) {
	var list []store.Secret
	err := e.store.Read(ctx, func(tx store.Tx) (err error) {
		list, err = tx.Secrets().List(ctx)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list secrets: %w", err)
	}
	return list, nil
}

// secretNames returns the names of the secrets when a source refers to
// any (nil otherwise), for Apply to check references against.
func (e *Engine) secretNames(ctx context.Context, sources []Source) (map[string]bool, error) {
	if !slices.ContainsFunc(sources, func(s Source) bool {
		return bytes.Contains(s.Text, []byte("secrets.")) || bytes.Contains(s.Text, []byte("connection")) // sql tasks
	}) {
		return nil, nil
	}
	list, err := e.listSealed(ctx)
	if err != nil {
		return nil, err
	}
	names := make(map[string]bool, len(list))
	for _, s := range list {
		names[s.Name] = true
	}
	return names, nil
}

// secretValues opens the secrets a node refers to, for the attempt being
// dispatched: values live only in its assignment.
func (o *op) secretValues(names []string) (map[string]string, error) {
	if len(names) == 0 {
		return nil, nil
	}
	out := make(map[string]string, len(names))
	for _, name := range names {
		s, err := o.Secrets().Get(o.ctx, name)
		if errors.Is(err, store.ErrNotFound) {
			continue // Render names the missing secret
		}
		if err != nil {
			return nil, err
		}
		ring, err := o.e.ring()
		if err != nil {
			return nil, &renderError{fmt.Errorf("secrets.%s: %w", name, err)}
		}
		v, err := ring.Open(name, secrets.Sealed{KeyID: s.KeyID, Nonce: s.Nonce, Ciphertext: s.Ciphertext})
		if err != nil {
			return nil, &renderError{err}
		}
		out[name] = v
	}
	return out, nil
}
