package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/baton-sched/baton/client"
	"github.com/baton-sched/baton/internal/auth"
	"github.com/baton-sched/baton/internal/store"
)

type userNameInput struct {
	Name string `path:"name" doc:"User name"`
}

type newUserInput struct{ Body client.NewUser }

type updateUserInput struct {
	Name string `path:"name" doc:"User name"`
	Body client.UserUpdate
}

type userPasswordInput struct {
	Name string `path:"name" doc:"User name"`
	Body client.NewPassword
}

type changePasswordInput struct{ Body client.PasswordChange }

type userOutput struct{ Body client.User }

type usersOutput struct{ Body []client.User }

// registerUsers serves the local users: admins create, list, change and
// delete them; a user changes their own password. Passwords go in, never
// out; events name the actor and the user, never a password.
func (s *Server) registerUsers(api huma.API) {
	tag := []string{"auth"}
	huma.Register(api, huma.Operation{
		OperationID: "list-users", Method: http.MethodGet, Path: "/api/v1/users",
		Summary: "List the local users (never their passwords)", Tags: tag,
	}, func(ctx context.Context, _ *struct{}) (*usersOutput, error) {
		us, err := s.listUsers(ctx)
		if err != nil {
			return nil, s.apiError(ctx, err)
		}
		return &usersOutput{Body: us}, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "create-user", Method: http.MethodPost, Path: "/api/v1/users",
		Summary: "Create a local user who logs in to the web UI with a password", Tags: tag,
		DefaultStatus: http.StatusCreated, Description: "409 if the name is taken.",
	}, s.createUser)

	huma.Register(api, huma.Operation{
		OperationID: "update-user", Method: http.MethodPatch, Path: "/api/v1/users/{name}",
		Summary: "Change a user's role, or disable or enable the user", Tags: tag,
		Description: "A new role or disabling ends the user's sessions on every server. 404 if there is no such user.",
	}, func(ctx context.Context, in *updateUserInput) (*userOutput, error) {
		if in.Body.Role == "" && in.Body.Disabled == nil {
			return nil, huma.Error422UnprocessableEntity("invalid request: nothing was changed",
				&huma.ErrorDetail{Location: "body", Message: "give role or disabled"})
		}
		if in.Body.Role != "" {
			if err := checkUserRole(in.Body.Role); err != nil {
				return nil, huma.Error422UnprocessableEntity("invalid request: nothing was changed",
					&huma.ErrorDetail{Location: "body.role", Message: err.Error()})
			}
		}
		u, err := s.updateUser(ctx, in.Name, in.Body)
		if err != nil {
			return nil, err
		}
		return &userOutput{Body: toUser(u)}, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "set-user-password", Method: http.MethodPut, Path: "/api/v1/users/{name}/password",
		Summary: "Set a user's password (an admin's reset)", Tags: tag, DefaultStatus: http.StatusNoContent,
		Description: "Ends the user's sessions on every server. 404 if there is no such user.",
	}, func(ctx context.Context, in *userPasswordInput) (*struct{}, error) {
		hash, err := hashPassword("body.password", in.Body.Password)
		if err != nil {
			return nil, err
		}
		return nil, s.setPassword(ctx, in.Name, hash, "password set by "+actorOf(ctx))
	})

	huma.Register(api, huma.Operation{
		OperationID: "change-password", Method: http.MethodPut, Path: "/api/v1/auth/password",
		Summary: "Change your own password (a local user's session)", Tags: tag, DefaultStatus: http.StatusNoContent,
		Description: "Needs the current password; counts as a failed login when it is wrong (login throttling). " +
			"Ends all the user's sessions, this one included.",
	}, func(ctx context.Context, in *changePasswordInput) (*struct{}, error) {
		p, _ := auth.From(ctx)
		if p.Kind != auth.KindUser {
			return nil, huma.Error409Conflict(p.Actor() + " is not a local user: only users have passwords")
		}
		if err := auth.CheckPassword(in.Body.Password); err != nil {
			return nil, huma.Error422UnprocessableEntity("invalid request: nothing was changed",
				&huma.ErrorDetail{Location: "body.password", Message: err.Error()})
		}
		if err := s.checkOldPassword(ctx, p.Name, in.Body.OldPassword); err != nil {
			return nil, err
		}
		hash, err := hashPassword("body.password", in.Body.Password)
		if err != nil {
			return nil, err
		}
		return nil, s.setPassword(ctx, p.Name, hash, "password changed by the user")
	})

	huma.Register(api, huma.Operation{
		OperationID: "delete-user", Method: http.MethodDelete, Path: "/api/v1/users/{name}",
		Summary: "Delete a user and end their sessions", Tags: tag, DefaultStatus: http.StatusNoContent,
		Description: "Every server refuses the user's sessions within a second. 404 if there is no such user.",
	}, s.deleteUser)
}

