package deploy

import (
	"os"
	"strings"
	"testing"

	"github.com/baton-sched/baton/internal/config"
)

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

// loadConfig loads a config file as every role does (an unknown key is
// refused with its line).
func loadConfig(t *testing.T, path string) config.Config {
	t.Helper()
	c, err := config.Load(path, nil)
	if err != nil {
		t.Fatalf("%s does not load: %v", path, err)
	}
	return c
}
