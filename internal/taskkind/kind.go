package taskkind

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"time"
)

// Kind is one task kind. Name and Block are required; the functions a
// kind does not need are nil.
type Kind struct {
	// Name is the kind's name (a client/vocab constant).
	Name string
	// Block is the task key that selects the kind: "http" selects the
	// http kind. A task gives exactly one kind's block ("run" for shell).
	Block string
	// Rank orders kinds: blocks are looked for, and conflicts between
	// blocks reported, in ascending rank; ties by name.
	Rank int
	// Group is, for a kind the servers run, the group its tasks queue
	// in: it starts with "@", so no worker serves it and the tasks hold
	// no worker capacity. Empty for worker kinds.
	Group string
	// Conflict is the problem reported at the block (ConflictAt when
	// set) when the task also gives the block of a kind of lower rank,
	// or run.
	Conflict   string
	ConflictAt string
	// Decode reads the kind's keys from a task (m, decoded from YAML or
	// JSON and checked against the schema) and returns its Spec, or nil
	// when the task does not give the block. It reports every problem
	// through d, with its path inside the task. Nil for a built-in kind.
	Decode func(d Decoder, m map[string]any) Spec
	// Load reads the Spec from the task keys of its JSON form (what
	// Spec.Keys wrote). Nil means: json.Unmarshal of the Block key into
	// New().
	Load func(keys map[string]json.RawMessage) (Spec, error)
	// New returns an empty Spec of the kind, to decode JSON into.
	New func() Spec
	// Schema is the JSON Schema (draft 2020-12) of the task keys the
	// kind reads, by key, added to the workflow schema when not already
	// there.
	Schema map[string]json.RawMessage
	// Prepare renders the Spec for one attempt (a worker kind's payload,
	// a server kind's input): every template through r. An error fails
	// the task without an attempt, so it must only be about the
	// templates (a missing output or secret). Nil: nothing to render,
	// the payload is nil.
	Prepare func(r Renderer, s Spec) (Prepared, error)
	// Execute runs an attempt on a worker, through x. Nil for a worker
	// kind means the attempt has nothing to run: it starts and succeeds
	// at once.
	Execute func(ctx context.Context, x Execution) Result
	// DefaultTimeout limits an attempt on the worker when the
	// assignment sets none; zero means no limit.
	DefaultTimeout time.Duration
	// Outputs names the outputs a succeeded attempt writes, for docs.
	Outputs []string
}

// Server reports whether the servers run the kind's tasks, not workers.
func (k *Kind) Server() bool { return k.Group != "" }

// LoadSpec reads the Spec of the kind from the task keys of its JSON form.
func (k *Kind) LoadSpec(keys map[string]json.RawMessage) (Spec, error) {
	if k.Load != nil {
		return k.Load(keys)
	}
	if k.New == nil {
		return nil, nil
	}
	s := k.New()
	if raw, ok := keys[k.Block]; ok {
		if err := json.Unmarshal(raw, s); err != nil {
			return nil, fmt.Errorf("%s: %w", k.Block, err)
		}
	}
	return s, nil
}

// Spec is a kind's block as decoded from a task: what the definition
// holds and the engine renders. It must encode as JSON.
type Spec interface {
	// Templates lists the block's templates with their paths inside the
	// task, so that they are checked, and the outputs and secrets they
	// refer to found, whatever the kind.
	Templates() []Template
	// Keys returns the task keys the block is written under, with their
	// values, for the task's JSON form: {Block: spec} for most kinds.
	Keys() []KeyValue
}

// SecretUser is a Spec that names secrets outside its templates (the sql
// kind's connection): the engine reads them for the attempt, and masks
// them.
type SecretUser interface {
	Secrets() []string
}

// KeyValue is one task key of a Spec's JSON form.
type KeyValue struct {
	Key   string
	Value any
}

// Template is a template of a block and where it is written.
type Template struct {
	// Path is where the template is, inside the task: ("http", "url").
	Path Path
	// Text is the template.
	Text string
	// Secrets is true where ${{ secrets.NAME }} may be used.
	Secrets bool
}

// Prepared is a Spec rendered for one attempt.
type Prepared struct {
	// Payload travels to the worker in the assignment (JSON); a server
	// kind's start function reads it.
	Payload any
	// Timeout, when positive, replaces the task's timeout for the
	// attempt.
	Timeout time.Duration
}

var (
	mu     sync.RWMutex
	kinds  = map[string]*Kind{}
	blocks = map[string]*Kind{}
	sorted []*Kind
)

// Register adds a kind; kind packages call it from init. It panics on a
// kind without a name or block, or whose name or block is taken.
func Register(k Kind) {
	mu.Lock()
	defer mu.Unlock()
	if k.Name == "" || k.Block == "" {
		panic("taskkind: a kind needs a name and a block")
	}
	if _, dup := kinds[k.Name]; dup {
		panic("taskkind: kind " + k.Name + " registered twice")
	}
	if _, dup := blocks[k.Block]; dup {
		panic("taskkind: block " + k.Block + " registered twice")
	}
	p := &k
	kinds[k.Name], blocks[k.Block] = p, p
	sorted = append(sorted, p)
	slices.SortFunc(sorted, func(a, b *Kind) int { return cmp.Or(cmp.Compare(a.Rank, b.Rank), cmp.Compare(a.Name, b.Name)) })
}

// Lookup returns the kind named name.
func Lookup(name string) (*Kind, bool) {
	mu.RLock()
	defer mu.RUnlock()
	k, ok := kinds[name]
	return k, ok
}

// ByBlock returns the kind a task key selects.
func ByBlock(key string) (*Kind, bool) {
	mu.RLock()
	defer mu.RUnlock()
	k, ok := blocks[key]
	return k, ok
}

// All returns every kind, by rank.
func All() []*Kind {
	mu.RLock()
	defer mu.RUnlock()
	return slices.Clone(sorted)
}
