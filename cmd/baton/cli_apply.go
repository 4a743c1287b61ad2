package main

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/baton-sched/baton/client"
	"github.com/baton-sched/baton/internal/workflow"
)

// definitionExts are the file extensions apply reads from a directory.
var definitionExts = []string{".yaml", ".yml", ".json"}

func newApplyCmd(g *globals) *cobra.Command {
	var paths []string
	var dryRun bool
	cmd := &cobra.Command{
		Use:   "apply [-f] FILE|DIR [FILE|DIR ...]",
		Short: "Create or update workflows from definition files, all or none",
		Long: "Reads workflow definitions (YAML or JSON, one workflow per file) and applies them in one\n" +
			"request: the server validates every file first and stores nothing if any is invalid.\n" +
			"A directory stands for its .yaml, .yml and .json files (not its subdirectories), in name\n" +
			"order; \"-\" reads one definition from standard input. A changed definition becomes a new\n" +
			"version; runs keep the version they started with. With --dry-run the server checks\n" +
			"everything the same way and prints what would change (new version or unchanged, schedules\n" +
			"added, changed or removed), storing nothing. To check files without a server: baton validate.",
		Example: "  baton apply -f examples/hello.yaml\n" +
			"  baton apply -f examples/ -f more/etl.yaml\n" +
			"  baton apply examples/hello.yaml   # -f may be left out\n" +
			"  cat hello.yaml | baton apply -f -\n" +
			"  baton apply --dry-run -f examples/",
		RunE: func(cmd *cobra.Command, args []string) error {
			paths := append(paths, args...)
			if len(paths) == 0 {
				return fmt.Errorf("apply: name the definitions with -f FILE|DIR")
			}
			files, err := readDefinitions(paths, cmd.InOrStdin())
			if err != nil {
				return err
			}
			c, err := g.client()
			if err != nil {
				return err
			}
			apply := c.Apply
			if dryRun {
				apply = c.ApplyDryRun
			}
			applied, err := apply(cmd.Context(), files)
			var apiErr *client.Error
			if errors.As(err, &apiErr) && apiErr.Status == http.StatusRequestEntityTooLarge {
				return fmt.Errorf("%w\n  the largest file: %s", err, largestFile(files))
			}
			if err != nil {
				return err
			}
			if g.jsonOutput() {
				return printJSON(cmd.OutOrStdout(), applied)
			}
			if dryRun {
				printDryRun(cmd.OutOrStdout(), applied)
				return nil
			}
			for _, a := range applied {
				if a.Changed {
					fmt.Fprintf(cmd.OutOrStdout(), "%s: created version %d\n", a.Workflow, a.Version)
				} else {
					fmt.Fprintf(cmd.OutOrStdout(), "%s: unchanged (version %d)\n", a.Workflow, a.Version)
				}
			}
			return nil
		},
	}
	cmd.Flags().StringArrayVarP(&paths, "filename", "f", nil, "definition file or directory (repeatable; - for stdin)")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "check and print what would change, storing nothing")
	return cmd
}

// largestFile names the biggest of files and its size, for a request the
// server refused as too large.
func largestFile(files []client.SourceFile) string {
	big := slices.MaxFunc(files, func(a, b client.SourceFile) int { return len(a.Content) - len(b.Content) })
	return fmt.Sprintf("%s (%.1f MiB)", big.Filename, float64(len(big.Content))/(1<<20))
}

// readDefinitions reads the files named by paths, expanding directories.
func readDefinitions(paths []string, stdin io.Reader) ([]client.SourceFile, error) {
	var files []client.SourceFile
	for _, p := range paths {
		if p == "-" {
			data, err := io.ReadAll(stdin)
			if err != nil {
				return nil, fmt.Errorf("read definition from stdin: %w", err)
			}
			if err := workflow.CheckText("stdin", data); err != nil {
				return nil, err
			}
			files = append(files, client.SourceFile{Filename: "stdin", Content: string(data)})
			continue
		}
		names, err := definitionFiles(p)
		if err != nil {
			return nil, err
		}
		for _, name := range names {
			data, err := os.ReadFile(name)
			if err != nil {
				return nil, fmt.Errorf("read definition: %w", err)
			}
			if err := workflow.CheckText(name, data); err != nil {
				return nil, err
			}
			files = append(files, client.SourceFile{Filename: name, Content: string(data)})
		}
	}
	return files, nil
}

// definitionFiles returns path itself for a file, or a directory's
// definition files in name order.
func definitionFiles(path string) ([]string, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("read definition: %w", err)
	}
	if !info.IsDir() {
		return []string{path}, nil
	}
	entries, err := os.ReadDir(path)
	if err != nil {
		return nil, fmt.Errorf("read definitions: %w", err)
	}
	var names []string // ReadDir sorts by name
	for _, e := range entries {
		name := filepath.Join(path, e.Name())
		if !slices.Contains(definitionExts, strings.ToLower(filepath.Ext(name))) {
			continue
		}
		if fi, err := os.Stat(name); err == nil && fi.Mode().IsRegular() { // symlinks followed
			names = append(names, name)
		}
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("read definitions: no .yaml, .yml or .json files in %s", path)
	}
	return names, nil
}
