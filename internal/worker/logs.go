package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/baton-sched/baton/client"
)

// Sizes of log chunks and batches. A batch stays well under the servers'
// request body limit even when JSON escaping blows the text up.
const (
	maxChunkBytes     = 32 << 10
	maxLogBatchBytes  = 128 << 10
	maxLogBatchChunks = 256
	logFlushBytes     = 64 << 10 // send at once when this much is waiting
)

// logShipper streams the output of attempts to the servers. Output is
// gathered per attempt, in the order it was written across stdout and
// stderr, cut into chunks numbered per attempt from 1 every
// LogFlushInterval (or as soon as 64 KiB wait), and sent in batches across
// attempts. A batch that could not be delivered is sent again with backoff;
// the servers store a chunk sent twice once.
type logShipper struct {
	client     *client.Client
	cfg        Config
	log        *slog.Logger
	superseded func(attemptID int64) // the servers refused an attempt's logs

	mu      sync.Mutex
	streams map[int64]*logStream
	queue   []queuedChunk // numbered, in order; the batch being sent at its head
	waiting int           // bytes written but not yet cut into chunks
	wake    chan struct{}
	retry   chan struct{} // the servers answer again: retry without waiting
	changed broadcast
}

type queuedChunk struct {
	workerID string
	chunk    client.NewLogChunk
}

// logStream is the output of one attempt. Its head (about the first half
// of MaxLogBytes) is sent as it is written; past it the stream keeps only
// the latest output (the other half) in tail, sent when the attempt ends
// after a line that says how much was dropped: errors are usually at the
// end.
type logStream struct {
	workerID string
	nextSeq  int64
	segs     []segment // written, not yet cut into chunks
	written  int64     // bytes of the head
	cut      bool      // the head is full: output goes to tail
	tail     tailBuffer
	mask     *masker           // the attempt's secrets, or nil
	held     map[string][]byte // per stream: output that may begin a secret
	fenced   bool              // the servers refused the attempt's logs: drop the rest
	closed   bool              // the attempt ended: no more output
	queued   int               // chunks in the queue
	flushed  chan struct{}
}

// tailBuffer keeps the last max bytes written to it, counting the rest.
type tailBuffer struct {
	max     int64
	segs    []segment
	size    int64
	dropped int64
}

// add appends data, dropping the oldest output past max (cut between
// UTF-8 sequences).
func (t *tailBuffer) add(stream string, data []byte) {
	if len(data) == 0 {
		return
	}
	if n := len(t.segs); n > 0 && t.segs[n-1].stream == stream {
		t.segs[n-1].data = append(t.segs[n-1].data, data...)
	} else {
		t.segs = append(t.segs, segment{stream: stream, data: slices.Clone(data)})
	}
	t.size += int64(len(data))
	for t.size > t.max && len(t.segs) > 0 {
		first := &t.segs[0]
		over := t.size - t.max
		if over >= int64(len(first.data)) {
			t.size -= int64(len(first.data))
			t.dropped += int64(len(first.data))
			t.segs = t.segs[1:]
			continue
		}
		n := int(over)
		for n < len(first.data) && !utf8.RuneStart(first.data[n]) {
			n++
		}
		first.data = first.data[n:]
		t.size -= int64(n)
		t.dropped += int64(n)
	}
}

type segment struct {
	stream string
	data   []byte
	sealed bool // nothing may be added to it: it is a chunk of its own
}

func newLogShipper(c *client.Client, cfg Config, log *slog.Logger, superseded func(int64)) *logShipper {
	return &logShipper{client: c, cfg: cfg, log: log, superseded: superseded,
		streams: map[int64]*logStream{}, wake: make(chan struct{}, 1), retry: make(chan struct{}, 1)}
}

// open starts the output of an attempt claimed as workerID; mask (nil
// for none) hides the attempt's secrets.
func (l *logShipper) open(attemptID int64, workerID string, mask *masker) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.streams[attemptID] == nil {
		l.streams[attemptID] = &logStream{workerID: workerID, nextSeq: 1, flushed: make(chan struct{}), mask: mask,
			held: map[string][]byte{}, tail: tailBuffer{max: l.tailBytes()}}
	}
}

// headBytes and tailBytes split MaxLogBytes, leaving room for the marker
// lines, so that servers with the same max_log_bytes keep it all.
func (l *logShipper) headBytes() int64 {
	return l.cfg.MaxLogBytes/2 - min(4096, l.cfg.MaxLogBytes/8)
}

func (l *logShipper) tailBytes() int64 { return l.headBytes() }

