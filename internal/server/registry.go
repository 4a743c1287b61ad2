package server

import (
	"context"
	"net"
	"os"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/baton-sched/baton/client"
	"github.com/baton-sched/baton/internal/store"
)

// The servers registry: a server records itself at start, and its commit
// probe (readiness.go) refreshes the row every registryTouchProbes probes inside
// the transaction it commits anyway, so the registry costs no transaction
// of its own.
const (
	// registryTouchProbes probes (of probeInterval) the row is refreshed: 5s.
	registryTouchProbes = 10
	// serverAliveWindow: a server seen within it is alive.
	serverAliveWindow = 15 * time.Second
	// serverForget: rows not seen for this long are deleted.
	serverForget = 24 * time.Hour
)

// registry keeps this server's row.
type registry struct {
	self store.NewServer

	mu         sync.Mutex
	registered bool // the row exists, as far as this server knows
	probes     int
}

// record upserts this server's row.
func (r *registry) record(ctx context.Context, tx store.Tx) error {
	if _, err := tx.Servers().Upsert(ctx, r.self); err != nil {
		return err
	}
	r.mu.Lock()
	r.registered = true
	r.mu.Unlock()
	return nil
}

// touch runs in the probe's transaction: every registryTouchProbes calls it
// refreshes the row (recreating it when it is gone or was never
// written) and forgets the servers not seen for a day.
func (r *registry) touch(ctx context.Context, tx store.Tx, ready bool) error {
	r.mu.Lock()
	r.probes++
	due := r.probes%registryTouchProbes == 1 || !r.registered
	registered := r.registered
	r.mu.Unlock()
	if !due {
		return nil
	}
	ok := false
	if registered {
		var err error
		if ok, err = tx.Servers().Touch(ctx, r.self.ID, ready); err != nil {
			return err
		}
	}
	if !ok {
		if err := r.record(ctx, tx); err != nil {
			return err
		}
		if !ready {
			if _, err := tx.Servers().Touch(ctx, r.self.ID, false); err != nil {
				return err
			}
		}
	}
	_, err := tx.Servers().DeleteStale(ctx, serverForget.Milliseconds())
	return err
}

// recordSelf records this server in the registry at start; when the
// database does not answer, the commit probe records it later.
func (s *Server) recordSelf(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, commitBound)
	defer cancel()
	if err := s.engine.Store().InTx(ctx, func(tx store.Tx) error { return s.registry.record(ctx, tx) }); err != nil {
		s.log.Warn("record server in the registry; the probe retries", "err", err)
	}
}

// advertised is the address a server records: the listener's, with the
// host name in place of an unspecified IP.
func advertised(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() || host == "" {
		if name, err := os.Hostname(); err == nil {
			return net.JoinHostPort(name, port)
		}
	}
	return addr
}

// listServers reads the registry; alive is judged by the database clock.
func (s *Server) listServers(ctx context.Context) ([]client.Server, error) {
	out := []client.Server{}
	err := s.engine.Store().Read(ctx, func(tx store.Tx) error {
		rows, now, err := tx.Servers().List(ctx)
		for _, r := range rows {
			out = append(out, toServer(r, now))
		}
		return err
	})
	return out, err
}

func toServer(r store.Server, now int64) client.Server {
	ago := max(0, now-r.LastSeenAt)
	return client.Server{ID: r.ID, Address: r.Address, Zone: r.Zone, Version: r.Version,
		Alive: ago <= serverAliveWindow.Milliseconds(), Ready: r.Ready,
		StartedAt: time.UnixMilli(r.StartedAt).UTC(), LastSeenAt: time.UnixMilli(r.LastSeenAt).UTC(),
		SeenAgo: float64(ago) / 1000}
}

var serversDesc = prometheus.NewDesc("baton_servers",
	"Servers of the registry: alive (seen within 15s) or stale (not seen since, forgotten after 24h).",
	[]string{"status"}, nil)

// serversCollector exports the registry's counts, read at each scrape.
type serversCollector struct{ st store.Store }

func (c serversCollector) Describe(ch chan<- *prometheus.Desc) { ch <- serversDesc }

func (c serversCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var alive, stale float64
	err := c.st.Read(ctx, func(tx store.Tx) error {
		rows, now, err := tx.Servers().List(ctx)
		for _, r := range rows {
			if toServer(r, now).Alive {
				alive++
			} else {
				stale++
			}
		}
		return err
	})
	if err != nil {
		ch <- prometheus.NewInvalidMetric(serversDesc, err)
		return
	}
	ch <- prometheus.MustNewConstMetric(serversDesc, prometheus.GaugeValue, alive, "alive")
	ch <- prometheus.MustNewConstMetric(serversDesc, prometheus.GaugeValue, stale, "stale")
}
