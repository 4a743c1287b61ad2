package worker

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/baton-sched/baton/client"
)

// cut returns the chunks the shipper would send now, without sending.
func cut(l *logShipper) []client.NewLogChunk {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.cutLocked()
	var out []client.NewLogChunk
	for _, q := range l.queue {
		out = append(out, q.chunk)
	}
	return out
}

func newTestShipper(maxBytes int64) *logShipper {
	return newLogShipper(nil, Config{MaxLogBytes: maxBytes}.withDefaults(), nil, func(int64) {})
}

func TestLogShipperChunks(t *testing.T) {
	l := newTestShipper(0)
	l.open(1, "w-1", nil)
	l.write(1, "stdout", []byte("a"))
	l.write(1, "stdout", []byte("b"))
	l.write(1, "stderr", []byte("c"))
	l.write(1, "stdout", []byte("d"))
	l.write(2, "stdout", []byte("never opened"))
	var got []string
	for _, c := range cut(l) {
		got = append(got, c.Stream+":"+c.Data)
		if c.Seq != int64(len(got)) || c.AttemptID != 1 {
			t.Errorf("chunk %+v: want seq %d of attempt 1", c, len(got))
		}
	}
	if want := "stdout:ab stderr:c stdout:d"; strings.Join(got, " ") != want {
		t.Errorf("chunks %q, want %q", got, want)
	}
}

func TestLogShipperSplitsOnRuneBoundaries(t *testing.T) {
	l := newTestShipper(0)
	l.open(1, "w-1", nil)
	text := strings.Repeat("é", maxChunkBytes) // two bytes each
	data := []byte(text)
	// Written in pieces that split sequences, the last one unfinished.
	l.write(1, "stdout", data[:1001])
	l.write(1, "stdout", data[1001:len(data)-1])
	var sb strings.Builder
	for _, c := range cut(l) {
		if !utf8.ValidString(c.Data) || len(c.Data) > maxChunkBytes {
			t.Fatalf("chunk %d: %d bytes, valid UTF-8 %v", c.Seq, len(c.Data), utf8.ValidString(c.Data))
		}
		sb.WriteString(c.Data)
	}
	if sb.String() != text[:len(text)-2] {
		t.Fatalf("got %d bytes, want all but the unfinished rune", sb.Len())
	}
	l.write(1, "stdout", data[len(data)-1:])
	l.close(1)
	chunks := cut(l)
	if last := chunks[len(chunks)-1]; last.Data != "é" {
		t.Errorf("last chunk %q, want the finished rune", last.Data)
	}
}

// TestLogShipperKeepsHeadAndTail: past the head the shipper keeps the
// latest output and sends it when the attempt ends, after a line saying
// how much of the middle was dropped.
func TestLogShipperKeepsHeadAndTail(t *testing.T) {
	l := newTestShipper(80) // head and tail of 30 bytes
	l.open(1, "w-1", nil)
	l.write(1, "stdout", []byte(strings.Repeat("a", 20)))
	l.write(1, "stdout", []byte(strings.Repeat("b", 20)))
	l.write(1, "stdout", []byte(strings.Repeat("c", 25)))
	l.write(1, "stderr", []byte("the error\n"))
	var got []string
	for _, c := range cut(l) {
		got = append(got, c.Stream+":"+c.Data)
	}
	want := "stdout:" + strings.Repeat("a", 20) + strings.Repeat("b", 10) +
		"|stderr:\n[baton] output past 30 bytes: the middle is dropped, the last 30 bytes follow when the task ends\n"
	if strings.Join(got, "|") != want {
		t.Errorf("while running: %q, want %q", strings.Join(got, "|"), want)
	}
	l.close(1)
	got = got[:0]
	for _, c := range cut(l) {
		got = append(got, c.Stream+":"+c.Data)
	}
	want += "|stderr:[baton] 15 bytes of output dropped here\n|stdout:" + strings.Repeat("c", 20) + "|stderr:the error\n"
	if strings.Join(got, "|") != want {
		t.Errorf("at the end:\n%q\nwant\n%q", strings.Join(got, "|"), want)
	}
}

// TestLogShipperMasksSecrets: a secret's value is replaced with *** even
// when written in pieces, line by line for a multi-line value, in notes,
// and what was held back as a possible start of a secret is sent at the
// end.
func TestLogShipperMasksSecrets(t *testing.T) {
	l := newTestShipper(0)
	l.open(1, "w-1", newMasker([]string{"hunter2", "-----BEGIN KEY-----\nABCDEFGH\n-----END KEY-----"}))
	for _, piece := range []string{"pass=hun", "ter2; again hunter2\n", "key line: ABCDEFGH\n", "ends with hun"} {
		l.write(1, "stdout", []byte(piece))
	}
	l.note(1, "request failed: token hunter2 refused")
	l.close(1)
	var out strings.Builder
	for _, c := range cut(l) {
		out.WriteString(c.Data)
	}
	want := "pass=***; again ***\nkey line: ***\nends with hun[baton] request failed: token *** refused\n"
	if out.String() != want {
		t.Errorf("output %q, want %q", out.String(), want)
	}
}
