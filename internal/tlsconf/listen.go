package tlsconf

import (
	"context"
	"fmt"
	"net"
	"time"
)

// Loopback reports whether a listen address ("host:port") accepts
// connections from this machine only: a loopback IP, or a host name all of
// whose addresses are loopback ("localhost"). An empty host, 0.0.0.0 and ::
// listen on every interface; a host name that does not resolve is not
// known to be loopback and is reported so, with the error.
func Loopback(ctx context.Context, addr string) (bool, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false, fmt.Errorf("listen address %q: %w", addr, err)
	}
	if host == "" {
		return false, nil
	}
	if ip := net.ParseIP(host); ip != nil {
		return ip.IsLoopback(), nil
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	ips, err := net.DefaultResolver.LookupIPAddr(ctx, host)
	if err != nil {
		return false, fmt.Errorf("listen address %q: %w", addr, err)
	}
	for _, ip := range ips {
		if !ip.IP.IsLoopback() {
			return false, nil
		}
	}
	return len(ips) > 0, nil
}