// write adds output of an attempt: its secrets masked, the head sent,
// then only the latest output kept (see logStream).
func (l *logShipper) write(attemptID int64, stream string, data []byte) {
	l.mu.Lock()
	s := l.streams[attemptID]
	if s == nil || s.closed || s.fenced {
		l.mu.Unlock()
		return
	}
	if s.mask != nil {
		buf := s.mask.bytes(append(s.held[stream], data...))
		h := s.mask.holdback(buf)
		s.held[stream] = slices.Clone(buf[len(buf)-h:])
		data = buf[:len(buf)-h]
	}
	l.keepLocked(s, stream, data)
	full := l.waiting >= logFlushBytes
	l.mu.Unlock()
	if full {
		poke(l.wake)
	}
}

// keepLocked sends data with the head, or keeps it in the tail once the
// head is full; the write that fills the head adds a line saying so.
func (l *logShipper) keepLocked(s *logStream, stream string, data []byte) {
	if !s.cut {
		room := l.headBytes() - s.written
		if int64(len(data)) <= room {
			s.written += int64(len(data))
			l.appendLocked(s, stream, data)
			return
		}
		n := int(room)
		if n < len(data) {
			n = runeCut(data, n)
		}
		s.written += int64(n)
		l.appendLocked(s, stream, data[:n])
		s.cut = true
		marker := fmt.Appendf(nil, "\n[baton] output past %d bytes: the middle is dropped, the last %d bytes follow when the task ends\n",
			s.written, l.tailBytes())
		s.segs = append(s.segs, segment{stream: "stderr", data: marker, sealed: true})
		l.waiting += len(marker)
		data = data[n:]
	}
	s.tail.add(stream, data)
}

// note adds a line of the agent's own to an attempt's stderr (its
// secrets masked), past the cap.
func (l *logShipper) note(attemptID int64, msg string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if s := l.streams[attemptID]; s != nil && !s.closed && !s.fenced {
		l.releaseLocked(s) // the task's output comes first
		line := []byte("[baton] " + s.mask.string(msg) + "\n")
		if s.cut {
			s.tail.add("stderr", line)
			return
		}
		l.appendLocked(s, "stderr", line)
	}
}

// releaseLocked sends the ends of the streams held back as the possible
// start of a secret: the task wrote all it will.
func (l *logShipper) releaseLocked(s *logStream) {
	for _, stream := range slices.Sorted(maps.Keys(s.held)) {
		data := s.held[stream]
		delete(s.held, stream)
		l.keepLocked(s, stream, data)
	}
}

// endLocked sends what was held back: the ends of the streams that might
// have begun a secret, then the tail after a line saying what was dropped.
func (l *logShipper) endLocked(s *logStream) {
	l.releaseLocked(s)
	if !s.cut {
		return
	}
	marker := fmt.Appendf(nil, "[baton] %d bytes of output dropped here\n", s.tail.dropped)
	s.segs = append(s.segs, segment{stream: "stderr", data: marker, sealed: true})
	l.waiting += len(marker)
	for _, seg := range s.tail.segs {
		s.segs = append(s.segs, segment{stream: seg.stream, data: seg.data})
		l.waiting += len(seg.data)
	}
	s.tail.segs, s.tail.size = nil, 0
}

func (l *logShipper) appendLocked(s *logStream, stream string, data []byte) {
	if len(data) == 0 {
		return
	}
	l.waiting += len(data)
	if n := len(s.segs); n > 0 && s.segs[n-1].stream == stream && !s.segs[n-1].sealed {
		s.segs[n-1].data = append(s.segs[n-1].data, data...)
		return
	}
	s.segs = append(s.segs, segment{stream: stream, data: slices.Clone(data)})
}

// close ends an attempt's output. The channel is closed once all of it
// was delivered (or refused).
func (l *logShipper) close(attemptID int64) <-chan struct{} {
	l.mu.Lock()
	s := l.streams[attemptID]
	if s == nil {
		l.mu.Unlock()
		ch := make(chan struct{})
		close(ch)
		return ch
	}
	if !s.fenced {
		l.endLocked(s)
	}
	s.closed = true
	l.settleLocked(attemptID, s)
	l.mu.Unlock()
	poke(l.wake)
	return s.flushed
}

// settleLocked forgets an ended stream once nothing of it is left to send.
func (l *logShipper) settleLocked(attemptID int64, s *logStream) {
	if s.closed && len(s.segs) == 0 && s.queued == 0 && l.streams[attemptID] == s {
		close(s.flushed)
		delete(l.streams, attemptID)
	}
}

