package engine

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/baton-sched/baton/internal/store"
)

// Zone health states.
const (
	ZoneHealthy  = "healthy"
	ZoneDegraded = "degraded"
	ZoneDown     = "down"
)

// Capacity is CU figures of a set of workers.
type Capacity struct {
	LiveCU       float64 // capacity of live workers
	RegisteredCU float64 // live plus recently lost, not replaced
	UsedCU       float64 // taken by live attempts
}

// Availability is the resource availability ratio, live CU over registered
// CU (1 when nothing is registered).
func (c Capacity) Availability() float64 {
	if c.RegisteredCU == 0 {
		return 1
	}
	return c.LiveCU / c.RegisteredCU
}

// GroupCapacity is the capacity of one resource group.
type GroupCapacity struct {
	Group string
	Capacity
}

// ZoneStatus is a zone's health, cordon and capacity.
type ZoneStatus struct {
	Name     string
	State    string
	Cordoned bool
	Since    int64 // when the recorded state began (0 if never recorded)
	Workers  int   // live
	Lost     int   // lost recently and not back
	Capacity
	Groups []GroupCapacity
}

// Placement is the capacity picture of the fleet.
type Placement struct {
	Zones  []ZoneStatus
	Groups []GroupCapacity
}

// computePlacement derives zone health and capacity from workers (live and
// recently gone), their usage, and the recorded zones. A lost worker counts
// against its zone until a live worker of the same name is back in that
// zone, or until it drops out of the recent window; a worker that stopped
// cleanly does not count. A zone is down when workers were lost and none is
// live, degraded when some are lost and some live, healthy otherwise.
func computePlacement(workers []store.Worker, usage []store.WorkerUsage, zones []store.Zone) Placement {
	used := map[string]float64{}
	for _, u := range usage {
		used[u.WorkerID] = u.UsedCU
	}
	type key struct{ zone, name string }
	liveNames := map[key]bool{}
	for _, w := range workers {
		if live(w.State) {
			liveNames[key{w.Zone, w.Name}] = true
		}
	}
	byZone := map[string]*ZoneStatus{}
	zoneGroups := map[string]map[string]*Capacity{}
	lostSeen := map[key]float64{} // lost, unreplaced names: their largest capacity
	status := func(zone string) *ZoneStatus {
		if byZone[zone] == nil {
			byZone[zone] = &ZoneStatus{Name: zone}
			zoneGroups[zone] = map[string]*Capacity{}
		}
		return byZone[zone]
	}
	group := func(zone, g string) *Capacity {
		status(zone)
		if zoneGroups[zone][g] == nil {
			zoneGroups[zone][g] = &Capacity{}
		}
		return zoneGroups[zone][g]
	}
	for _, w := range workers {
		z, g := status(w.Zone), group(w.Zone, w.Group)
		switch {
		case live(w.State):
			z.Workers++
			for _, c := range []*Capacity{&z.Capacity, g} {
				c.LiveCU += w.Capacity
				c.RegisteredCU += w.Capacity
				c.UsedCU += used[w.ID]
			}
		case w.State == store.WorkerLost && !liveNames[key{w.Zone, w.Name}]:
			k := key{w.Zone, w.Name}
			prev, seen := lostSeen[k]
			if !seen {
				z.Lost++
			}
			if extra := w.Capacity - prev; extra > 0 {
				lostSeen[k] = w.Capacity
				z.RegisteredCU += extra
				g.RegisteredCU += extra
			}
		}
	}
	for _, r := range zones {
		z := status(r.Name)
		z.Cordoned, z.Since = r.Cordoned, r.ChangedAt
	}
	var p Placement
	totals := map[string]*Capacity{}
	for _, z := range byZone {
		switch {
		case z.Lost > 0 && z.Workers == 0:
			z.State = ZoneDown
		case z.Lost > 0:
			z.State = ZoneDegraded
		default:
			z.State = ZoneHealthy
		}
		for g, c := range zoneGroups[z.Name] {
			z.Groups = append(z.Groups, GroupCapacity{Group: g, Capacity: *c})
			if totals[g] == nil {
				totals[g] = &Capacity{}
			}
			totals[g].LiveCU += c.LiveCU
			totals[g].RegisteredCU += c.RegisteredCU
			totals[g].UsedCU += c.UsedCU
		}
		slices.SortFunc(z.Groups, func(a, b GroupCapacity) int { return cmp.Compare(a.Group, b.Group) })
		p.Zones = append(p.Zones, *z)
	}
	for g, c := range totals {
		p.Groups = append(p.Groups, GroupCapacity{Group: g, Capacity: *c})
	}
	slices.SortFunc(p.Zones, func(a, b ZoneStatus) int { return cmp.Compare(a.Name, b.Name) })
	slices.SortFunc(p.Groups, func(a, b GroupCapacity) int { return cmp.Compare(a.Group, b.Group) })
	return p
}

