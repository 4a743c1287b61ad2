package schedule

import (
	"crypto/sha256"
	"encoding/binary"
	"time"
)

// JitterFor returns the delay, in [0, Jitter), to add to the firing of the
// due time due for key (e.g. the schedule's name). It is a hash of key and
// of the instant due (not its zone), so every server computes the same
// delay, and different schedules due at the same time spread out. It is 0
// when the schedule has no jitter. The delay does not move the due time: a
// run keeps its due time as its identity and its scheduled date.
func (s *Schedule) JitterFor(key string, due time.Time) time.Duration {
	if s.spec.Jitter <= 0 {
		return 0
	}
	h := sha256.New()
	h.Write([]byte(key))
	var b [13]byte // a separator, then the instant
	binary.BigEndian.PutUint64(b[1:9], uint64(due.Unix()))
	binary.BigEndian.PutUint32(b[9:], uint32(due.Nanosecond()))
	h.Write(b[:])
	sum := h.Sum(nil)
	return time.Duration(binary.BigEndian.Uint64(sum) % uint64(s.spec.Jitter))
}
