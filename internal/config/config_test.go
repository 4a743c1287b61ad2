package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/spf13/pflag"

	"github.com/baton-sched/baton/internal/auth/oidc"
)

func write(t *testing.T, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "baton.yaml")
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestPrecedence(t *testing.T) {
	path := write(t, "database: postgres://db/baton\nlease_ttl: 5s\nzone: file-zone\nlabels: {gpu: \"true\"}\nservers: [http://a:1, http://b:2]\n")
	t.Setenv("BATON_ZONE", "env-zone")
	t.Setenv("BATON_CAPACITY", "8")
	fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
	fs.String("zone", "", "")
	fs.Duration("heartbeat-interval", 0, "")
	if err := fs.Parse([]string{"--heartbeat-interval=2s"}); err != nil {
		t.Fatal(err)
	}
	c, err := Load(path, fs)
	if err != nil {
		t.Fatal(err)
	}
	want := Config{
		Addr: "127.0.0.1:8420", Database: "postgres://db/baton", LeaseTTL: 5 * time.Second,
		HeartbeatInterval: 2 * time.Second, SweepInterval: 500 * time.Millisecond, MaxLost: 3,
		Servers: []string{"http://a:1", "http://b:2"}, Zone: "env-zone", Group: "default", Capacity: 8, MaxLogBytes: 10 << 20,
		Labels: map[string]string{"gpu": "true"}, WorkDir: "./baton-work", LogLevel: "info", LogFormat: "text",
		ShutdownGrace: 30 * time.Second, MaxOutputBytes: 256 << 10, MaxTasksPerWorkflow: 5000, MaxRunsPerBatch: 100,
		MaxResourceBytes: 64 << 20, MaxResourceFiles: 10000,
		Retention: Retention{Runs: 30 * 24 * time.Hour, Audit: 365 * 24 * time.Hour, RequestKeys: 24 * time.Hour, Interval: time.Minute, Batch: 500,
			Pause: 100 * time.Millisecond},
		Measurement: Measurement{Deadlines: true, HedgedRenewals: true},
	}
	if diff := cmp.Diff(want, c); diff != "" {
		t.Errorf("config (-want +got):\n%s", diff)
	}
}

