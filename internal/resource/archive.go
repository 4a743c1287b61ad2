package resource

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"path"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/baton-sched/baton/client/vocab"
)

// FileEntry is the one entry of a file resource's archive.
const FileEntry = "file"

// Default limits of one version.
const (
	DefaultMaxBytes = 64 << 20
	DefaultMaxFiles = 10000
	maxPathLen      = 1024
)

// Limits bound one version: the bytes of its files together and their
// count.
type Limits struct {
	MaxBytes int64
	MaxFiles int64
}

func (l Limits) withDefaults() Limits {
	if l.MaxBytes <= 0 {
		l.MaxBytes = DefaultMaxBytes
	}
	if l.MaxFiles <= 0 {
		l.MaxFiles = DefaultMaxFiles
	}
	return l
}

// ArchiveLimit is the most bytes an archive within l may take: the files,
// a header and padding for each, and the end marker.
func (l Limits) ArchiveLimit() int64 {
	l = l.withDefaults()
	return l.MaxBytes + 2*l.MaxFiles*1024 + 1<<20
}

// LimitError says which limit a version went past.
type LimitError struct {
	Limit string // max_resource_bytes or max_resource_files
	Max   int64
	Got   int64 // at least this much: counting stops past the limit
	What  string
}

func (e *LimitError) Error() string {
	return fmt.Sprintf("resource too large: more than %d %s, the limit %s", e.Max, e.What, e.Limit)
}

// ErrInvalid marks content refused for what it holds.
var ErrInvalid = errors.New("invalid resource content")

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))
}

// Info describes a packed version.
type Info struct {
	Kind   string // vocab.ResourceFile or vocab.ResourceDir
	Sha256 string // of the archive, hex
	Size   int64  // bytes of the files
	Files  int64
}

// entry is one file or directory of an archive being packed.
type entry struct {
	name string
	dir  bool
	exec bool
	data []byte
}

// PackFile packs one file's content (read up to the limit).
func PackFile(r io.Reader, executable bool, lim Limits) ([]byte, Info, error) {
	lim = lim.withDefaults()
	data, err := io.ReadAll(io.LimitReader(r, lim.MaxBytes+1))
	if err != nil {
		return nil, Info{}, fmt.Errorf("read resource: %w", err)
	}
	if int64(len(data)) > lim.MaxBytes {
		return nil, Info{}, &LimitError{Limit: "max_resource_bytes", Max: lim.MaxBytes, Got: int64(len(data)), What: "bytes"}
	}
	return pack(vocab.ResourceFile, []entry{{name: FileEntry, exec: executable, data: data}})
}

// PackTar reads a tar archive of a directory tree (from tar, bsdtar or
// WriteDir) and packs it. Entries "." and "./" prefixes are accepted;
// absolute paths, "..", links, devices and FIFOs are refused, and so is
// a path given twice. Parent directories need no entries of their own.
func PackTar(r io.Reader, lim Limits) ([]byte, Info, error) {
	lim = lim.withDefaults()
	tr := tar.NewReader(r)
	byName := map[string]*entry{}
	var size, files int64
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, Info{}, invalid("not a tar archive: %v", err)
		}
		name, err := CleanPath(h.Name)
		if err != nil {
			return nil, Info{}, err
		}
		if name == "" { // the root itself
			continue
		}
		var e entry
		switch h.Typeflag {
		case tar.TypeDir:
			e = entry{name: name, dir: true}
		case tar.TypeReg:
			files++
			if files > lim.MaxFiles {
				return nil, Info{}, &LimitError{Limit: "max_resource_files", Max: lim.MaxFiles, Got: files, What: "files"}
			}
			if size+h.Size > lim.MaxBytes {
				return nil, Info{}, &LimitError{Limit: "max_resource_bytes", Max: lim.MaxBytes, Got: size + h.Size, What: "bytes"}
			}
			data, err := io.ReadAll(io.LimitReader(tr, h.Size))
			if err != nil || int64(len(data)) != h.Size {
				return nil, Info{}, invalid("%q: truncated archive", name)
			}
			size += h.Size
			e = entry{name: name, exec: h.Mode&0o111 != 0, data: data}
		case tar.TypeSymlink, tar.TypeLink:
			return nil, Info{}, invalid("%q is a link: links are not stored, put the file itself", name)
		case tar.TypeXGlobalHeader:
			continue
		default:
			return nil, Info{}, invalid("%q is not a regular file or a directory (tar type %q)", name, h.Typeflag)
		}
		if prev, dup := byName[name]; dup {
			if prev.dir && e.dir {
				continue
			}
			return nil, Info{}, invalid("%q is given twice", name)
		}
		byName[name] = &e
	}
	// Parents of every entry, and no file under a file.
	for name := range byName {
		for dir := path.Dir(name); dir != "."; dir = path.Dir(dir) {
			p, ok := byName[dir]
			if !ok {
				byName[dir] = &entry{name: dir, dir: true}
				continue
			}
			if !p.dir {
				return nil, Info{}, invalid("%q is a file and a directory", dir)
			}
		}
	}
	if files == 0 {
		return nil, Info{}, invalid("the directory holds no file")
	}
	es := make([]entry, 0, len(byName))
	for _, e := range byName {
		es = append(es, *e)
	}
	return pack(vocab.ResourceDir, es)
}

// CleanPath checks an archive entry's path and returns it clean, relative
// ("" for the root).
func CleanPath(name string) (string, error) {
	switch {
	case !utf8.ValidString(name) || strings.ContainsAny(name, "\x00\\"):
		return "", invalid("path %q: not valid UTF-8, or holds a NUL or a backslash", name)
	case len(name) > maxPathLen:
		return "", invalid("path %.40q...: longer than %d bytes", name, maxPathLen)
	case strings.HasPrefix(name, "/"):
		return "", invalid("path %q is absolute: archive the directory's contents with relative paths", name)
	}
	for _, part := range strings.Split(strings.TrimSuffix(name, "/"), "/") {
		if part == ".." {
			return "", invalid("path %q goes up (..): refused", name)
		}
	}
	clean := path.Clean(name)
	if clean == "." {
		return "", nil
	}
	return clean, nil
}

// pack writes the archive of es, sorted, with fixed metadata.
func pack(kind string, es []entry) ([]byte, Info, error) {
	slices.SortFunc(es, func(a, b entry) int { return strings.Compare(a.name, b.name) })
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	info := Info{Kind: kind}
	for _, e := range es {
		h := &tar.Header{Name: e.name, ModTime: time.Unix(0, 0), Format: tar.FormatPAX}
		switch {
		case e.dir:
			h.Typeflag, h.Name, h.Mode = tar.TypeDir, e.name+"/", 0o555
		case e.exec:
			h.Typeflag, h.Mode, h.Size = tar.TypeReg, 0o555, int64(len(e.data))
		default:
			h.Typeflag, h.Mode, h.Size = tar.TypeReg, 0o444, int64(len(e.data))
		}
		if err := tw.WriteHeader(h); err != nil {
			return nil, Info{}, fmt.Errorf("pack resource: %w", err)
		}
		if !e.dir {
			if _, err := tw.Write(e.data); err != nil {
				return nil, Info{}, fmt.Errorf("pack resource: %w", err)
			}
			info.Size += int64(len(e.data))
			info.Files++
		}
	}
	if err := tw.Close(); err != nil {
		return nil, Info{}, fmt.Errorf("pack resource: %w", err)
	}
	sum := sha256.Sum256(buf.Bytes())
	info.Sha256 = hex.EncodeToString(sum[:])
	return buf.Bytes(), info, nil
}
