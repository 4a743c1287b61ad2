package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/baton-sched/baton/internal/store"
)

// Slots are named concurrency limits shared across workflows (Airflow's
// pools): at most a slot's size of the tasks naming it run at once. A
// claim offers only tasks of slots with room (a hint read without locks,
// so that tasks of full or unknown slots never crowd the others out of
// the candidates), then locks the rows of the slots its candidates name,
// in name order, and counts their running tasks again: concurrent claims
// take a slot's places one after the other, so the limit is exact.

// slotRefresh bounds how long an engine takes to notice that slots exist
// after another server created the first one; meanwhile tasks naming a
// slot wait (the safe side).
const slotRefresh = 2 * time.Second

// MaxSlotSize bounds a slot's size.
const MaxSlotSize = 1_000_000

// slotCache remembers whether any slot exists, as an engine last read it:
// while none does, a claim costs no slot query.
type slotCache struct {
	mu  sync.Mutex
	at  time.Time
	any bool
}

func (c *slotCache) expire() {
	c.mu.Lock()
	c.at = time.Time{}
	c.mu.Unlock()
}

// openSlots returns the slots with room, each between commas (",a,b,"),
// or "" when there is none.
func (o *op) openSlots() (string, error) {
	c := &o.e.slots
	c.mu.Lock()
	if time.Since(c.at) >= slotRefresh {
		n, err := o.Slots().Count(o.ctx)
		if err != nil {
			c.mu.Unlock()
			return "", err
		}
		c.any, c.at = n > 0, time.Now()
	}
	anySlot := c.any
	c.mu.Unlock()
	if !anySlot {
		return "", nil
	}
	usage, err := o.Slots().Usage(o.ctx)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	for _, u := range usage {
		if u.Running < u.Size {
			b.WriteString("," + u.Name)
		}
	}
	if b.Len() == 0 {
		return "", nil
	}
	return b.String() + ",", nil
}

// slotRoom locks the slots the candidates name that room does not hold
// yet and adds to room how many more tasks of each may start now. A slot
// deleted meanwhile has no room. Slots are locked in name order, over
// both passes of a claim (see choose), so that claims cannot deadlock: a
// slot that sorts before one already locked is not locked and gets no
// room in this claim; the next claim takes its tasks.
func (o *op) slotRoom(cands []store.Candidate, room map[string]int64) (map[string]int64, error) {
	var names []string
	for _, c := range cands {
		if _, known := room[c.Slot]; c.Slot != "" && !known {
			names = append(names, c.Slot)
		}
	}
	if len(names) == 0 {
		return room, nil
	}
	last := "" // the last slot in name order that room holds
	for name := range room {
		last = max(last, name)
	}
	if room == nil {
		room = make(map[string]int64, len(names))
	}
	slices.Sort(names)
	for _, name := range slices.Compact(names) {
		if name < last {
			room[name] = 0
			continue
		}
		size, err := o.Slots().Lock(o.ctx, name)
		if errors.Is(err, store.ErrNotFound) {
			room[name] = 0
			continue
		}
		if err != nil {
			return nil, err
		}
		running, err := o.Slots().Running(o.ctx, name)
		if err != nil {
			return nil, err
		}
		room[name] = size - running
	}
	return room, nil
}

// SetSlot creates a slot or changes its size. A smaller size stops
// new tasks of the slot until fewer than it run; none is stopped.
func (e *Engine) SetSlot(ctx context.Context, s store.Slot, actor string) (store.Slot, error) {
	if !validObjectName(s.Name) {
		return store.Slot{}, invalid("name: %q: use lowercase letters, digits, _ and -, at most 100", s.Name)
	}
	if s.Size < 0 || s.Size > MaxSlotSize {
		return store.Slot{}, invalid("size: %d: must be between 0 and %d", s.Size, MaxSlotSize)
	}
	var out store.Slot
	err := e.inTx(ctx, actor, func(o *op) (err error) {
		if out, err = o.Slots().Upsert(o.ctx, s); err != nil {
			return err
		}
		o.NotifyWork() // its tasks may have room now
		o.record(store.NewEvent{Kind: "slot.set", Reason: fmt.Sprintf("slot %s: size %d", s.Name, s.Size)})
		return nil
	})
	e.slots.expire()
	if err != nil {
		return store.Slot{}, fmt.Errorf("set slot %s: %w", s.Name, err)
	}
	return out, nil
}

// DeleteSlot removes a slot: its queued tasks wait until a slot of that
// name exists again; running ones finish.
func (e *Engine) DeleteSlot(ctx context.Context, name, actor string) error {
	err := e.inTx(ctx, actor, func(o *op) error {
		ok, err := o.Slots().Delete(o.ctx, name)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("slot %s: %w", name, ErrNotFound)
		}
		o.record(store.NewEvent{Kind: "slot.deleted", Reason: "slot " + name})
		return nil
	})
	e.slots.expire()
	if err != nil {
		return fmt.Errorf("delete slot %s: %w", name, err)
	}
	return nil
}

// Slots lists the slots with their running and queued tasks.
func (e *Engine) Slots(ctx context.Context) ([]store.SlotInfo, error) {
	var out []store.SlotInfo
	err := e.store.Read(ctx, func(tx store.Tx) (err error) {
		out, err = tx.Slots().List(ctx)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list slots: %w", err)
	}
	return out, nil
}
