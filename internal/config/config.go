// Package config loads Baton's configuration: one flat YAML file meant to be
// identical on every node, overridden by BATON_* environment variables and
// then by command-line flags. Unknown keys are errors naming the line.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/go-viper/mapstructure/v2"
	"github.com/knadh/koanf/v2"
	"github.com/spf13/pflag"
	"go.yaml.in/yaml/v4"

	"github.com/baton-sched/baton/internal/auth/oidc"
	"github.com/baton-sched/baton/internal/workflow"
)

// Config is every setting of every role; each role reads what it needs.
type Config struct {
	// Addr is where `baton server` and `baton dev` listen.
	Addr string `koanf:"addr"`
	// Database is "postgres://..." (cluster) or "sqlite:PATH" (one node).
	Database string `koanf:"database"`
	// LeaseTTL is how long a worker's lease lasts after a heartbeat.
	LeaseTTL time.Duration `koanf:"lease_ttl"`
	// HeartbeatInterval is how often workers renew their lease.
	HeartbeatInterval time.Duration `koanf:"heartbeat_interval"`
	// SweepInterval is how often each server looks for expired leases.
	SweepInterval time.Duration `koanf:"sweep_interval"`
	// MaxLost bounds the lost attempts of one task.
	MaxLost int `koanf:"max_lost"`

	// Servers are the URLs a worker or the CLI talks to.
	Servers []string `koanf:"servers"`
	// Name, Zone, Group, Capacity, Labels and WorkDir describe a worker.
	Name     string            `koanf:"name"`
	Zone     string            `koanf:"zone"`
	Group    string            `koanf:"group"`
	Capacity float64           `koanf:"capacity"`
	Labels   map[string]string `koanf:"labels"`
	WorkDir  string            `koanf:"workdir"`
	// ShutdownGrace is how long a worker given SIGTERM lets its running
	// tasks finish before it kills them.
	ShutdownGrace time.Duration `koanf:"shutdown_grace"`

	// PublicURL is the URL browsers use to reach the servers; its host is
	// accepted in the Host and Origin headers of mutating requests.
	PublicURL string `koanf:"public_url"`
	// SecretKeyFile holds the keys that encrypt secrets (see package
	// secrets); BATON_SECRET_KEY may give them instead.
	SecretKeyFile string `koanf:"secret_key_file"`
	// EgressAllow and EgressDeny are CIDR lists that widen and narrow
	// the addresses alert deliveries and HTTP tasks may reach (see
	// package egress).
	EgressAllow []string `koanf:"egress_allow"`
	EgressDeny  []string `koanf:"egress_deny"`
	// MaxLogBytes caps the output kept of one attempt, on the servers and
	// on the workers (the head and the tail are kept).
	MaxLogBytes int64 `koanf:"max_log_bytes"`
	// MaxOutputBytes caps the outputs of one attempt (keys and values):
	// past it the attempt fails, its outputs dropped.
	MaxOutputBytes int64 `koanf:"max_output_bytes"`
	// MaxResourceBytes and MaxResourceFiles bound one version of a
	// resource (the bytes of its files, their count).
	MaxResourceBytes int64 `koanf:"max_resource_bytes"`
	MaxResourceFiles int64 `koanf:"max_resource_files"`
	// MaxTasksPerWorkflow, MaxRunsPerBatch and MaxRowsPerTx bound the
	// work of one request (see docs/api.md, Limits); MaxRowsPerTx 0 is
	// the store's default (20000 on PostgreSQL, 5000 on SQLite).
	MaxTasksPerWorkflow int `koanf:"max_tasks_per_workflow"`
	MaxRunsPerBatch     int `koanf:"max_runs_per_batch"`
	MaxRowsPerTx        int `koanf:"max_rows_per_tx"`
	// MaxWriteTx bounds the claims, reports and starts one server runs
	// at once (the others wait before their transaction begins; see
	// docs/operations.md); 0 derives it from the pool and the processors,
	// -1 leaves them unbounded.
	MaxWriteTx int `koanf:"max_write_tx"`

	// LogLevel is debug, info, warn or error; LogFormat is text or json.
	LogLevel  string `koanf:"log_level"`
	LogFormat string `koanf:"log_format"`

	// TLSCert and TLSKey are a server's certificate and key (PEM); with
	// them it serves HTTPS, and reloads them when the files change.
	TLSCert string `koanf:"tls_cert"`
	TLSKey  string `koanf:"tls_key"`
	// TLSClientCA makes a server verify client certificates against this
	// CA and demand one from workers (mTLS).
	TLSClientCA string `koanf:"tls_client_ca"`
	// TLSCA is the CA that clients and workers verify servers with
	// (default: the system's roots).
	TLSCA string `koanf:"tls_ca"`
	// TLSClientCert and TLSClientKey are a worker's client certificate.
	TLSClientCert string `koanf:"tls_client_cert"`
	TLSClientKey  string `koanf:"tls_client_key"`
	// Insecure lets a server listen on an address other machines can
	// reach without TLS (it warns at every start).
	Insecure bool `koanf:"insecure"`

	// Token is the bearer token of the CLI (BATON_TOKEN), and a worker's
	// join token.
	Token string `koanf:"token"`
	// JoinToken is a worker's join token (else token); JoinTokenFile
	// holds it.
	JoinToken     string `koanf:"join_token"`
	JoinTokenFile string `koanf:"join_token_file"`
	// BootstrapTokenFile holds a token secret that a server makes its
	// first admin token if the database has none (see baton auth).
	BootstrapTokenFile string `koanf:"bootstrap_token_file"`

	// OIDC turns on OpenID Connect login for the web UI (a section of
	// its own, set in the file only; see package oidc).
	OIDC oidc.Config `koanf:"oidc"`
	// Retention says how long servers keep finished runs and audit
	// events (see docs/operations.md, Retention).
	Retention Retention `koanf:"retention"`
	// Measurement switches features off to measure what they cost (see
	// docs/performance.md); both default on, and production keeps them on.
	Measurement Measurement `koanf:"measurement"`
}

