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
	l.open(1, "w-1")
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
	l.open(1, "w-1")
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

func TestLogShipperTruncates(t *testing.T) {
	l := newTestShipper(10)
	l.open(1, "w-1")
	l.write(1, "stdout", []byte("12345678"))
	l.write(1, "stdout", []byte("90abc"))
	l.write(1, "stdout", []byte("more"))
	l.note(1, "an agent note")
	var got []string
	for _, c := range cut(l) {
		got = append(got, c.Stream+":"+c.Data)
	}
	want := "stdout:1234567890|stderr:\n[baton] output truncated after 10 bytes\n|stderr:[baton] an agent note\n"
	if strings.Join(got, "|") != want {
		t.Errorf("got %q, want %q", strings.Join(got, "|"), want)
	}
}
