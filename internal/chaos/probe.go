package chaos

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/baton-sched/baton/client"
)

// HeartbeatStats are the round trips of the heartbeat probe: a worker
// the harness registers in a zone of its own, that takes no work and only
// renews its lease, on each server in turn, four times a heartbeat
// interval. They show what a request of the worker protocol costs while
// the timeline runs.
type HeartbeatStats struct {
	Samples int    `json:"samples"`
	Failed  int    `json:"failed"`
	P50     Millis `json:"p50_ms"`
	P99     Millis `json:"p99_ms"`
	Max     Millis `json:"max_ms"`
}

// probeZone is the zone (and group) of the heartbeat probe.
const probeZone = "chaos-probe"

// heartbeatProbe is a running heartbeat probe.
type heartbeatProbe struct {
	servers []*client.Client
	id      string
	every   time.Duration
	log     *slog.Logger

	mu      sync.Mutex
	samples []time.Duration
	failed  int

	cancel context.CancelFunc
	done   chan struct{}
}

// startProbe registers the probe with the cluster's join token and starts
// its heartbeats, on every server with the credential the registration
// issued.
func startProbe(ctx context.Context, urls []string, joinToken string, tlsCfg *tls.Config, log *slog.Logger) (*heartbeatProbe, error) {
	p := &heartbeatProbe{log: log, done: make(chan struct{})}
	creds := client.NewCredentials()
	for _, u := range urls {
		c, err := client.New([]string{u}, client.WithJoinToken(joinToken), client.WithCredentials(creds),
			client.WithTLSConfig(tlsCfg))
		if err != nil {
			return nil, err
		}
		p.servers = append(p.servers, c)
	}
	var reg client.Registration
	err := retry(ctx, 30*time.Second, func(ctx context.Context) (err error) {
		reg, err = p.servers[0].Register(ctx, client.RegisterRequest{Name: probeZone, Zone: probeZone, Group: probeZone,
			Capacity: 1, Version: "chaos"})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("register the heartbeat probe: %w", err)
	}
	// Four renewals an interval: more samples for the percentiles, and
	// the lease holds through a slow one.
	p.id, p.every = reg.Worker.ID, max(reg.HeartbeatInterval/4, 50*time.Millisecond)
	pctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	p.cancel = cancel
	go p.run(pctx)
	return p, nil
}

func (p *heartbeatProbe) run(ctx context.Context) {
	defer close(p.done)
	t := time.NewTicker(p.every)
	defer t.Stop()
	for i := 0; ; i++ {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		c := p.servers[i%len(p.servers)]
		callCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
		start := time.Now()
		_, err := c.Heartbeat(callCtx, p.id, nil)
		took := time.Since(start)
		cancel()
		if ctx.Err() != nil {
			return
		}
		p.mu.Lock()
		if err != nil {
			p.failed++
		} else {
			p.samples = append(p.samples, took)
		}
		p.mu.Unlock()
	}
}

// stop ends the heartbeats and deregisters the probe.
func (p *heartbeatProbe) stop(ctx context.Context) {
	p.cancel()
	<-p.done
	err := retry(ctx, 30*time.Second, func(ctx context.Context) error {
		return p.servers[0].StopWorker(ctx, p.id, nil)
	})
	if err != nil {
		p.log.Warn("heartbeat probe not stopped", "err", err)
	}
}

// stats summarises the heartbeats so far.
func (p *heartbeatProbe) stats() HeartbeatStats {
	p.mu.Lock()
	defer p.mu.Unlock()
	return heartbeatStats(slices.Clone(p.samples), p.failed)
}

func heartbeatStats(samples []time.Duration, failed int) HeartbeatStats {
	st := HeartbeatStats{Samples: len(samples), Failed: failed}
	if len(samples) == 0 {
		return st
	}
	slices.Sort(samples)
	pct := func(q float64) Millis {
		i := int(math.Ceil(q*float64(len(samples)))) - 1
		return Millis(samples[min(max(i, 0), len(samples)-1)])
	}
	st.P50, st.P99, st.Max = pct(0.5), pct(0.99), Millis(samples[len(samples)-1])
	return st
}

// checkHeartbeats: the probe's heartbeats kept their latency.
func checkHeartbeats(ev *evidence, st HeartbeatStats) Check {
	k := newCheck("heartbeats")
	b := ev.sc.Expect.Heartbeats
	if st.Samples == 0 {
		k.fail("the probe measured no heartbeat")
	}
	if b.P99 > 0 && time.Duration(st.P99) > b.P99 {
		k.fail("heartbeat p99 %v exceeds the bound %v", st.P99, b.P99)
	}
	if b.Max > 0 && time.Duration(st.Max) > b.Max {
		k.fail("heartbeat max %v exceeds the bound %v", st.Max, b.Max)
	}
	if st.Failed > b.Failed {
		k.fail("%d heartbeats of the probe failed, want at most %d", st.Failed, b.Failed)
	}
	return k.done("%d heartbeats of the probe (%d failed): p50 %v, p99 %v, max %v", st.Samples, st.Failed, st.P50, st.P99, st.Max)
}