// Measurement is the measurement key: switches for measuring what a
// feature costs, never for production.
type Measurement struct {
	// Deadlines: servers bound every engine transaction (15 s) and their
	// PostgreSQL sessions (statement, lock and idle-in-transaction
	// timeouts).
	Deadlines bool `koanf:"deadlines"`
	// HedgedRenewals: workers send a heartbeat not answered within a
	// quarter interval to the next server too.
	HedgedRenewals bool `koanf:"hedged_renewals"`
}

// Retention is the retention key: a mapping of its own.
type Retention struct {
	// Runs is how long finished runs are kept, for workflows that set no
	// retention of their own; 0 keeps them forever.
	Runs time.Duration `koanf:"runs"`
	// Audit is how long events not tied to a run (operator actions,
	// worker and zone events) are kept; 0 keeps them forever.
	Audit time.Duration `koanf:"audit"`
	// RequestKeys is how long the Idempotency-Key of a run start request
	// is kept: a repeat within it returns the first request's runs.
	RequestKeys time.Duration `koanf:"request_keys"`
	// Interval is how often each server looks for what expired.
	Interval time.Duration `koanf:"interval"`
	// Batch is the most runs, or audit events, one transaction deletes.
	Batch int `koanf:"batch"`
	// Pause is the rest between two batches.
	Pause time.Duration `koanf:"pause"`
}

// Keys are the configuration keys, as written in the file; flags use them
// with dashes, environment variables upper-cased with a BATON_ prefix.
var Keys = []string{
	"addr", "database", "lease_ttl", "heartbeat_interval", "sweep_interval", "max_lost",
	"servers", "name", "zone", "group", "capacity", "labels", "workdir", "log_level", "log_format",
	"tls_cert", "tls_key", "tls_client_ca", "tls_ca", "tls_client_cert", "tls_client_key", "insecure",
	"shutdown_grace",
	"public_url", "secret_key_file", "egress_allow", "egress_deny", "max_log_bytes",
	"max_output_bytes", "max_tasks_per_workflow", "max_runs_per_batch", "max_rows_per_tx", "max_write_tx",
	"max_resource_bytes", "max_resource_files",
	"token", "join_token", "join_token_file", "bootstrap_token_file",
	"oidc", "retention", "measurement",
}

// sections are the keys whose value is a mapping of its own keys, checked
// in the file too. They are set in the file only, but for those of
// envSections, whose keys environment variables may set joined with an
// underscore (BATON_RETENTION_RUNS).
var (
	sections = map[string][]string{
		"oidc":        oidc.Keys,
		"retention":   {"runs", "audit", "request_keys", "interval", "batch", "pause"},
		"measurement": {"deadlines", "hedged_renewals"},
	}
	envSections = map[string]bool{"retention": true, "measurement": true}
)

// Defaults are the values of keys nobody set.
func Defaults() map[string]any {
	return map[string]any{
		"addr": "127.0.0.1:8420", "lease_ttl": "4s", "heartbeat_interval": "500ms",
		"sweep_interval": "500ms", "max_lost": 3, "capacity": 4.0, "zone": "default",
		"group": "default", "workdir": "./baton-work", "log_level": "info", "log_format": "text",
		"shutdown_grace":   "30s",
		"max_log_bytes":    10 << 20,
		"max_output_bytes": 256 << 10, "max_tasks_per_workflow": 5000, "max_runs_per_batch": 100,
		"max_resource_bytes": 64 << 20, "max_resource_files": 10000,
		"retention": map[string]any{"runs": "720h", "audit": "8760h", "request_keys": "24h", "interval": "1m",
			"batch": 500, "pause": "100ms"},
		"measurement": map[string]any{"deadlines": true, "hedged_renewals": true},
	}
}

