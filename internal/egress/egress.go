// Package egress decides which addresses Baton may connect to on behalf of
// its users: alert deliveries (servers) and HTTP tasks (workers). A URL is
// chosen by whoever defines a channel or a workflow, so without a policy
// a server or a worker could be made to reach what only it can reach: its
// own API, the database, a cloud metadata service.
//
// By default loopback, link-local (with the metadata services),
// unspecified and multicast addresses are denied; egress_allow (CIDR
// list) allows ranges, egress_deny denies more. When ranges of both lists
// match an address the longest prefix decides (a tie denies). The check is
// made on the address actually dialed, after name resolution, so a name
// that resolves to a denied address (DNS rebinding included) is refused
// too. Proxies from the environment are not used: a proxy would be the
// address checked.
//
// Failures say only "connection not allowed or failed": a denied address,
// a closed port and a port that answers something other than HTTP look
// the same to whoever reads the error.
package egress

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// ErrDenied is the cause of a connection the policy refused.
var ErrDenied = errors.New("connection not allowed by the egress policy")

// ErrFailed is what callers show of a failed connection: it does not tell
// a refused address from a closed or non-HTTP port.
var ErrFailed = errors.New("connection not allowed or failed")

// DefaultDeny are the ranges denied unless allowed.
var DefaultDeny = []string{
	"127.0.0.0/8", "::1/128", // loopback: the host's own services
	"0.0.0.0/8", "::/128", // "this host"
	"169.254.0.0/16", "fe80::/10", // link-local, with 169.254.169.254 (metadata)
	"fd00:ec2::254/128", "100.100.100.200/32", // metadata services (AWS IPv6, Alibaba)
	"224.0.0.0/4", "ff00::/8", "255.255.255.255/32", // multicast, broadcast
}

// Policy says which addresses may be dialed. The zero Policy is not
// valid; use New.
type Policy struct {
	allow, deny, base []netip.Prefix
}

// New returns the policy with the ranges of allow and deny (CIDR, or a
// single address) added to the defaults. It names every bad entry.
func New(allow, deny []string) (*Policy, error) {
	p := &Policy{}
	var errs []error
	parse := func(key string, list []string) []netip.Prefix {
		var out []netip.Prefix
		for _, s := range list {
			s = strings.TrimSpace(s)
			if s == "" {
				continue
			}
			pfx, err := netip.ParsePrefix(s)
			if err != nil {
				addr, aerr := netip.ParseAddr(s)
				if aerr != nil {
					errs = append(errs, fmt.Errorf("%s: %q is not a CIDR range (10.0.0.0/8) or an address", key, s))
					continue
				}
				pfx = netip.PrefixFrom(addr, addr.BitLen())
			}
			out = append(out, pfx.Masked())
		}
		return out
	}
	p.allow = parse("egress_allow", allow)
	p.deny = parse("egress_deny", deny)
	p.base = parse("default", DefaultDeny)
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return p, nil
}

// Allowed says whether addr may be dialed.
func (p *Policy) Allowed(addr netip.Addr) bool {
	addr = addr.Unmap()
	best, allowed := -1, true
	for _, pf := range p.allow {
		if pf.Contains(addr) && pf.Bits() > best {
			best, allowed = pf.Bits(), true
		}
	}
	for _, pf := range p.deny {
		if pf.Contains(addr) && pf.Bits() >= best {
			best, allowed = pf.Bits(), false
		}
	}
	if best >= 0 {
		return allowed
	}
	for _, pf := range p.base {
		if pf.Contains(addr) {
			return false
		}
	}
	return true
}

// control refuses, at connect time, an address the policy denies.
func (p *Policy) control(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: %s", ErrDenied, address)
	}
	if !p.Allowed(ap.Addr()) {
		return ErrDenied
	}
	return nil
}

// Dialer returns a dialer that refuses denied addresses.
func (p *Policy) Dialer() *net.Dialer {
	return &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second, Control: p.control}
}

// Transport returns an HTTP transport that dials through the policy and
// uses no proxy.
func (p *Policy) Transport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.Proxy = nil
	t.DialContext = p.Dialer().DialContext
	t.MaxIdleConnsPerHost = 4
	return t
}

// Client returns an HTTP client on Transport that follows at most five
// redirects (each dialed through the policy).
func (p *Policy) Client() *http.Client {
	return &http.Client{Transport: p.Transport(), CheckRedirect: func(_ *http.Request, via []*http.Request) error {
		if len(via) >= 5 {
			return errors.New("stopped after 5 redirects")
		}
		return nil
	}}
}

// Opaque turns an error of a request sent through the policy into one that
// tells nothing about the target: ErrFailed for every connection failure
// (refused by the policy or by the peer, reset, not HTTP, timed out). A
// cancelled ctx stays itself.
func Opaque(ctx context.Context, err error) error {
	if err == nil {
		return nil
	}
	if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
		return ctx.Err()
	}
	return ErrFailed
}

// Detail is err without the URL a url.Error carries (which may hold
// credentials), for the operator's logs.
func Detail(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	if errors.Is(err, ErrDenied) {
		return ErrDenied.Error()
	}
	return err.Error()
}
