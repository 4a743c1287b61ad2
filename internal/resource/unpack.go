package resource

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
)

// Unpack writes the archive's entries under dir, which must not exist,
// checking each path again; files and directories end read-only (0444,
// 0555). On error dir may hold part of the archive: unpack into a
// temporary directory and rename it.
func Unpack(r io.Reader, dir string) error {
	if err := os.Mkdir(dir, 0o755); err != nil {
		return fmt.Errorf("unpack resource: %w", err)
	}
	tr := tar.NewReader(r)
	var dirs []string
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return invalid("not a tar archive: %v", err)
		}
		name, err := CleanPath(h.Name)
		if err != nil {
			return err
		}
		if name == "" {
			continue
		}
		target := filepath.Join(dir, filepath.FromSlash(name))
		switch h.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(target, 0o755); err != nil {
				return fmt.Errorf("unpack resource: %w", err)
			}
			dirs = append(dirs, target)
		case tar.TypeReg:
			if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
				return fmt.Errorf("unpack resource: %w", err)
			}
			if err := writeFile(target, tr, h.Size, h.Mode&0o111 != 0); err != nil {
				return err
			}
		default:
			return invalid("%q is not a regular file or a directory", name)
		}
	}
	// Deepest first, so that a parent turns read-only after its children.
	slices.SortFunc(dirs, func(a, b string) int { return len(b) - len(a) })
	for _, d := range append(dirs, dir) {
		if err := os.Chmod(d, 0o555); err != nil {
			return fmt.Errorf("unpack resource: %w", err)
		}
	}
	return nil
}

func writeFile(target string, r io.Reader, size int64, exec bool) error {
	f, err := os.OpenFile(target, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return fmt.Errorf("unpack resource: %w", err)
	}
	n, err := io.Copy(f, io.LimitReader(r, size))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil && n != size {
		err = io.ErrUnexpectedEOF
	}
	if err != nil {
		return fmt.Errorf("unpack resource: %s: %w", target, err)
	}
	mode := fs.FileMode(0o444)
	if exec {
		mode = 0o555
	}
	if err := os.Chmod(target, mode); err != nil {
		return fmt.Errorf("unpack resource: %w", err)
	}
	return nil
}

// CopyTree copies src (a file or a directory unpacked by Unpack) to dst,
// which must not exist, keeping the read-only modes.
func CopyTree(src, dst string) error {
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		info, err := d.Info()
		if err != nil {
			return err
		}
		switch {
		case d.IsDir():
			return os.Mkdir(target, 0o755)
		case d.Type().IsRegular():
			in, err := os.Open(p)
			if err != nil {
				return err
			}
			defer in.Close()
			return writeFile(target, in, info.Size(), info.Mode()&0o111 != 0)
		}
		return invalid("%q is not a regular file or a directory", rel)
	})
	if err != nil {
		return fmt.Errorf("copy resource: %w", err)
	}
	// Directories read-only once filled, deepest first.
	var dirs []string
	_ = filepath.WalkDir(dst, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			dirs = append(dirs, p)
		}
		return nil
	})
	slices.SortFunc(dirs, func(a, b string) int { return len(b) - len(a) })
	for _, d := range dirs {
		if err := os.Chmod(d, 0o555); err != nil {
			return fmt.Errorf("copy resource: %w", err)
		}
	}
	return nil
}

// WriteDir writes a tar archive of the directory root (paths relative to
// it) for PackTar; a symlink, device or other special file is refused,
// naming it.
func WriteDir(w io.Writer, root string) error {
	tw := tar.NewWriter(w)
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, p)
		if err != nil || rel == "." {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		name := filepath.ToSlash(rel)
		switch {
		case d.IsDir():
			return tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: name + "/", Mode: 0o755})
		case !d.Type().IsRegular():
			return fmt.Errorf("%s is not a regular file or a directory (links are not stored: put the file itself)", p)
		}
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: int64(info.Mode().Perm()),
			Size: info.Size()}); err != nil {
			return err
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		_, err = io.CopyN(tw, f, info.Size())
		return err
	})
	if err != nil {
		return fmt.Errorf("archive %s: %w", root, err)
	}
	return tw.Close()
}

// RemoveAll removes path like os.RemoveAll, first making its directories
// writable again (resources are materialised read-only, which would keep
// their entries from being removed by anyone but root).
func RemoveAll(path string) error {
	_ = filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			_ = os.Chmod(p, 0o755)
		}
		return nil
	})
	return os.RemoveAll(path)
}