func TestRejects(t *testing.T) {
	tests := []struct {
		name, file, want string
	}{
		{"unknown key names its line", "addr: x\n\nlease_tll: 3s\n", `baton.yaml:3: unknown config key "lease_tll"`},
		{"bad duration", "lease_ttl: soon\n", "lease_ttl"},
		{"heartbeat not shorter than lease", "lease_ttl: 1s\nheartbeat_interval: 2s\n", "heartbeat_interval (2s) must be shorter"},
		{"not a mapping", "- a\n", "must be a mapping"},
		{"unknown retention key names its line", "retention:\n  runs: 7d\n  logs: 1d\n", "baton.yaml:3: unknown config key retention.logs"},
		{"retention not a mapping", "retention: 30d\n", "baton.yaml:1: retention: must be a mapping"},
		{"negative retention", "retention: {runs: -1h}\n", "retention.runs: must not be negative"},
		{"retention batch zero", "retention: {batch: 0}\n", "retention.batch: must be between 1 and 100000, got 0"},
		{"retention interval zero", "retention: {interval: 0s}\n", "retention.interval: must be a positive duration"},
		{"request keys zero", "retention: {request_keys: 0s}\n", "retention.request_keys: must be a positive duration"},
		{"retention bad duration", "retention: {audit: a year}\n", "retention.audit"},
		{"bad log format", "log_format: xml\n", "log_format"},
		{"shutdown grace not positive", "shutdown_grace: 0s\n", "shutdown_grace: must be a positive duration"},
		{"server certificate without key", "tls_cert: s.pem\n", "tls_cert and tls_key: give both"},
		{"client key without certificate", "tls_client_key: k.pem\n", "tls_client_cert and tls_client_key: give both"},
		{"client CA without TLS", "tls_client_ca: ca.pem\n", "tls_client_ca: needs tls_cert"},
		{"oidc unknown key names its line", "oidc:\n  issuer: https://id.example.com\n  client_secert: x\n",
			`baton.yaml:3: unknown config key oidc.client_secert`},
		{"oidc not a mapping", "oidc: https://id.example.com\n", "baton.yaml:1: oidc: must be a mapping"},
		{"oidc incomplete", "oidc:\n  issuer: https://id.example.com\n", "oidc.client_id: required"},
		{"oidc worker role", oidcSection + "  default_role: worker\n", "oidc.default_role: the worker role is for workers only"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(write(t, tt.file), nil)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Load: %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

const oidcSection = `oidc:
  issuer: https://id.example.com/realms/baton
  client_id: baton
  client_secret_file: /etc/baton/oidc-secret
  redirect_url: https://baton.example.com/login/oidc/callback
  scopes: [openid, email, groups]
  role_claim: groups
  role_map: {baton-admins: admin, /Team.Ops: operator}
  username_claim: preferred_username
`

func TestOIDCSection(t *testing.T) {
	c, err := Load(write(t, oidcSection), nil)
	if err != nil {
		t.Fatal(err)
	}
	want := oidc.Config{Issuer: "https://id.example.com/realms/baton", ClientID: "baton",
		ClientSecretFile: "/etc/baton/oidc-secret", RedirectURL: "https://baton.example.com/login/oidc/callback",
		Scopes: []string{"openid", "email", "groups"}, RoleClaim: "groups",
		RoleMap:       map[string]string{"baton-admins": "admin", "/Team.Ops": "operator"},
		UsernameClaim: "preferred_username"}
	if diff := cmp.Diff(want, c.OIDC); diff != "" {
		t.Errorf("oidc (-want +got):\n%s", diff)
	}
}

func TestTLSKeys(t *testing.T) {
	path := write(t, "tls_cert: /etc/baton/server.pem\ntls_key: /etc/baton/server-key.pem\ntls_client_ca: /etc/baton/ca.pem\n")
	t.Setenv("BATON_TLS_CA", "/env/ca.pem")
	t.Setenv("BATON_INSECURE", "true")
	fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
	fs.String("tls-client-cert", "", "")
	fs.String("tls-client-key", "", "")
	if err := fs.Parse([]string{"--tls-client-cert=w.pem", "--tls-client-key=w-key.pem"}); err != nil {
		t.Fatal(err)
	}
	c, err := Load(path, fs)
	if err != nil {
		t.Fatal(err)
	}
	got := []any{c.TLSCert, c.TLSKey, c.TLSClientCA, c.TLSCA, c.TLSClientCert, c.TLSClientKey, c.Insecure}
	want := []any{"/etc/baton/server.pem", "/etc/baton/server-key.pem", "/etc/baton/ca.pem", "/env/ca.pem",
		"w.pem", "w-key.pem", true}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("TLS keys (-want +got):\n%s", diff)
	}
}

func TestRetention(t *testing.T) {
	// File values merge with the defaults; days are accepted; the
	// environment overrides one sub-key.
	t.Setenv("BATON_RETENTION_BATCH", "50")
	c, err := Load(write(t, "retention:\n  runs: 7d\n  audit: 0\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	want := Retention{Runs: 7 * 24 * time.Hour, Audit: 0, RequestKeys: 24 * time.Hour, Interval: time.Minute, Batch: 50, Pause: 100 * time.Millisecond}
	if diff := cmp.Diff(want, c.Retention); diff != "" {
		t.Errorf("retention (-want +got):\n%s", diff)
	}
}

func TestMeasurement(t *testing.T) {
	// Both switches default on; the file and the environment turn each off;
	// an unknown switch is refused with its line.
	c, err := Load("", nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := (Measurement{Deadlines: true, HedgedRenewals: true}); c.Measurement != want {
		t.Errorf("default measurement %+v, want %+v", c.Measurement, want)
	}
	t.Setenv("BATON_MEASUREMENT_HEDGED_RENEWALS", "false")
	c, err = Load(write(t, "measurement:\n  deadlines: false\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := (Measurement{}); c.Measurement != want {
		t.Errorf("measurement %+v, want both off", c.Measurement)
	}
	_, err = Load(write(t, "measurement:\n  deadline: false\n"), nil)
	if err == nil || !strings.Contains(err.Error(), "deadline") || !strings.Contains(err.Error(), ":2") {
		t.Errorf("unknown measurement key: err %v, want it named with its line", err)
	}
}
