package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/baton-sched/baton/client"
	"github.com/baton-sched/baton/internal/auth"
)

func newUsersCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:     "users",
		Short:   "List local users: role, state, who created them (never passwords)",
		Example: "  baton users\n  baton users -o json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			list, err := c.Users(cmd.Context())
			if err != nil {
				return err
			}
			if g.jsonOutput() {
				return printJSON(cmd.OutOrStdout(), list)
			}
			t := newTable(cmd.OutOrStdout(), "USER", "ROLE", "STATE", "CREATED", "CREATED BY", "UPDATED")
			for _, u := range list {
				state := "enabled"
				if u.DisabledAt != nil {
					state = "disabled " + timestamp(*u.DisabledAt)
				}
				t.row(u.Name, u.Role, state, timestamp(u.CreatedAt), u.CreatedBy, timestamp(u.UpdatedAt))
			}
			return t.flush()
		},
	}
}

func newUserCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "user",
		Short: "Create, change and delete local users who log in to the web UI with a password",
		Long: "Roles: viewer, operator, editor or admin (see baton token). Passwords have 12 characters to\n" +
			"1024 bytes; the servers keep only an argon2id hash. A password is read from standard input\n" +
			"when it is piped, else asked for twice. A new role, disabling, a new password or deleting\n" +
			"ends the user's sessions on every server. See docs/security.md.",
		Example: "  baton user create alice --role operator\n  printf %s \"$PW\" | baton user create ci-viewer --role viewer\n" +
			"  baton user passwd alice\n  baton user update alice --role editor\n  baton user delete alice",
	}
	var role string
	create := &cobra.Command{
		Use:     "create NAME",
		Short:   "Create a user; the password is read from standard input or asked for",
		Example: "  baton user create alice --role operator\n  printf %s \"$PW\" | baton user create alice --role viewer",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkCLIUserRole(role); err != nil {
				return err
			}
			pw, err := readNewPassword(cmd)
			if err != nil {
				return err
			}
			c, err := g.client()
			if err != nil {
				return err
			}
			u, err := c.CreateUser(cmd.Context(), client.NewUser{Name: args[0], Role: role, Password: pw})
			if err != nil {
				return err
			}
			if g.jsonOutput() {
				return printJSON(cmd.OutOrStdout(), u)
			}
			cmd.Printf("user %s created (role %s)\n", u.Name, u.Role)
			return nil
		},
	}
	create.Flags().StringVar(&role, "role", "", "viewer, operator, editor or admin")
	_ = create.MarkFlagRequired("role")

	passwd := &cobra.Command{
		Use:     "passwd NAME",
		Short:   "Set a user's password (admin); ends the user's sessions",
		Example: "  baton user passwd alice\n  printf %s \"$PW\" | baton user passwd alice",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			pw, err := readNewPassword(cmd)
			if err != nil {
				return err
			}
			c, err := g.client()
			if err != nil {
				return err
			}
			if err := c.SetUserPassword(cmd.Context(), args[0], pw); err != nil {
				return err
			}
			cmd.Printf("password of %s set; their sessions ended\n", args[0])
			return nil
		},
	}

	var newRole string
	var disable, enable bool
	update := &cobra.Command{
		Use:     "update NAME",
		Short:   "Change a user's role, or disable or enable the user; ends the user's sessions",
		Example: "  baton user update alice --role editor\n  baton user update alice --disable",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var up client.UserUpdate
			switch {
			case disable && enable:
				return errors.New("--disable and --enable exclude each other")
			case disable || enable:
				up.Disabled = &disable
			}
			if newRole != "" {
				if err := checkCLIUserRole(newRole); err != nil {
					return err
				}
				up.Role = newRole
			}
			if up.Role == "" && up.Disabled == nil {
				return errors.New("nothing to change: give --role, --disable or --enable")
			}
			c, err := g.client()
			if err != nil {
				return err
			}
			u, err := c.UpdateUser(cmd.Context(), args[0], up)
			if err != nil {
				return err
			}
			if g.jsonOutput() {
				return printJSON(cmd.OutOrStdout(), u)
			}
			state := "enabled"
			if u.Disabled {
				state = "disabled"
			}
			cmd.Printf("user %s: role %s, %s\n", u.Name, u.Role, state)
			return nil
		},
	}
	update.Flags().StringVar(&newRole, "role", "", "the new role: viewer, operator, editor or admin")
	update.Flags().BoolVar(&disable, "disable", false, "refuse the user's logins and end their sessions")
	update.Flags().BoolVar(&enable, "enable", false, "allow the user's logins again")

	del := &cobra.Command{
		Use:     "delete NAME",
		Short:   "Delete a user and end their sessions on every server",
		Example: "  baton user delete alice",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			if err := c.DeleteUser(cmd.Context(), args[0]); err != nil {
				return err
			}
			cmd.Printf("user %s deleted\n", args[0])
			return nil
		},
	}
	cmd.AddCommand(create, passwd, update, del)
	return cmd
}

// checkCLIUserRole refuses a bad role before asking for a password.
func checkCLIUserRole(role string) error {
	r, err := auth.ParseRole(role)
	if err == nil && r == auth.RoleWorker {
		err = errors.New("role worker is for join tokens, not for people")
	}
	if err != nil {
		return fmt.Errorf("--role: %w", err)
	}
	return nil
}

// readNewPassword reads a new password: the first line of standard input
// when it is not a terminal, else asked for twice (the terminal shows it
// as typed: pipe it to keep it off the screen).
func readNewPassword(cmd *cobra.Command) (string, error) {
	in := bufio.NewReader(io.LimitReader(cmd.InOrStdin(), 2*(auth.MaxPasswordLen+2)))
	if !isTerminal(cmd.InOrStdin()) {
		pw, err := readPasswordLine(in)
		if err != nil {
			return "", err
		}
		if pw == "" {
			return "", errors.New("no password on standard input (printf %s \"$PASSWORD\" | baton user ...)")
		}
		return pw, auth.CheckPassword(pw)
	}
	cmd.PrintErrf("Password (%d characters or more; shown as typed, pipe it to hide it): ", auth.MinPasswordLen)
	pw, err := readPasswordLine(in)
	if err != nil {
		return "", err
	}
	if err := auth.CheckPassword(pw); err != nil {
		return "", err
	}
	cmd.PrintErr("Again: ")
	again, err := readPasswordLine(in)
	if err != nil {
		return "", err
	}
	if again != pw {
		return "", errors.New("the two passwords differ: nothing was changed")
	}
	return pw, nil
}

// readPasswordLine reads one line, without its line ending; spaces are
// part of a password and kept.
func readPasswordLine(in *bufio.Reader) (string, error) {
	line, err := in.ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read the password: %w", err)
	}
	return strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r"), nil
}

// isTerminal reports whether r is a terminal (a character device).
func isTerminal(r io.Reader) bool {
	f, ok := r.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
