package egress

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"
)

func TestPolicyAllowed(t *testing.T) {
	p, err := New([]string{"127.0.0.1", "10.0.0.0/8"}, []string{"10.1.0.0/16", "192.168.0.0/16"})
	if err != nil {
		t.Fatal(err)
	}
	for addr, want := range map[string]bool{
		"127.0.0.1":          true, // allowed
		"127.0.0.2":          false,
		"::1":                false,
		"::ffff:127.0.0.2":   false, // mapped
		"0.0.0.0":            false,
		"169.254.169.254":    false,
		"fd00:ec2::254":      false,
		"100.100.100.200":    false,
		"fe80::1":            false,
		"10.2.3.4":           true,
		"10.1.2.3":           false, // the longer deny wins
		"192.168.1.1":        false,
		"8.8.8.8":            true,
		"2001:4860::8888":    true,
		"172.16.0.1":         true,
		"224.0.0.1":          false,
		"::ffff:169.254.1.1": false,
	} {
		if got := p.Allowed(netip.MustParseAddr(addr)); got != want {
			t.Errorf("Allowed(%s) = %v, want %v", addr, got, want)
		}
	}
	if _, err := New([]string{"nope", "1.2.3.0/33"}, nil); err == nil {
		t.Error("bad ranges accepted")
	}
}

// TestClientRefusesDeniedAddresses: a request to a loopback server fails
// at dial time under the default policy, through a name that resolves to
// it too, and passes once the address is allowed; a refused address and a
// closed port give the same error.
func TestClientRefusesDeniedAddresses(t *testing.T) {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {}))
	defer ts.Close()
	_, port, _ := net.SplitHostPort(ts.Listener.Addr().String())
	closed, _ := net.Listen("tcp", "127.0.0.1:0")
	closedAddr := closed.Addr().String()
	closed.Close()

	deny, _ := New(nil, nil)
	ctx := context.Background()
	get := func(p *Policy, url string) error {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		resp, err := p.Client().Do(req)
		if err == nil {
			resp.Body.Close()
		}
		return err
	}
	for _, u := range []string{ts.URL, "http://localhost:" + port} {
		err := get(deny, u)
		if !errors.Is(err, ErrDenied) {
			t.Errorf("GET %s: %v, want refused by the policy", u, err)
		}
		if Opaque(ctx, err) != ErrFailed || Detail(err) != ErrDenied.Error() {
			t.Errorf("GET %s: opaque %v, detail %q", u, Opaque(ctx, err), Detail(err))
		}
	}
	allow, _ := New([]string{"127.0.0.1/32"}, nil)
	if err := get(allow, ts.URL); err != nil {
		t.Errorf("allowed GET: %v", err)
	}
	errClosed := get(allow, "http://"+closedAddr)
	if errClosed == nil || Opaque(ctx, errClosed) != Opaque(ctx, get(deny, ts.URL)) {
		t.Errorf("closed port %v and refused address do not look alike", errClosed)
	}
}

func TestRedact(t *testing.T) {
	for in, want := range map[string]string{
		"https://hooks.example.com/x":                                  "https://hooks.example.com/x",
		"http://admin:hunter2@hooks.example.com/hook?token=abc&kind=x": "http://admin:***@hooks.example.com/hook?token=***&kind=x",
		"https://h/x?api_key=1&Signature=2&X-Amz-Credential=3&page=2":  "https://h/x?api_key=***&Signature=***&X-Amz-Credential=***&page=2",
		"https://tok@h/x":              "https://***@h/x",
		"https://h/x?password":         "https://h/x?password=***",
		"https://h/x#access_token=abc": "https://h/x#***",
		"::not a url":                  "***",
	} {
		if got := Redact(in); got != want {
			t.Errorf("Redact(%q) = %q, want %q", in, got, want)
		}
	}
}