// checkNewUser checks a user request whole and hashes its password.
func checkNewUser(in client.NewUser) (store.NewUser, error) {
	var errs []error
	if err := auth.CheckUserName(in.Name); err != nil {
		errs = append(errs, &huma.ErrorDetail{Location: "body.name", Message: err.Error()})
	}
	if err := checkUserRole(in.Role); err != nil {
		errs = append(errs, &huma.ErrorDetail{Location: "body.role", Message: err.Error()})
	}
	if err := auth.CheckPassword(in.Password); err != nil {
		errs = append(errs, &huma.ErrorDetail{Location: "body.password", Message: err.Error()})
	}
	if len(errs) > 0 {
		return store.NewUser{}, huma.Error422UnprocessableEntity("invalid request: nothing was changed", errs...)
	}
	hash, err := hashPassword("body.password", in.Password)
	if err != nil {
		return store.NewUser{}, err
	}
	return store.NewUser{Name: in.Name, Role: in.Role, PasswordHash: hash}, nil
}

// checkUserRole refuses unknown roles and worker, which no person has.
func checkUserRole(role string) error {
	r, err := auth.ParseRole(role)
	if err != nil {
		return err
	}
	if r == auth.RoleWorker {
		return errors.New("role worker is for workers' join tokens, not for people (want viewer, operator, editor or admin)")
	}
	return nil
}

// hashPassword hashes a new password; 422 naming field if it is too
// short or too long.
func hashPassword(field, pw string) (string, error) {
	hash, err := auth.HashPassword(pw)
	if err != nil {
		return "", huma.Error422UnprocessableEntity("invalid request: nothing was changed",
			&huma.ErrorDetail{Location: field, Message: err.Error()})
	}
	return hash, nil
}

// updateUser applies a role change and/or disabling, ending the user's
// sessions if either changed anything.
func (s *Server) updateUser(ctx context.Context, name string, up client.UserUpdate) (store.User, error) {
	var u store.User
	err := s.engine.Store().InTx(ctx, func(tx store.Tx) error {
		old, err := tx.Users().ByName(ctx, name)
		if err != nil {
			return err
		}
		var changes []string
		if up.Role != "" && up.Role != old.Role {
			if _, err := tx.Users().SetRole(ctx, name, up.Role); err != nil {
				return err
			}
			changes = append(changes, "role "+old.Role+" -> "+up.Role)
		}
		if up.Disabled != nil {
			set, what := tx.Users().Enable, "enabled"
			if *up.Disabled {
				set, what = tx.Users().Disable, "disabled"
			}
			ok, err := set(ctx, name)
			if err != nil {
				return err
			}
			if ok {
				changes = append(changes, what)
			}
		}
		if len(changes) > 0 {
			if _, err := tx.Tokens().RevokeSessions(ctx, "user:"+name); err != nil {
				return err
			}
			if err := tx.Events().Insert(ctx, []store.NewEvent{{Kind: "user.updated", Actor: actorOf(ctx),
				Reason: "user " + name + ": " + strings.Join(changes, ", ")}}); err != nil {
				return err
			}
		}
		u, err = tx.Users().ByName(ctx, name)
		return err
	})
	if errors.Is(err, store.ErrNotFound) {
		return store.User{}, huma.Error404NotFound(fmt.Sprintf("no user %q", name))
	}
	if err != nil {
		return store.User{}, s.apiError(ctx, fmt.Errorf("update user %s: %w", name, err))
	}
	s.authn.flush()
	return u, nil
}

