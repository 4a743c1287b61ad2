package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/baton-sched/baton/client"
	"github.com/baton-sched/baton/client/vocab"
	"github.com/baton-sched/baton/internal/resource"
)

func newResourcesCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:     "resources",
		Short:   "List the resource centre: each resource with its latest version",
		Example: "  baton resources\n  baton resources -o json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			list, err := c.Resources(cmd.Context())
			if err != nil {
				return err
			}
			if g.jsonOutput() {
				return printJSON(cmd.OutOrStdout(), list)
			}
			t := newTable(cmd.OutOrStdout(), "RESOURCE", "LATEST", "VERSIONS", "KIND", "FILES", "SIZE", "CREATED", "BY")
			for _, r := range list {
				l := r.Latest
				t.row(l.Name, strconv.FormatInt(l.Version, 10), strconv.FormatInt(r.Versions, 10), l.Kind,
					strconv.FormatInt(l.Files, 10), sizeOf(l.Size), timestamp(l.CreatedAt), l.CreatedBy)
			}
			return t.flush()
		},
	}
}

func newResourceCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "resource",
		Short: "Store files and directories centrally for tasks (resources: [NAME] in a workflow)",
		Long: "A resource is a file or a directory tree stored in the database; every put makes a new,\n" +
			"immutable version. A task that names it (resources: [NAME] or [NAME@VERSION]) finds it\n" +
			"read-only in its working directory: ./NAME for a file, ./NAME/ for a directory. A run\n" +
			"keeps the versions that were latest when it started.",
		Example: "  baton resource put scripts ./scripts/\n  baton resource put cleanup ./bin/clean.sh\n" +
			"  baton resource versions scripts\n  baton resource get scripts@2 ./scripts-v2",
	}
	put := &cobra.Command{
		Use:   "put NAME FILE|DIR",
		Short: "Store a new version of a resource: a file, or a directory tree",
		Long: "A directory is sent as a tar archive of its tree (links and special files are refused);\n" +
			"a file keeps its executable bit. Content already stored is not stored again.",
		Example: "  baton resource put scripts ./scripts/",
		Args:    cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			body, contentType, exec, err := readResource(args[1])
			if err != nil {
				return err
			}
			c, err := g.client()
			if err != nil {
				return err
			}
			r, err := c.PutResource(cmd.Context(), args[0], contentType, body, exec)
			if err != nil {
				return err
			}
			if g.jsonOutput() {
				return printJSON(cmd.OutOrStdout(), r)
			}
			cmd.Printf("resource %s: version %d (%s, %d files, %s, sha256 %s)\n", r.Name, r.Version, r.Kind, r.Files,
				sizeOf(r.Size), r.Sha256[:12])
			return nil
		},
	}
	versions := &cobra.Command{
		Use:     "versions NAME",
		Short:   "List the versions of a resource, newest first",
		Example: "  baton resource versions scripts",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			list, err := c.ResourceVersions(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if g.jsonOutput() {
				return printJSON(cmd.OutOrStdout(), list)
			}
			t := newTable(cmd.OutOrStdout(), "VERSION", "KIND", "FILES", "SIZE", "SHA256", "CREATED", "BY")
			for _, r := range list {
				t.row(strconv.FormatInt(r.Version, 10), r.Kind, strconv.FormatInt(r.Files, 10), sizeOf(r.Size),
					r.Sha256[:12], timestamp(r.CreatedAt), r.CreatedBy)
			}
			return t.flush()
		},
	}
	get := &cobra.Command{
		Use:     "get NAME[@VERSION] DEST",
		Short:   "Write a version (default: the latest) to DEST, which must not exist",
		Example: "  baton resource get scripts@2 ./scripts-v2",
		Args:    cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			name, ver, _ := strings.Cut(args[0], "@")
			var version int64
			if ver != "" {
				n, err := strconv.ParseInt(ver, 10, 64)
				if err != nil || n < 1 {
					return fmt.Errorf("version %q: want a number from 1", ver)
				}
				version = n
			}
			if _, err := os.Lstat(args[1]); err == nil {
				return fmt.Errorf("%s exists: give a new path", args[1])
			}
			c, err := g.client()
			if err != nil {
				return err
			}
			meta, err := c.ResourceVersion(cmd.Context(), name, version)
			if err != nil {
				return err
			}
			var archive bytes.Buffer
			if err := c.ResourceArchive(cmd.Context(), name, meta.Version, &archive); err != nil {
				return err
			}
			if err := writeResource(archive.Bytes(), meta.Kind, args[1]); err != nil {
				return err
			}
			cmd.Printf("resource %s version %d written to %s\n", meta.Name, meta.Version, args[1])
			return nil
		},
	}
	cmd.AddCommand(put, versions, get)
	return cmd
}

// readResource reads what `resource put` sends: a tar archive of a
// directory, or a file as it is.
func readResource(path string) (body []byte, contentType string, executable bool, err error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, "", false, err
	}
	if info.IsDir() {
		var buf bytes.Buffer
		if err := resource.WriteDir(&buf, path); err != nil {
			return nil, "", false, err
		}
		return buf.Bytes(), client.ContentTar, false, nil
	}
	if !info.Mode().IsRegular() {
		return nil, "", false, fmt.Errorf("%s is not a regular file or a directory", path)
	}
	body, err = os.ReadFile(path)
	return body, client.ContentFile, info.Mode()&0o111 != 0, err
}

// writeResource unpacks an archive at dest: the tree of a directory, the
// one file of a file resource.
func writeResource(archive []byte, kind, dest string) error {
	if kind != vocab.ResourceFile {
		return resource.Unpack(bytes.NewReader(archive), dest)
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dest), ".baton-resource-")
	if err != nil {
		return err
	}
	defer resource.RemoveAll(tmp)
	dir := filepath.Join(tmp, "x")
	if err := resource.Unpack(bytes.NewReader(archive), dir); err != nil {
		return err
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		return err
	}
	err = os.Rename(filepath.Join(dir, resource.FileEntry), dest)
	if errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("the archive holds no file")
	}
	return err
}

// sizeOf writes a byte count for people: 512 B, 1.5 KiB, 3.2 MiB.
func sizeOf(n int64) string {
	switch {
	case n < 1<<10:
		return fmt.Sprintf("%d B", n)
	case n < 1<<20:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	case n < 1<<30:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	}
	return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
}
