package client

import (
	"bytes"
	"sync"

	jsonv1 "github.com/go-json-experiment/json/v1"
)

// decodeJSON decodes an answer with go-json-experiment's implementation
// of encoding/json's API: the same semantics and error messages (names
// matched regardless of case, the last of repeated names kept, unknown
// names ignored), at about half the CPU and a few allocations where
// encoding/json makes one or more a field (docs/performance.md, "Worker
// protocol costs"). The hot answers in the servers' plain form take a
// faster path (decodeFast).
func decodeJSON(data []byte, out any) error {
	if decodeFast(data, out) {
		return nil
	}
	return jsonv1.Unmarshal(data, out)
}

// answers holds the buffers answers are read into. Decoding copies what it
// keeps (strings, json.RawMessage), so a buffer is reused once its answer
// is decoded; one larger than maxPooledAnswer is left to the collector.
var answers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

const maxPooledAnswer = 1 << 20

func putAnswer(b *bytes.Buffer) {
	if b.Cap() <= maxPooledAnswer {
		answers.Put(b)
	}
}
