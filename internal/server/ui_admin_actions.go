package server

import (
	"context"

	"github.com/baton-sched/baton/client"
	"github.com/baton-sched/baton/internal/ui"
)

// The administration forms of the UI, with the API operations' own
// functions (permissions: ui_actions.go).
var _ ui.AdminActions = uiActions{}

func (a uiActions) SetSlot(ctx context.Context, name string, size int64, description string) error {
	_, err := a.s.setSlot(ctx, &setSlotInput{Name: name, Body: client.Slot{Size: size, Description: description}})
	return actionErr(err)
}

func (a uiActions) DeleteSlot(ctx context.Context, name string) error {
	_, err := a.s.deleteSlot(ctx, &deleteSlotInput{Name: name})
	return actionErr(err)
}

func (a uiActions) CreateToken(ctx context.Context, t client.NewToken) (client.CreatedToken, error) {
	out, err := a.s.createToken(ctx, &newTokenInput{Body: t})
	if err != nil {
		return client.CreatedToken{}, actionErr(err)
	}
	return out.Body, nil
}

func (a uiActions) RevokeToken(ctx context.Context, name string) error {
	_, err := a.s.revokeToken(ctx, &tokenNameInput{Name: name})
	return actionErr(err)
}

func (a uiActions) DeleteAlertChannel(ctx context.Context, name string) error {
	_, err := a.s.deleteChannel(ctx, &deleteChannelInput{Name: name})
	return actionErr(err)
}

func (a uiActions) SetAlertChannel(ctx context.Context, name string, c client.AlertChannel) (client.AlertChannel, error) {
	out, err := a.s.setChannel(ctx, &setChannelInput{Name: name, Body: c})
	if err != nil {
		return client.AlertChannel{}, actionErr(err)
	}
	return out.Body, nil
}

func (a uiActions) CreateUser(ctx context.Context, u client.NewUser) error {
	_, err := a.s.createUser(ctx, &newUserInput{Body: u})
	return actionErr(err)
}

func (a uiActions) DeleteUser(ctx context.Context, name string) error {
	_, err := a.s.deleteUser(ctx, &userNameInput{Name: name})
	return actionErr(err)
}

func (a uiActions) SetUserDisabled(ctx context.Context, name string, disabled bool) error {
	_, err := a.s.updateUser(ctx, name, client.UserUpdate{Disabled: &disabled})
	return actionErr(err)
}
