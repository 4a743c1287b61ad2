package main

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/baton-sched/baton/client"
	"github.com/baton-sched/baton/internal/workflow"
)

// addLifecycleCmds adds delete, disable and enable to `baton workflow`.
func addLifecycleCmds(g *globals, parent *cobra.Command) {
	var force bool
	del := &cobra.Command{
		Use:   "delete NAME",
		Short: "Delete a workflow and its schedules; its runs stay as history",
		Long: "Deletes the workflow and its schedules in one step. Its runs are kept (history) and can\n" +
			"still be listed and shown. A workflow with active runs (queued, running or paused) is refused\n" +
			"unless --force, which cancels them first. Applying the name again creates it anew, its\n" +
			"version numbers going on from the deleted one's.",
		Example: "  baton workflow delete nightly-etl\n  baton workflow delete nightly-etl --force",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			del, err := c.DeleteWorkflow(cmd.Context(), args[0], force)
			if err != nil {
				return err
			}
			if g.jsonOutput() {
				return printJSON(cmd.OutOrStdout(), del)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "workflow %s deleted", del.Workflow)
			if len(del.Schedules) > 0 {
				fmt.Fprintf(cmd.OutOrStdout(), "; schedules removed: %s", strings.Join(del.Schedules, ", "))
			}
			if len(del.Cancelled) > 0 {
				ids := make([]string, len(del.Cancelled))
				for i, id := range del.Cancelled {
					ids[i] = fmt.Sprint(id)
				}
				fmt.Fprintf(cmd.OutOrStdout(), "; runs cancelled: %s", strings.Join(ids, ", "))
			}
			fmt.Fprintln(cmd.OutOrStdout())
			return nil
		},
	}
	del.Flags().BoolVar(&force, "force", false, "cancel the workflow's active runs instead of refusing")
	parent.AddCommand(del)
	for _, action := range []struct {
		verb, short, long string
		disabled          bool
	}{
		{"disable", "Disable a workflow: its schedules stop firing, its runs cannot be started",
			"While a workflow is disabled its schedules skip their due times (one schedule.skipped event\n" +
				"each) and `baton run`, schedule triggers and backfills are refused. Runs already active go on.", true},
		{"enable", "Enable a disabled workflow again",
			"Its schedules fire again from their next due time on; due times skipped while it was\n" +
				"disabled are not caught up.", false},
	} {
		parent.AddCommand(&cobra.Command{
			Use:     action.verb + " NAME",
			Short:   action.short,
			Long:    action.long,
			Example: "  baton workflow " + action.verb + " nightly-etl",
			Args:    cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				c, err := g.client()
				if err != nil {
					return err
				}
				wf, err := c.SetWorkflowDisabled(cmd.Context(), args[0], action.disabled)
				if err != nil {
					return err
				}
				if g.jsonOutput() {
					return printJSON(cmd.OutOrStdout(), wf)
				}
				_, err = fmt.Fprintf(cmd.OutOrStdout(), "workflow %s %sd\n", wf.Name, action.verb)
				return err
			},
		})
	}
}

// printDryRun says what an apply would change.
func printDryRun(out io.Writer, applied []client.Applied) {
	for _, a := range applied {
		if !a.Changed {
			fmt.Fprintf(out, "%s: unchanged (version %d)\n", a.Workflow, a.Version)
			continue
		}
		what := fmt.Sprintf("would create version %d", a.Version)
		if a.Version == 1 {
			what = "new workflow, would create version 1"
		}
		fmt.Fprintf(out, "%s: %s\n", a.Workflow, what)
		for _, s := range a.Schedules {
			line := fmt.Sprintf("  schedule %s: %s", s.Name, s.Change)
			if s.Cron != "" {
				line += fmt.Sprintf(" (%s)", s.Cron)
			}
			if s.Next != nil {
				line += ", next due " + s.Next.UTC().Format(time.RFC3339)
			}
			fmt.Fprintln(out, line)
		}
	}
	fmt.Fprintln(out, "dry run: nothing was stored")
}

func newValidateCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "validate FILE|DIR [FILE|DIR ...]",
		Short: "Check workflow definitions offline, with the checks and messages of apply",
		Long: "Reads definitions as apply does (a directory stands for its .yaml, .yml and .json files,\n" +
			"\"-\" for standard input) and checks them as the server would: schema, fields, templates,\n" +
			"task graph (cycles, unknown needs), schedules, and one workflow per name. No server is\n" +
			"needed. One thing is not checked offline: whether the secrets a definition refers to exist;\n" +
			"they are listed, and apply checks them.",
		Example: "  baton validate examples/\n  baton validate etl.yaml more/*.yaml",
		Args:    cobra.MinimumNArgs(1),
		// Files, not names on a server: the shell's own completion.
		ValidArgsFunction: func(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
			return nil, cobra.ShellCompDirectiveDefault
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			files, err := readDefinitions(args, cmd.InOrStdin())
			if err != nil {
				return err
			}
			return validateFiles(cmd.OutOrStdout(), cmd.ErrOrStderr(), files)
		},
	}
}

// validateFiles checks definitions as the server's apply does and prints
// the problems as apply prints them.
func validateFiles(out, stderr io.Writer, files []client.SourceFile) error {
	var problems []string
	seen := map[string]string{}
	type ok struct {
		file, name string
		tasks      int
		secrets    []string
	}
	var valid []ok
	for _, f := range files {
		var secrets []string
		def, err := workflow.ParseWith(f.Filename, []byte(f.Content), workflow.Options{
			SecretExists: func(name string) bool { secrets = append(secrets, name); return true },
		})
		var ve *workflow.ValidationError
		switch {
		case errors.As(err, &ve):
			problems = append(problems, strings.Split(ve.Error(), "\n")...)
			continue
		case err != nil:
			problems = append(problems, err.Error())
			continue
		}
		if prev, dup := seen[def.Name]; dup { // the words of the server's apply
			problems = append(problems, fmt.Sprintf("%s: workflow %q is also defined in %s", f.Filename, def.Name, prev))
			continue
		}
		seen[def.Name] = f.Filename
		slices.Sort(secrets)
		valid = append(valid, ok{f.Filename, def.Name, len(def.Tasks), slices.Compact(secrets)})
	}
	if len(problems) > 0 {
		fmt.Fprintln(stderr, "error: invalid definition")
		for _, p := range problems {
			fmt.Fprintln(stderr, "  "+p)
		}
		return &exitError{code: exitFailed}
	}
	for _, v := range valid {
		fmt.Fprintf(out, "%s: valid (workflow %s, %d tasks)\n", v.file, v.name, v.tasks)
		if len(v.secrets) > 0 {
			fmt.Fprintf(out, "  not checked offline: secrets %s exist (apply checks)\n", strings.Join(v.secrets, ", "))
		}
	}
	return nil
}
