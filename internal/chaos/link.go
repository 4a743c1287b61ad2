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

	mu    sync.Mutex
	proxy *toxiproxy.Proxy
	// toxics are the names of the toxics in place, by effect.
	toxics map[string][]string
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
	return &Link{Name: name, proxy: p, toxics: map[string][]string{}}, nil
}

// streams are the toxiproxy streams a direction covers: upstream is from
// the client (a worker, or a server to its database) to the far end.
func streams(direction string) []string {
	switch direction {
	case "upstream", "downstream":
		return []string{direction}
	}
	return []string{"upstream", "downstream"}
}

// add puts a toxic of effect on the link's streams in direction; spec
// formats one toxic's JSON from its name and stream. A link holds one
// toxic of each effect: a second add is a no-op.
func (l *Link) add(effect, direction string, spec func(name, stream string) string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.toxics[effect]) > 0 {
		return nil
	}
	for _, stream := range streams(direction) {
		name := effect + "-" + stream
		if _, err := l.proxy.Toxics.AddToxicJson(strings.NewReader(spec(name, stream))); err != nil {
			return fmt.Errorf("%s %s: %w", effect, l.Name, err)
		}
		l.toxics[effect] = append(l.toxics[effect], name)
	}
	return nil
}

// remove takes the toxics of an effect off.
func (l *Link) remove(effect string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	var errs []error
	for _, name := range l.toxics[effect] {
		errs = append(errs, l.proxy.Toxics.RemoveToxic(context.Background(), name))
	}
	delete(l.toxics, effect)
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("remove %s from %s: %w", effect, l.Name, err)
	}
	return nil
}

// Addr is the address workers connect to.
func (l *Link) Addr() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.proxy.Listen
}

// Partition stops every byte in both directions, on open connections and
// new ones, until Heal.
func (l *Link) Partition() error { return l.PartitionWay("both") }

// PartitionWay stops every byte in one direction ("upstream",
// "downstream") or both, until Heal: a one-way partition, as when a
// firewall drops the packets of one way only.
func (l *Link) PartitionWay(direction string) error {
	return l.add("partition", direction, func(name, stream string) string {
		return fmt.Sprintf(`{"name":%q,"type":"timeout","stream":%q,"attributes":{"timeout":0}}`, name, stream)
	})
}

// Heal ends a partition. Connections that were open during it have lost
// bytes and are best dropped by their ends, as after a real one.
func (l *Link) Heal() error { return l.remove("partition") }

// Slow delays every byte by latency (plus up to jitter either way), in
// each direction, until Unslow.
func (l *Link) Slow(latency, jitter time.Duration) error { return l.SlowWay(latency, jitter, "both") }

// SlowWay is Slow in one direction or both.
func (l *Link) SlowWay(latency, jitter time.Duration, direction string) error {
	return l.add("latency", direction, func(name, stream string) string {
		return fmt.Sprintf(`{"name":%q,"type":"latency","stream":%q,"attributes":{"latency":%d,"jitter":%d}}`,
			name, stream, latency.Milliseconds(), jitter.Milliseconds())
	})
}

// Unslow removes the delay of Slow.
func (l *Link) Unslow() error { return l.remove("latency") }

// Lose loses a share (0 < rate <= 1) of the packets in direction until
// Unlose. The link carries a byte stream, as TCP hands it over, so a lost
// packet shows as TCP shows it: the data is held back for a
// retransmission timeout (and the rest of the stream behind it).
func (l *Link) Lose(rate float64, retransmit time.Duration, direction string) error {
	return l.add("loss", direction, func(name, stream string) string {
		return fmt.Sprintf(`{"name":%q,"type":"loss","stream":%q,"attributes":{"rate":%g,"retransmit":%d}}`,
			name, stream, rate, retransmit.Milliseconds())
	})
}

// Unlose ends the packet loss of Lose.
func (l *Link) Unlose() error { return l.remove("loss") }

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