// Placement returns every zone's health and the capacity figures of zones
// and groups, as of now.
func (e *Engine) Placement(ctx context.Context) (Placement, error) {
	var p Placement
	err := e.store.Read(ctx, func(tx store.Tx) error {
		var err error
		p, err = readPlacement(ctx, tx, e.cfg.LostWorkerWindow, true)
		return err
	})
	if err != nil {
		return Placement{}, fmt.Errorf("placement: %w", err)
	}
	return p, nil
}

// readPlacement reads the fleet's figures; withUsage adds the CU taken by
// running attempts, which health alone does not need.
func readPlacement(ctx context.Context, tx store.Tx, window time.Duration, withUsage bool) (Placement, error) {
	ws, err := tx.Workers().Recent(ctx, window.Milliseconds())
	if err != nil {
		return Placement{}, err
	}
	var usage []store.WorkerUsage
	if withUsage {
		if usage, err = tx.Workers().Usage(ctx); err != nil {
			return Placement{}, err
		}
	}
	zones, err := tx.Zones().List(ctx)
	if err != nil {
		return Placement{}, err
	}
	return computePlacement(ws, usage, zones), nil
}

// ZoneChange is a zone whose recorded health changed.
type ZoneChange struct {
	Zone     string
	OldState string
	NewState string
}

// RecordZoneHealth records each zone's health where it changed since it
// was last recorded, with an event: zone.down when a zone lost all its
// workers, zone.degraded when it lost some, zone.up when it is whole
// again. The guarded update makes it safe to run on several servers: of
// two that see one change, one records it.
func (e *Engine) RecordZoneHealth(ctx context.Context) ([]ZoneChange, error) {
	var changes []ZoneChange
	err := e.inTx(ctx, "server:zone-monitor", func(o *op) error {
		changes = changes[:0]
		p, err := readPlacement(o.ctx, o.Tx, e.cfg.LostWorkerWindow, false)
		if err != nil {
			return err
		}
		recorded := map[string]string{}
		zones, err := o.Zones().List(o.ctx)
		if err != nil {
			return err
		}
		for _, z := range zones {
			recorded[z.Name] = z.State
		}
		for _, z := range p.Zones {
			old, known := recorded[z.Name]
			if !known {
				if err := o.Zones().Ensure(o.ctx, z.Name); err != nil {
					return err
				}
				old = ZoneHealthy
			}
			if old == z.State {
				continue
			}
			ok, err := o.Zones().SetState(o.ctx, z.Name, z.State)
			if err != nil {
				return err
			}
			if !ok {
				continue
			}
			kind := map[string]string{ZoneDown: "zone.down", ZoneDegraded: "zone.degraded", ZoneHealthy: "zone.up"}[z.State]
			o.record(store.NewEvent{Kind: kind, Zone: z.Name, OldState: old, NewState: z.State,
				Reason: fmt.Sprintf("%d live and %d lost workers; %g of %g CU available (%.0f%%)",
					z.Workers, z.Lost, z.LiveCU, z.RegisteredCU, 100*z.Availability())})
			changes = append(changes, ZoneChange{Zone: z.Name, OldState: old, NewState: z.State})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("record zone health: %w", err)
	}
	return changes, nil
}
