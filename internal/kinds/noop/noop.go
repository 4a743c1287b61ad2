// Package noop is the noop task kind: a worker claims the attempt and
// reports it succeeded at once, through the normal protocol (Airflow's
// EmptyOperator, but dispatched). For joins, placeholders and measuring
// Baton itself.
package noop

import (
	"encoding/json"

	"github.com/baton-sched/baton/client/vocab"
	"github.com/baton-sched/baton/internal/taskkind"
)

func init() {
	taskkind.Register(taskkind.Kind{
		Name: vocab.KindNoop, Block: "noop", Rank: 10,
		Conflict: "a noop task runs no command: remove run or noop", ConflictAt: "run",
		Decode: decode,
		Load:   load,
		New:    func() taskkind.Spec { return &Block{} },
		// No Prepare: nothing to render (the claim reads no scope). No
		// Execute: the attempt starts and succeeds at once.
	})
}

// Block is "noop: true"; it holds nothing.
type Block struct{}

func decode(_ taskkind.Decoder, task map[string]any) taskkind.Spec {
	if on, _ := task["noop"].(bool); on {
		return &Block{}
	}
	return nil
}

// load reads the task key noop: false is no block.
func load(keys map[string]json.RawMessage) (taskkind.Spec, error) {
	var on bool
	if err := json.Unmarshal(keys["noop"], &on); err != nil || !on {
		return nil, err
	}
	return &Block{}, nil
}

// Templates: none.
func (*Block) Templates() []taskkind.Template { return nil }

// Keys writes "noop": true.
func (b *Block) Keys() []taskkind.KeyValue { return []taskkind.KeyValue{{Key: "noop", Value: true}} }

// MarshalJSON writes true, as the task's noop key.
func (*Block) MarshalJSON() ([]byte, error) { return []byte("true"), nil }

// UnmarshalJSON accepts the task's noop key.
func (*Block) UnmarshalJSON(b []byte) error {
	var on bool
	return json.Unmarshal(b, &on)
}
