package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/baton-sched/baton/client"
	"github.com/baton-sched/baton/internal/version"
)

// versionReport is `baton version -o json`: this binary's build and, with
// --remote, the answering server's.
type versionReport struct {
	Client client.BuildInfo  `json:"client"`
	Server *client.BuildInfo `json:"server,omitempty"`
}

func newVersionCmd(g *globals) *cobra.Command {
	var remote bool
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print the version, commit, build date and Go version of this binary",
		Long: "Prints this binary's version, commit, build date and Go version (the same as baton --version).\n" +
			"With --remote, also the version of the server that answers (GET /api/v1/version).",
		Example: "  baton version\n  baton version --remote -o json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := g.checkOutput(); err != nil {
				return err
			}
			rep := versionReport{Client: localBuild()}
			if remote {
				c, err := g.client()
				if err != nil {
					return err
				}
				b, err := c.Version(cmd.Context())
				if err != nil {
					return fmt.Errorf("ask the server its version: %w", err)
				}
				rep.Server = &b
			}
			if g.jsonOutput() {
				return printJSON(cmd.OutOrStdout(), rep)
			}
			w := cmd.OutOrStdout()
			writeBuild(w, "baton", rep.Client)
			if rep.Server != nil {
				writeBuild(w, "server", *rep.Server)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&remote, "remote", false, "also print the version of the server that answers")
	return cmd
}

// localBuild is this binary's build information.
func localBuild() client.BuildInfo {
	v := version.Get()
	return client.BuildInfo{Version: v.Version, Commit: v.Commit, Date: v.Date, GoVersion: v.GoVersion,
		Platform: v.Platform}
}

// writeBuild prints a build as `baton version` does.
func writeBuild(w io.Writer, who string, b client.BuildInfo) {
	fmt.Fprintf(w, "%s %s\n  commit: %s\n  built:  %s\n  go:     %s %s\n", who, b.Version, b.Commit, b.Date,
		b.GoVersion, b.Platform)
}

// versionText is what `baton --version` prints: the same as `baton version`.
func versionText() string {
	var b strings.Builder
	writeBuild(&b, "baton", localBuild())
	return b.String()
}