// setPassword stores a user's new password hash and ends their sessions.
func (s *Server) setPassword(ctx context.Context, name, hash, why string) error {
	var ok bool
	err := s.engine.Store().InTx(ctx, func(tx store.Tx) error {
		var err error
		if ok, err = tx.Users().SetPassword(ctx, name, hash); err != nil || !ok {
			return err
		}
		if _, err := tx.Tokens().RevokeSessions(ctx, "user:"+name); err != nil {
			return err
		}
		return tx.Events().Insert(ctx, []store.NewEvent{{Kind: "user.password", Actor: actorOf(ctx),
			Reason: "user " + name + ": " + why}})
	})
	if err != nil {
		return s.apiError(ctx, fmt.Errorf("set password of %s: %w", name, err))
	}
	if !ok {
		return huma.Error404NotFound(fmt.Sprintf("no user %q", name))
	}
	s.authn.flush()
	return nil
}

func toUser(u store.User) client.User {
	out := client.User{Name: u.Name, Role: u.Role, Disabled: u.DisabledAt != 0, CreatedBy: u.CreatedBy,
		CreatedAt: time.UnixMilli(u.CreatedAt).UTC(), UpdatedAt: time.UnixMilli(u.UpdatedAt).UTC()}
	if u.DisabledAt != 0 {
		t := time.UnixMilli(u.DisabledAt).UTC()
		out.DisabledAt = &t
	}
	return out
}

// createUser creates a local user.
func (s *Server) createUser(ctx context.Context, in *newUserInput) (*userOutput, error) {
	nu, err := checkNewUser(in.Body)
	if err != nil {
		return nil, err
	}
	nu.CreatedBy = actorOf(ctx)
	var u store.User
	err = s.engine.Store().InTx(ctx, func(tx store.Tx) error {
		if u, err = tx.Users().Insert(ctx, nu); err != nil {
			return err
		}
		return tx.Events().Insert(ctx, []store.NewEvent{{Kind: "user.created", Actor: actorOf(ctx),
			Reason: "user " + u.Name + " (role " + u.Role + ")"}})
	})
	if errors.Is(err, store.ErrConflict) {
		return nil, huma.Error409Conflict(fmt.Sprintf("user %q exists: delete it or choose another name", nu.Name))
	}
	if err != nil {
		return nil, s.apiError(ctx, fmt.Errorf("create user: %w", err))
	}
	return &userOutput{Body: toUser(u)}, nil
}

// deleteUser deletes a user and ends their sessions.
func (s *Server) deleteUser(ctx context.Context, in *userNameInput) (*struct{}, error) {
	var ok bool
	err := s.engine.Store().InTx(ctx, func(tx store.Tx) error {
		var err error
		if ok, err = tx.Users().Delete(ctx, in.Name); err != nil || !ok {
			return err
		}
		if _, err := tx.Tokens().RevokeSessions(ctx, "user:"+in.Name); err != nil {
			return err
		}
		return tx.Events().Insert(ctx, []store.NewEvent{{Kind: "user.deleted", Actor: actorOf(ctx),
			Reason: "user " + in.Name}})
	})
	if err != nil {
		return nil, s.apiError(ctx, fmt.Errorf("delete user: %w", err))
	}
	if !ok {
		return nil, huma.Error404NotFound(fmt.Sprintf("no user %q", in.Name))
	}
	s.authn.flush()
	return nil, nil
}

// listUsers returns the local users by name, never their passwords.
func (s *Server) listUsers(ctx context.Context) ([]client.User, error) {
	var us []store.User
	err := s.engine.Store().Read(ctx, func(tx store.Tx) error {
		var err error
		us, err = tx.Users().List(ctx)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	out := make([]client.User, len(us))
	for i, u := range us {
		out[i] = toUser(u)
	}
	return out, nil
}