// Load merges defaults, the file at path (if not empty), the environment and
// the flags that were set on fs.
func Load(path string, fs *pflag.FlagSet) (Config, error) {
	k := koanf.New(".")
	if err := k.Load(mapProvider(Defaults()), nil); err != nil {
		return Config{}, err
	}
	if path != "" {
		m, err := readFile(path)
		if err != nil {
			return Config{}, err
		}
		if err := k.Load(mapProvider(m), nil); err != nil {
			return Config{}, err
		}
	}
	env := map[string]any{}
	for _, key := range Keys {
		subs, section := sections[key]
		if !section {
			if v, ok := os.LookupEnv("BATON_" + strings.ToUpper(key)); ok {
				env[key] = listValue(key, v)
			}
			continue
		}
		if !envSections[key] {
			continue
		}
		for _, sub := range subs {
			if v, ok := os.LookupEnv("BATON_" + strings.ToUpper(key+"_"+sub)); ok {
				m, _ := env[key].(map[string]any)
				if m == nil {
					m = map[string]any{}
					env[key] = m
				}
				m[sub] = v
			}
		}
	}
	if err := k.Load(mapProvider(env), nil); err != nil {
		return Config{}, err
	}
	if fs != nil {
		flags := map[string]any{}
		fs.Visit(func(f *pflag.Flag) {
			key := strings.ReplaceAll(f.Name, "-", "_")
			if slices.Contains(Keys, key) {
				flags[key] = listValue(key, f.Value.String())
			}
		})
		if err := k.Load(mapProvider(flags), nil); err != nil {
			return Config{}, err
		}
	}
	var c Config
	err := k.UnmarshalWithConf("", &c, koanf.UnmarshalConf{DecoderConfig: &mapstructure.DecoderConfig{
		DecodeHook: mapstructure.ComposeDecodeHookFunc(
			durationHook, mapstructure.StringToSliceHookFunc(",")),
		WeaklyTypedInput: true, Result: &c, TagName: "koanf",
	}})
	if err != nil {
		return Config{}, fmt.Errorf("config: %w", err)
	}
	return c, c.validate()
}

func (c Config) validate() error {
	var errs []error
	for key, d := range map[string]time.Duration{"lease_ttl": c.LeaseTTL, "heartbeat_interval": c.HeartbeatInterval,
		"sweep_interval": c.SweepInterval, "shutdown_grace": c.ShutdownGrace} {
		if d <= 0 {
			errs = append(errs, fmt.Errorf("config: %s: must be a positive duration, got %v", key, d))
		}
	}
	if c.HeartbeatInterval >= c.LeaseTTL {
		errs = append(errs, fmt.Errorf("config: heartbeat_interval (%v) must be shorter than lease_ttl (%v)",
			c.HeartbeatInterval, c.LeaseTTL))
	}
	if c.Capacity <= 0 {
		errs = append(errs, fmt.Errorf("config: capacity: must be positive, got %v", c.Capacity))
	}
	if c.MaxLogBytes < 64<<10 {
		errs = append(errs, fmt.Errorf("config: max_log_bytes: must be at least 65536, got %d", c.MaxLogBytes))
	}
	for key, v := range map[string]int64{"max_output_bytes": c.MaxOutputBytes,
		"max_tasks_per_workflow": int64(c.MaxTasksPerWorkflow), "max_runs_per_batch": int64(c.MaxRunsPerBatch),
		"max_resource_bytes": c.MaxResourceBytes, "max_resource_files": c.MaxResourceFiles} {
		if v < 1 {
			errs = append(errs, fmt.Errorf("config: %s: must be at least 1, got %d", key, v))
		}
	}
	if c.MaxRowsPerTx < 0 {
		errs = append(errs, fmt.Errorf("config: max_rows_per_tx: must be positive (or 0 for the store's default), got %d", c.MaxRowsPerTx))
	}
	if c.MaxWriteTx < -1 {
		errs = append(errs, fmt.Errorf("config: max_write_tx: must be positive, 0 (derived) or -1 (unbounded), got %d", c.MaxWriteTx))
	}
	if c.MaxLost < 1 {
		errs = append(errs, fmt.Errorf("config: max_lost: must be at least 1, got %d", c.MaxLost))
	}
	switch c.LogFormat {
	case "text", "json":
	default:
		errs = append(errs, fmt.Errorf("config: log_format: must be text or json, got %q", c.LogFormat))
	}
	errs = append(errs, c.Retention.validate()...)
	errs = append(errs, c.validateTLS()...)
	return errors.Join(append(errs, c.OIDC.Validate())...)
}

