package server

import (
	"io"

	"github.com/danielgtaylor/huma/v2"
	jsonv1 "github.com/go-json-experiment/json/v1"
)

// jsonFormat decodes request bodies with go-json-experiment's
// implementation of encoding/json's API: the same semantics and error
// messages (names matched regardless of case, the last of repeated names
// kept, unknown names ignored), at about half the CPU and a few
// allocations where encoding/json makes one or more a field; the worker
// protocol's batches of reports are the largest share (docs/performance.md,
// "Worker protocol costs"). Answers are encoded by encoding/json, which is
// the faster of the two at encoding, but for the hot calls' answers in
// their plain form, which appendAnswer writes by hand.
var jsonFormat = huma.Format{
	Marshal: func(w io.Writer, v any) error {
		if done, err := marshalAnswer(w, v); done {
			return err
		}
		return huma.DefaultJSONFormat.Marshal(w, v)
	},
	Unmarshal: jsonv1.Unmarshal,
}
