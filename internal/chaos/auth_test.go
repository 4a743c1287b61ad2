package chaos_test

import (
	"errors"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/baton-sched/baton/client"
)

// TestRevokedTokenRefusedByEveryServer: a token revoked through one
// server of a two-server cluster is refused by both within 2 s (the
// database is the truth; each server trusts a look-up for a second at
// most).
func TestRevokedTokenRefusedByEveryServer(t *testing.T) {
	c := newCluster(t, 2, testTiming, "")
	ctx := t.Context()
	tok, err := c.Client().CreateToken(ctx, client.NewToken{Name: "ci", Role: "operator"})
	if err != nil {
		t.Fatal(err)
	}
	var each []*client.Client
	for _, s := range c.Servers() {
		cl, err := c.NewClient([]string{s.URL()}, client.WithToken(tok.Secret))
		if err != nil {
			t.Fatal(err)
		}
		if who, err := cl.Whoami(ctx); err != nil || who.Actor != "token:ci" {
			t.Fatalf("whoami on %s: %+v %v", s.Name, who, err)
		}
		each = append(each, cl)
	}
	if err := c.Client().RevokeToken(ctx, "ci"); err != nil {
		t.Fatal(err)
	}
	revoked := time.Now()
	for i, cl := range each {
		for {
			_, err := cl.Whoami(ctx)
			var ae *client.Error
			if errorsAs(err, &ae) && ae.Status == http.StatusUnauthorized {
				t.Logf("server %d refuses the revoked token after %v", i+1, time.Since(revoked).Round(time.Millisecond))
				break
			}
			if time.Since(revoked) > 2*time.Second {
				t.Fatalf("server %d still accepts the revoked token after 2s: %v", i+1, err)
			}
			time.Sleep(20 * time.Millisecond) // polling the server until the deadline
		}
	}
}

func errorsAs(err error, target any) bool { return errors.As(err, target) }

// TestClusterRunsTLS: a cluster runs as in production. Its servers answer
// only HTTPS, their certificate is verified with the cluster's CA, the
// worker protocol demands a client certificate (a worker client without
// one cannot register, even with the join token), and the workers the
// cluster starts, which have one, registered.
func TestClusterRunsTLS(t *testing.T) {
	c := newCluster(t, 1, testTiming, "")
	addWorker(t, c, "a1", "a", 1)
	s := c.Servers()[0]
	if !strings.HasPrefix(s.URL(), "https://") || !c.TLS() {
		t.Fatalf("server URL %s, want https", s.URL())
	}
	resp, err := http.Get("http://" + s.Addr + "/healthz")
	if err == nil {
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("plain HTTP /healthz answered %d, want 400 (an HTTPS server)", resp.StatusCode)
		}
	}
	join, err := os.ReadFile(c.JoinTokenFile())
	if err != nil {
		t.Fatal(err)
	}
	noCert, err := c.NewClient([]string{s.URL()}, client.WithJoinToken(string(join)))
	if err != nil {
		t.Fatal(err)
	}
	_, err = noCert.Register(t.Context(), client.RegisterRequest{Name: "intruder", Zone: "a"})
	var ae *client.Error
	if !errorsAs(err, &ae) || ae.Status != http.StatusUnauthorized {
		t.Errorf("register without a client certificate: %v, want 401", err)
	}
	ids, err := c.WorkerIDs(t.Context(), "a1")
	if err != nil || len(ids) != 1 {
		t.Errorf("worker a1: %v, %v; want it registered", ids, err)
	}
}
