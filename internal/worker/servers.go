package worker

import (
	"context"
	"hash/fnv"
	"net/http"
	"os"
	"sync"

	"github.com/baton-sched/baton/client"
)

// servers are the servers one by one, so that the agent chooses which one
// a heartbeat or a claim goes to: a slow server costs one bounded try, and
// a heartbeat late on one server is also sent to another (hedging).
//
// The list starts at an index derived from the worker's name, so that a
// fleet spreads over the servers instead of all starting on the first.
// The preferred server is the one that answered the last heartbeat first:
// the next heartbeat and the next claim go there. A server whose try
// failed (an error, a 503, no answer in time) is left at once: a claim
// waiting on it is abandoned.
type servers struct {
	clients []*client.Client
	urls    []string
	creds   *client.Credentials // shared by the clients

	mu       sync.Mutex
	pref     int       // index of the preferred server
	failures []int     // per server, how many of its tries failed
	failed   broadcast // notified when a try failed
}

// newServers returns one client per URL, sharing hc, in the worker's
// order: rotated to start at spreadIndex(name).
func newServers(urls []string, name string, hc *http.Client, joinToken string) (*servers, error) {
	all, err := client.New(urls) // splits and checks the URLs
	if err != nil {
		return nil, err
	}
	list := rotate(all.URLs(), spreadIndex(name, len(all.URLs())))
	// One set of credentials for every server's client: a registration
	// through one server is good on all of them.
	s := &servers{urls: list, failures: make([]int, len(list)), creds: client.NewCredentials()}
	for _, u := range list {
		c, err := client.New([]string{u}, client.WithHTTPClient(hc), client.WithJoinToken(joinToken),
			client.WithCredentials(s.creds))
		if err != nil {
			return nil, err
		}
		s.clients = append(s.clients, c)
	}
	return s, nil
}

// singleServer wraps a client given by the caller: it fails over by
// itself, so the agent has one "server" to choose from.
func singleServer(c *client.Client) *servers {
	return &servers{clients: []*client.Client{c}, urls: []string{"(client)"}, failures: make([]int, 1),
		creds: client.NewCredentials()} // c keeps its own; these stay empty
}

// spreadIndex is where a worker named name starts in a list of n servers:
// a hash of the name (or of the host name when the worker has none).
func spreadIndex(name string, n int) int {
	if n <= 1 {
		return 0
	}
	if name == "" {
		name, _ = os.Hostname()
	}
	h := fnv.New32a()
	_, _ = h.Write([]byte(name))
	return int(h.Sum32() % uint32(n))
}

// rotate returns list starting at index i.
func rotate(list []string, i int) []string {
	return append(append([]string(nil), list[i:]...), list[:i]...)
}

func (s *servers) len() int { return len(s.clients) }

// preferred returns the preferred server's index.
func (s *servers) preferred() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pref
}

// prefer makes server i the preferred one.
func (s *servers) prefer(i int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pref = i
}

// fail records that a try on server i failed, and moves the preference
// past it if it is the preferred one.
func (s *servers) fail(i int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failures[i]++
	if s.pref == i && len(s.clients) > 1 {
		s.pref = (i + 1) % len(s.clients)
	}
	s.failed.notify()
}

// untilFailed returns a context that ends with ctx or when a try on
// server i fails, so that a long-poll on a server the heartbeats found
// failing is abandoned at once.
func (s *servers) untilFailed(ctx context.Context, i int) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(ctx)
	s.mu.Lock()
	seen := s.failures[i]
	s.mu.Unlock()
	go func() {
		for {
			s.mu.Lock()
			n, ch := s.failures[i], s.failed.wait()
			s.mu.Unlock()
			if n != seen {
				cancel()
				return
			}
			select {
			case <-ctx.Done():
				return
			case <-ch:
			}
		}
	}()
	return ctx, cancel
}