// run sends output until ctx ends.
func (l *logShipper) run(ctx context.Context) {
	tick := time.NewTicker(l.cfg.LogFlushInterval)
	defer tick.Stop()
	bo := newBackoff(l.cfg.MinBackoff, l.cfg.MaxBackoff)
	for {
		select {
		case <-ctx.Done():
			return
		case <-l.wake:
		case <-tick.C:
		}
		if !bo.drain(ctx, l.log, "logs", l.sendOnce, l.retry) {
			return
		}
	}
}

// sendOnce cuts what was written into chunks and sends the oldest chunks
// of one worker ID as one batch. It returns how many chunks left the
// queue; an error means the batch is kept to be sent again.
func (l *logShipper) sendOnce(ctx context.Context) (int, error) {
	l.mu.Lock()
	l.cutLocked()
	if len(l.queue) == 0 {
		l.mu.Unlock()
		return 0, nil
	}
	workerID := l.queue[0].workerID
	var batch []client.NewLogChunk
	size := 0
	for _, q := range l.queue {
		if q.workerID != workerID || len(batch) == maxLogBatchChunks ||
			(len(batch) > 0 && size+len(q.chunk.Data) > maxLogBatchBytes) {
			break
		}
		batch = append(batch, q.chunk)
		size += len(q.chunk.Data)
	}
	l.mu.Unlock()

	fenced, err := l.client.SendLogs(withTryTimeout(ctx, l.cfg.RequestTimeout), workerID, batch)
	if err != nil && retryable(err) {
		return 0, fmt.Errorf("send %d log chunks as %s: %w", len(batch), workerID, err)
	}
	if err != nil {
		l.log.Error("log chunks refused: dropped", "worker_id", workerID, "chunks", len(batch), "error", err)
	}
	l.mu.Lock()
	l.queue = l.queue[len(batch):]
	for _, c := range batch {
		if s := l.streams[c.AttemptID]; s != nil {
			s.queued--
		}
	}
	for _, id := range fenced {
		l.fenceLocked(id)
	}
	for id, s := range l.streams {
		l.settleLocked(id, s)
	}
	l.mu.Unlock()
	l.changed.notify()
	for _, id := range fenced {
		l.log.Warn("logs refused: the attempt was superseded", "attempt_id", id)
		l.superseded(id)
	}
	return len(batch), nil
}

// fenceLocked drops what is left of a refused attempt's output.
func (l *logShipper) fenceLocked(attemptID int64) {
	s := l.streams[attemptID]
	if s == nil {
		return
	}
	s.fenced, s.segs = true, nil
	l.queue = slices.DeleteFunc(l.queue, func(q queuedChunk) bool { return q.chunk.AttemptID == attemptID })
	s.queued = 0
}

// cutLocked turns written output into numbered chunks of at most
// maxChunkBytes, cut between UTF-8 sequences. An unfinished sequence at the
// end of a stream that is still open waits for the rest.
func (l *logShipper) cutLocked() {
	l.waiting = 0
	for id, s := range l.streams {
		var keep []segment
		for i, seg := range s.segs {
			data := seg.data
			if i == len(s.segs)-1 && !s.closed {
				if n := incompleteTail(data); n > 0 {
					keep = []segment{{stream: seg.stream, data: slices.Clone(data[len(data)-n:])}}
					l.waiting += n
					data = data[:len(data)-n]
				}
			}
			for len(data) > 0 {
				n := len(data)
				if n > maxChunkBytes {
					n = runeCut(data, maxChunkBytes)
				}
				l.queue = append(l.queue, queuedChunk{workerID: s.workerID, chunk: client.NewLogChunk{
					AttemptID: id, Seq: s.nextSeq, Stream: seg.stream, Data: string(data[:n])}})
				s.nextSeq++
				s.queued++
				data = data[n:]
			}
		}
		s.segs = keep
	}
}

// incompleteTail is the length of an unfinished UTF-8 sequence ending b.
func incompleteTail(b []byte) int {
	for i := 1; i < utf8.UTFMax && i <= len(b); i++ {
		if utf8.RuneStart(b[len(b)-i]) {
			if utf8.FullRune(b[len(b)-i:]) {
				return 0
			}
			return i
		}
	}
	return 0
}

// flush waits until all output written so far was delivered or ctx ends.
func (l *logShipper) flush(ctx context.Context) error {
	poke(l.wake)
	for {
		ch := l.changed.wait()
		l.mu.Lock()
		left := len(l.queue)
		for _, s := range l.streams {
			left += len(s.segs)
		}
		l.mu.Unlock()
		if left == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return errors.Join(fmt.Errorf("%d log chunks undelivered", left), ctx.Err())
		case <-ch:
		}
	}
}
