package chaos

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	toxiproxy "github.com/Shopify/toxiproxy/v2"
	"github.com/rs/zerolog"
)

// Link is a TCP proxy between a worker and a server, through which faults
// are injected into that one connection path. A link is up, partitioned
// (connections open but no byte gets through either way, as when packets
// are dropped) or cut (connections reset and refused, as when a host is
// unreachable).
type Link struct {
	Name string

	mu          sync.Mutex
	proxy       *toxiproxy.Proxy
	partitioned bool
	slowed      bool
}

// proxies owns the toxiproxy server the links hang off.
type proxies struct{ srv *toxiproxy.ApiServer }

func newProxies() *proxies {
	return &proxies{srv: toxiproxy.NewServer(toxiproxy.NewMetricsContainer(nil), zerolog.Nop())}
}

// link starts a proxy on a free loopback port that forwards to upstream.
func (ps *proxies) link(name, upstream string) (*Link, error) {
	p := toxiproxy.NewProxy(ps.srv, name, "127.0.0.1:0", upstream)
	if err := p.Start(); err != nil {
		return nil, fmt.Errorf("link %s: %w", name, err)
	}
	return &Link{Name: name, proxy: p}, nil
}

// Addr is the address workers connect to.
func (l *Link) Addr() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.proxy.Listen
}

// Partition stops every byte in both directions, on open connections and
// new ones, until Heal.
func (l *Link) Partition() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.partitioned {
		return nil
	}
	for _, dir := range []string{"upstream", "downstream"} {
		spec := fmt.Sprintf(`{"name":"partition-%s","type":"timeout","stream":%q,"attributes":{"timeout":0}}`, dir, dir)
		if _, err := l.proxy.Toxics.AddToxicJson(strings.NewReader(spec)); err != nil {
			return fmt.Errorf("partition %s: %w", l.Name, err)
		}
	}
	l.partitioned = true
	return nil
}

// Heal ends a partition. Connections that were open during it have lost
// bytes and are best dropped by their ends, as after a real one.
func (l *Link) Heal() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.partitioned {
		return nil
	}
	var errs []error
	for _, dir := range []string{"upstream", "downstream"} {
		errs = append(errs, l.proxy.Toxics.RemoveToxic(context.Background(), "partition-"+dir))
	}
	l.partitioned = false
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("heal %s: %w", l.Name, err)
	}
	return nil
}

// Slow delays every byte by latency (plus up to jitter either way), in
// each direction, until Unslow.
func (l *Link) Slow(latency, jitter time.Duration) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.slowed {
		return nil
	}
	for _, dir := range []string{"upstream", "downstream"} {
		spec := fmt.Sprintf(`{"name":"latency-%s","type":"latency","stream":%q,"attributes":{"latency":%d,"jitter":%d}}`,
			dir, dir, latency.Milliseconds(), jitter.Milliseconds())
		if _, err := l.proxy.Toxics.AddToxicJson(strings.NewReader(spec)); err != nil {
			return fmt.Errorf("slow %s: %w", l.Name, err)
		}
	}
	l.slowed = true
	return nil
}

// Unslow removes the delay of Slow.
func (l *Link) Unslow() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.slowed {
		return nil
	}
	var errs []error
	for _, dir := range []string{"upstream", "downstream"} {
		errs = append(errs, l.proxy.Toxics.RemoveToxic(context.Background(), "latency-"+dir))
	}
	l.slowed = false
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("unslow %s: %w", l.Name, err)
	}
	return nil
}

// Cut resets every connection and refuses new ones until Restore.
func (l *Link) Cut() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.proxy.Stop()
}

// Restore accepts connections again after Cut, on the same address.
func (l *Link) Restore() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.proxy.Enabled {
		return nil
	}
	if err := l.proxy.Start(); err != nil {
		return fmt.Errorf("restore %s: %w", l.Name, err)
	}
	return nil
}

func (l *Link) close() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.proxy.Stop()
}
