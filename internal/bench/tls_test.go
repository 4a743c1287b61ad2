package bench

import (
	"net/http"
	"path/filepath"
	"strings"
	"testing"
)

// The bench's environment runs as in production: the server answers only
// HTTPS, and its workers (which must present a client certificate to the
// worker protocol) registered; with PlainHTTP it speaks plain HTTP.
func TestEnvServesTLSByDefault(t *testing.T) {
	for _, plain := range []bool{false, true} {
		dir := t.TempDir()
		cfg := Config{Store: "sqlite", Dir: dir, PlainHTTP: plain}.withDefaults()
		db := &database{dialect: "sqlite", dsn: filepath.Join(dir, "bench.db"), drop: func() {}}
		e, err := startEnv(t.Context(), db, cfg, 2, 10)
		if err != nil {
			t.Fatalf("plain %v: %v", plain, err)
		}
		resp, err := http.Get("http://" + e.server.Addr() + "/healthz")
		if err != nil {
			e.stop()
			t.Fatal(err)
		}
		resp.Body.Close()
		refused := resp.StatusCode == http.StatusBadRequest // "client sent an HTTP request to an HTTPS server"
		if refused == plain {
			t.Errorf("plain %v: plain HTTP /healthz answered %d", plain, resp.StatusCode)
		}
		ws, err := e.api.Workers(t.Context(), false)
		if err != nil || len(ws) != 2 {
			t.Errorf("plain %v: workers %v, %v; want 2 registered", plain, ws, err)
		}
		if got := e.api.URLs(); len(got) != 1 || strings.HasPrefix(got[0], "https://") == plain {
			t.Errorf("plain %v: client URLs %v", plain, got)
		}
		e.stop()
	}
}
