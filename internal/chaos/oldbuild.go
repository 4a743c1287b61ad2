package chaos

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// OldVersion is the version a build of BuildCommit reports (its workers
// register with it): a pseudo-version naming the commit, which
// version.Compatible accepts with any server.
func OldVersion(commit string) string { return "v0.0.0-" + commit }

// BuildCommit builds the baton binary of a commit of the repository that
// holds dir, for a mixed-version cluster. The source comes from `git
// archive` (the repository's work tree is not touched); the binary is
// kept in cacheDir under the commit's full hash and built once.
func BuildCommit(ctx context.Context, dir, commit, cacheDir string) (string, error) {
	top, err := git(ctx, dir, "rev-parse", "--show-toplevel")
	if err != nil {
		return "", fmt.Errorf("workers_commit %s: %s is not in a git repository: %w", commit, dir, err)
	}
	dir = strings.TrimSpace(top) // git archive in a subdirectory archives only that
	full, err := git(ctx, dir, "rev-parse", "--verify", commit+"^{commit}")
	if err != nil {
		return "", fmt.Errorf("workers_commit %s: not a commit of the repository at %s: %w", commit, dir, err)
	}
	full = strings.TrimSpace(full)
	bin := filepath.Join(cacheDir, full, "baton")
	if _, err := os.Stat(bin); err == nil {
		return bin, nil
	}
	src, err := os.MkdirTemp("", "baton-src-"+full[:12]+"-")
	if err != nil {
		return "", fmt.Errorf("build %s: %w", commit, err)
	}
	defer os.RemoveAll(src)
	archive, err := git(ctx, dir, "archive", "--format=tar", full)
	if err != nil {
		return "", fmt.Errorf("build %s: git archive: %w", commit, err)
	}
	if err := untar(strings.NewReader(archive), src); err != nil {
		return "", fmt.Errorf("build %s: unpack: %w", commit, err)
	}
	if err := os.MkdirAll(filepath.Dir(bin), 0o755); err != nil {
		return "", fmt.Errorf("build %s: %w", commit, err)
	}
	// A name of this process's own, then renamed: two harnesses building
	// the same commit at once both end with a whole binary.
	tmp := fmt.Sprintf("%s.tmp-%d", bin, os.Getpid())
	build := exec.CommandContext(ctx, "go", "build", "-trimpath", "-o", tmp,
		"-ldflags", "-X github.com/baton-sched/baton/internal/version.version="+OldVersion(commit)+
			" -X github.com/baton-sched/baton/internal/version.commit="+full,
		"./cmd/baton")
	build.Dir = src
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build %s: %w\n%s", commit, err, out)
	}
	if err := os.Rename(tmp, bin); err != nil {
		return "", fmt.Errorf("build %s: %w", commit, err)
	}
	return bin, nil
}

func git(ctx context.Context, dir string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "git", append([]string{"-C", dir}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("git %s: %w: %s", args[0], err, strings.TrimSpace(stderr.String()))
	}
	return string(out), nil
}

// untar writes the regular files and directories of a tar stream into dir.
func untar(r io.Reader, dir string) error {
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		path := filepath.Join(dir, filepath.FromSlash(h.Name))
		if !strings.HasPrefix(path, dir+string(filepath.Separator)) {
			continue // pax headers and anything outside dir
		}
		switch h.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(path, 0o755); err != nil {
				return err
			}
		case tar.TypeReg:
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				return err
			}
			f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
			if err != nil {
				return err
			}
			_, err = io.Copy(f, tr)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return err
			}
		}
	}
}
