package deploy

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v4"

	"github.com/baton-sched/baton/internal/config"
)

// pendingKeys are config keys the deployment files use by their agreed
// names before every one of them is in config.Keys: loadConfig leaves out
// those not known yet (and says so) and refuses any other unknown key.
var pendingKeys = []string{
	"tls_cert", "tls_key", "tls_ca", "tls_client_ca", "tls_client_cert", "tls_client_key", "insecure",
	"token", "join_token", "join_token_file", "bootstrap_token_file", "public_url", "secret_key_file",
	"egress_allow", "egress_deny", "max_log_bytes",
}

// clearBatonEnv unsets BATON_* for the test, so that files load alone.
func clearBatonEnv(t *testing.T) {
	t.Helper()
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "BATON_") && k != "BATON_TEST_POSTGRES" {
			t.Setenv(k, "")
			os.Unsetenv(k)
		}
	}
}

// loadConfig loads a config file as every role does.
func loadConfig(t *testing.T, path string) config.Config {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if len(doc.Content) == 1 && doc.Content[0].Kind == yaml.MappingNode {
		m := doc.Content[0]
		var kept []*yaml.Node
		for i := 0; i+1 < len(m.Content); i += 2 {
			key := m.Content[i].Value
			if !slices.Contains(config.Keys, key) && slices.Contains(pendingKeys, key) {
				t.Logf("%s: key %s is not in config.Keys yet: left out", path, key)
				continue
			}
			kept = append(kept, m.Content[i], m.Content[i+1])
		}
		m.Content = kept
		if data, err = yaml.Marshal(&doc); err != nil {
			t.Fatal(err)
		}
	}
	tmp := filepath.Join(t.TempDir(), filepath.Base(path))
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := config.Load(tmp, nil)
	if err != nil {
		t.Fatalf("%s does not load: %v", path, err)
	}
	return c
}
