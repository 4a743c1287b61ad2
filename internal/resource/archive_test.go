package resource

import (
	"archive/tar"
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func tarOf(t *testing.T, hs ...tar.Header) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, h := range hs {
		if h.Typeflag == tar.TypeReg {
			h.Size = int64(len(h.Linkname))
		}
		body := h.Linkname
		if h.Typeflag == tar.TypeReg {
			h.Linkname = ""
		}
		if err := tw.WriteHeader(&h); err != nil {
			t.Fatal(err)
		}
		if h.Typeflag == tar.TypeReg {
			if _, err := tw.Write([]byte(body)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// reg is a regular file entry; its content rides in Linkname.
func reg(name, content string, mode int64) tar.Header {
	return tar.Header{Typeflag: tar.TypeReg, Name: name, Linkname: content, Mode: mode}
}

func TestPackDirRoundTrip(t *testing.T) {
	src := t.TempDir()
	if err := os.MkdirAll(filepath.Join(src, "lib"), 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(src, "run.sh"), []byte("#!/bin/sh\necho run\n"), 0o750)
	os.WriteFile(filepath.Join(src, "lib", "data.txt"), []byte("data"), 0o640)
	var up bytes.Buffer
	if err := WriteDir(&up, src); err != nil {
		t.Fatal(err)
	}
	archive, info, err := PackTar(bytes.NewReader(up.Bytes()), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if info.Kind != "dir" || info.Files != 2 || info.Size != int64(len("#!/bin/sh\necho run\n")+4) || len(info.Sha256) != 64 {
		t.Errorf("info %+v", info)
	}
	// Same content in another order, other owners and times: same archive.
	again, info2, err := PackTar(bytes.NewReader(tarOf(t, reg("./lib/data.txt", "data", 0o600),
		tar.Header{Typeflag: tar.TypeDir, Name: "./", Mode: 0o700},
		reg("run.sh", "#!/bin/sh\necho run\n", 0o700))), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if info2.Sha256 != info.Sha256 || !bytes.Equal(again, archive) {
		t.Errorf("the same tree packed twice differs: %s vs %s", info2.Sha256, info.Sha256)
	}
	dst := filepath.Join(t.TempDir(), "x")
	if err := Unpack(bytes.NewReader(archive), dst); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]os.FileMode{"run.sh": 0o555, "lib/data.txt": 0o444, "lib": 0o555 | os.ModeDir, ".": 0o555 | os.ModeDir} {
		st, err := os.Stat(filepath.Join(dst, name))
		if err != nil || st.Mode() != want {
			t.Errorf("%s: mode %v (%v), want %v", name, st.Mode(), err, want)
		}
	}
	cp := filepath.Join(t.TempDir(), "y")
	if err := CopyTree(dst, cp); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(cp, "lib", "data.txt")); err != nil || string(b) != "data" {
		t.Errorf("copy: %q %v", b, err)
	}
	if st, err := os.Stat(filepath.Join(cp, "run.sh")); err != nil || st.Mode() != 0o555 {
		t.Errorf("copied script mode %v %v", st.Mode(), err)
	}
}

func TestPackRefuses(t *testing.T) {
	tests := []struct {
		name string
		tar  []byte
		want string
	}{
		{"dot dot", tarOf(t, reg("a/../../etc/passwd", "x", 0o644)), "goes up"},
		{"absolute", tarOf(t, reg("/etc/passwd", "x", 0o644)), "absolute"},
		{"symlink", tarOf(t, tar.Header{Typeflag: tar.TypeSymlink, Name: "l", Linkname: "/etc/passwd"}), "is a link"},
		{"hard link", tarOf(t, reg("a", "x", 0o644), tar.Header{Typeflag: tar.TypeLink, Name: "b", Linkname: "a"}), "is a link"},
		{"device", tarOf(t, tar.Header{Typeflag: tar.TypeChar, Name: "null"}), "not a regular file"},
		{"twice", tarOf(t, reg("a", "x", 0o644), reg("./a", "y", 0o644)), "given twice"},
		{"file and dir", tarOf(t, reg("a", "x", 0o644), reg("a/b", "y", 0o644)), "a file and a directory"},
		{"empty", tarOf(t), "holds no file"},
		{"not tar", []byte(strings.Repeat("x", 1024)), "not a tar archive"},
	}
	for _, tt := range tests {
		_, _, err := PackTar(bytes.NewReader(tt.tar), Limits{})
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want an invalid error with %q", tt.name, err, tt.want)
		}
	}
}

func TestPackLimits(t *testing.T) {
	_, _, err := PackTar(bytes.NewReader(tarOf(t, reg("a", "12345", 0o644), reg("b", "678901", 0o644))), Limits{MaxBytes: 10})
	var le *LimitError
	if !errors.As(err, &le) || le.Limit != "max_resource_bytes" || !strings.Contains(err.Error(), "max_resource_bytes") {
		t.Errorf("over the byte limit: %v", err)
	}
	_, _, err = PackTar(bytes.NewReader(tarOf(t, reg("a", "1", 0o644), reg("b", "2", 0o644))), Limits{MaxFiles: 1})
	if !errors.As(err, &le) || le.Limit != "max_resource_files" {
		t.Errorf("over the file limit: %v", err)
	}
	_, _, err = PackFile(strings.NewReader("12345678901"), false, Limits{MaxBytes: 10})
	if !errors.As(err, &le) || le.Max != 10 {
		t.Errorf("file over the limit: %v", err)
	}
	archive, info, err := PackFile(strings.NewReader("#!/bin/sh\n"), true, Limits{})
	if err != nil || info.Kind != "file" || info.Files != 1 {
		t.Fatalf("file: %+v %v", info, err)
	}
	dst := filepath.Join(t.TempDir(), "f")
	if err := Unpack(bytes.NewReader(archive), dst); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(filepath.Join(dst, FileEntry)); err != nil || st.Mode() != 0o555 {
		t.Errorf("unpacked file: %v %v", st.Mode(), err)
	}
}

func TestWriteDirRefusesSymlink(t *testing.T) {
	src := t.TempDir()
	if err := os.Symlink("/etc/passwd", filepath.Join(src, "pw")); err != nil {
		t.Skip(err)
	}
	var buf bytes.Buffer
	if err := WriteDir(&buf, src); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("symlink archived: %v", err)
	}
}
