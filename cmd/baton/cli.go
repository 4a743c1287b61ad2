package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/baton-sched/baton/client"
)

// Exit codes of the client commands, besides 0 for success.
const (
	exitFailed  = 1 // any error; a refused request; a run waited for failed or was cancelled
	exitTimeout = 3 // `run --wait --timeout` gave up before the run finished (it goes on)
)

// pollInterval is how often waiting and following commands poll the API.
// Tests shorten it.
var pollInterval = 500 * time.Millisecond

// clientCommands are the CLI client commands of the HTTP API.
func clientCommands(g *globals) []*cobra.Command {
	cmds := []*cobra.Command{
		newApplyCmd(g),
		newRunCmd(g),
		newRunsCmd(g),
		newCancelCmd(g),
		newRerunCmd(g),
		newMarkCmd(g),
		newApproveCmd(g),
		newApprovalsCmd(g),
		newPauseCmd(g, "pause", "Pause a run: no task of it starts until it is resumed",
			"No task of the run starts while it is paused, including tasks that become ready meanwhile;\n"+
				"attempts already running finish and their results count."),
		newPauseCmd(g, "resume", "Resume a paused run", "Its waiting tasks may start again."),
		newLogsCmd(g),
		newSecretsCmd(g),
		newSecretCmd(g),
		newWorkersCmd(g),
		newZonesCmd(g),
		newZoneCmd(g),
		newServersCmd(g),
		newEventsCmd(g),
		newWorkflowsCmd(g),
		newWorkflowCmd(g),
		newSchedulesCmd(g),
		newScheduleCmd(g),
		newBackfillCmd(g),
		newAlertsCmd(g),
		newAlertCmd(g),
		newSlotsCmd(g),
		newSlotCmd(g),
		newResourcesCmd(g),
		newResourceCmd(g),
		newTokensCmd(g),
		newTokenCmd(g),
		newWhoamiCmd(g),
		newUsersCmd(g),
		newUserCmd(g),
		newLoginCmd(g),
		newAuthCmd(g),
		newBackupCmd(g),
		newWebhookCmd(g),
	}
	for _, c := range cmds {
		explainErrors(g, c)
	}
	return cmds
}

// explainErrors wraps the RunE of cmd and its subcommands: the -o value is
// checked first, and API errors are explained (see explainAPIError).
func explainErrors(g *globals, cmd *cobra.Command) {
	if run := cmd.RunE; run != nil {
		cmd.RunE = func(c *cobra.Command, args []string) error {
			if err := g.checkOutput(); err != nil {
				return err
			}
			return explainAPIError(c.ErrOrStderr(), g.clientTLSHint(run(c, args)))
		}
	}
	for _, sub := range cmd.Commands() {
		explainErrors(g, sub)
	}
}

// explainAPIError turns an API error into what a person needs: a refused
// request (an invalid definition, say) prints its problems one per line and
// exits 1; an unreachable server gets a hint on how to name the right one.
func explainAPIError(stderr io.Writer, err error) error {
	var apiErr *client.Error
	var tlsErr *client.TLSError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &tlsErr): // says what to fix already
		return err
	case errors.As(err, &apiErr) && len(apiErr.Errors) > 0:
		fmt.Fprintln(stderr, "error:", cmp.Or(apiErr.Detail, apiErr.Title))
		for _, d := range apiErr.Errors {
			fmt.Fprintln(stderr, "  "+problemLine(d))
		}
		return &exitError{code: exitFailed}
	case client.Unreachable(err) && !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("%w\n(is a Baton server running there? name it with --server or BATON_SERVER)", err)
	}
	return err
}

// problemLine renders one detail of a refused request: "file.yaml:3
// tasks[0].needs: cycle: a -> b -> a".
func problemLine(d client.ErrorDetail) string {
	if d.Location == "" || strings.Contains(d.Message, d.Location) {
		return d.Message
	}
	return d.Location + ": " + d.Message
}

// parseRunID reads a run ID argument.
func parseRunID(arg string) (int64, error) {
	id, err := strconv.ParseInt(strings.TrimPrefix(arg, "#"), 10, 64)
	if err != nil || id <= 0 {
		return 0, fmt.Errorf("run ID %q: want a positive number", arg)
	}
	return id, nil
}
