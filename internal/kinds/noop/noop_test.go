package noop

import (
	"encoding/json"
	"testing"
)

func TestNoopKeys(t *testing.T) {
	for raw, on := range map[string]bool{"true": true, "false": false} {
		s, err := load(map[string]json.RawMessage{"noop": json.RawMessage(raw)})
		if err != nil || (s != nil) != on {
			t.Errorf("noop: %s loads %+v %v", raw, s, err)
		}
	}
	b, err := json.Marshal(&Block{})
	if err != nil || string(b) != "true" {
		t.Errorf("a noop block encodes as %s %v", b, err)
	}
}