func (r Retention) validate() []error {
	var errs []error
	for key, d := range map[string]time.Duration{"runs": r.Runs, "audit": r.Audit} {
		if d < 0 {
			errs = append(errs, fmt.Errorf("config: retention.%s: must not be negative (0 keeps forever), got %v", key, d))
		}
	}
	for key, d := range map[string]time.Duration{"interval": r.Interval, "pause": r.Pause, "request_keys": r.RequestKeys} {
		if d <= 0 {
			errs = append(errs, fmt.Errorf("config: retention.%s: must be a positive duration, got %v", key, d))
		}
	}
	if r.Batch < 1 || r.Batch > 100000 {
		errs = append(errs, fmt.Errorf("config: retention.batch: must be between 1 and 100000, got %d", r.Batch))
	}
	return errs
}

// durationHook reads durations in Go syntax, or in days ("30d", "1d12h").
func durationHook(from, to reflect.Type, data any) (any, error) {
	s, ok := data.(string)
	if from.Kind() != reflect.String || to != reflect.TypeFor[time.Duration]() || !ok {
		return data, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil && strings.Contains(s, "d") {
		if dd, derr := workflow.ParseDuration(s); derr == nil {
			return dd.Std(), nil
		}
	}
	return d, err
}

// validateTLS checks that the TLS keys come in the pairs they need.
func (c Config) validateTLS() []error {
	var errs []error
	pair := func(certKey, cert, keyKey, key string) {
		if (cert == "") != (key == "") {
			errs = append(errs, fmt.Errorf("config: %s and %s: give both or neither", certKey, keyKey))
		}
	}
	pair("tls_cert", c.TLSCert, "tls_key", c.TLSKey)
	pair("tls_client_cert", c.TLSClientCert, "tls_client_key", c.TLSClientKey)
	if c.TLSClientCA != "" && c.TLSCert == "" {
		errs = append(errs, errors.New("config: tls_client_ca: needs tls_cert and tls_key (client certificates are verified over TLS)"))
	}
	return errs
}

// readFile parses the YAML file and refuses unknown keys, naming their line.
func readFile(path string) (map[string]any, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	var doc yaml.Node
	if err := yaml.NewDecoder(bytes.NewReader(data)).Decode(&doc); err != nil {
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	if len(doc.Content) == 0 {
		return map[string]any{}, nil
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%s:%d: config must be a mapping of keys to values", path, root.Line)
	}
	var errs []error
	for i := 0; i < len(root.Content); i += 2 {
		key := root.Content[i]
		if !slices.Contains(Keys, key.Value) {
			errs = append(errs, fmt.Errorf("%s:%d: unknown config key %q (known: %s)",
				path, key.Line, key.Value, strings.Join(Keys, ", ")))
		}
		if known, ok := sections[key.Value]; ok {
			errs = append(errs, checkSection(path, key.Value, root.Content[i+1], known)...)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	var m map[string]any
	if err := root.Decode(&m); err != nil {
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	return m, nil
}

// checkSection refuses a section that is not a mapping, or holds unknown
// keys, naming their line.
func checkSection(path, name string, v *yaml.Node, known []string) []error {
	if v.Kind != yaml.MappingNode {
		return []error{fmt.Errorf("%s:%d: %s: must be a mapping of keys to values", path, v.Line, name)}
	}
	var errs []error
	for i := 0; i < len(v.Content); i += 2 {
		if k := v.Content[i]; !slices.Contains(known, k.Value) {
			errs = append(errs, fmt.Errorf("%s:%d: unknown config key %s.%s (known: %s)",
				path, k.Line, name, k.Value, strings.Join(known, ", ")))
		}
	}
	return errs
}

// listValue splits list-valued keys given as one string ("a,b", "k=v,k2=v2").
func listValue(key, v string) any {
	switch key {
	case "servers", "egress_allow", "egress_deny":
		return strings.Split(v, ",")
	case "labels":
		return parseLabels(v)
	}
	return v
}

func parseLabels(v string) map[string]any {
	out := map[string]any{}
	for _, kv := range strings.Split(strings.Trim(v, "[]"), ",") {
		if k, val, ok := strings.Cut(strings.TrimSpace(kv), "="); ok {
			out[k] = val
		}
	}
	return out
}

type mapProvider map[string]any

func (m mapProvider) ReadBytes() ([]byte, error) { return nil, errors.New("not supported") }
func (m mapProvider) Read() (map[string]any, error) {
	return map[string]any(m), nil
}
