// Package deploy holds the tests of the deployment files: the systemd
// units and example config (in make test) and the Helm chart (in make lint,
// which builds helm).
package deploy

import (
	"bufio"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/baton-sched/baton/internal/config"
)

// unit is a systemd unit file: every value of every key, by section.
type unit map[string]map[string][]string

func readUnit(t *testing.T, path string) unit {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	u := unit{}
	section := ""
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, ";"):
		case strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]"):
			section = strings.Trim(line, "[]")
			u[section] = map[string][]string{}
		default:
			k, v, ok := strings.Cut(line, "=")
			if !ok || section == "" {
				t.Fatalf("%s:%d: not a key=value line in a section: %q", path, n, line)
			}
			u[section][k] = append(u[section][k], v)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return u
}

// get returns the last value of key in [Service], as systemd does.
func (u unit) get(key string) string {
	vs := u["Service"][key]
	if len(vs) == 0 {
		return ""
	}
	return vs[len(vs)-1]
}

func loadExampleConfig(t *testing.T) config.Config {
	t.Helper()
	clearBatonEnv(t)
	return loadConfig(t, filepath.Join("systemd", "baton.yaml"))
}

func TestSystemdExampleConfigLoads(t *testing.T) {
	c := loadExampleConfig(t)
	if !strings.HasPrefix(c.Database, "postgres://") || len(c.Servers) < 2 {
		t.Errorf("example config: database %q, servers %v", c.Database, c.Servers)
	}
}

func TestSystemdUnits(t *testing.T) {
	c := loadExampleConfig(t)
	for _, name := range []string{"baton-server.service", "baton-worker.service"} {
		t.Run(name, func(t *testing.T) {
			u := readUnit(t, filepath.Join("systemd", name))
			role := strings.TrimSuffix(strings.TrimPrefix(name, "baton-"), ".service")
			if exec := u.get("ExecStart"); exec != "/usr/local/bin/baton "+role+" --config /etc/baton/baton.yaml" {
				t.Errorf("ExecStart=%s", exec)
			}
			for key, want := range map[string]string{
				"Restart": "on-failure", "User": "baton", "NoNewPrivileges": "yes", "ProtectSystem": "strict",
				"PrivateTmp": "yes", "ProtectHome": "yes", "CapabilityBoundingSet": "", "AmbientCapabilities": "",
				"ProtectKernelModules": "yes", "ProtectControlGroups": "yes",
			} {
				if vs := u["Service"][key]; len(vs) == 0 || u.get(key) != want {
					t.Errorf("%s=%v, want %q", key, vs, want)
				}
			}
			if u["Install"]["WantedBy"] == nil {
				t.Error("no WantedBy in [Install]: systemctl enable would do nothing")
			}
			stop, err := time.ParseDuration(u.get("TimeoutStopSec"))
			if err != nil {
				t.Fatalf("TimeoutStopSec: %v", err)
			}
			if role == "server" && stop <= 10*time.Second {
				t.Errorf("server TimeoutStopSec=%v: a server takes up to 10s to let requests finish", stop)
			}
			if role != "worker" {
				return
			}
			// The worker alone gets SIGTERM; what is left of its cgroup,
			// task process groups included, SIGKILL.
			if u.get("KillMode") != "mixed" {
				t.Errorf("worker KillMode=%s, want mixed", u.get("KillMode"))
			}
			// Grace, then the kill grace, reports and the stop call (10 s each).
			if min := c.ShutdownGrace + 30*time.Second; stop <= min {
				t.Errorf("worker TimeoutStopSec=%v, want more than shutdown_grace + 30s = %v", stop, min)
			}
			writable := strings.Fields(strings.Join(u["Service"]["ReadWritePaths"], " "))
			if !slices.ContainsFunc(writable, func(p string) bool {
				return c.WorkDir == p || strings.HasPrefix(c.WorkDir, strings.TrimSuffix(p, "/")+"/")
			}) {
				t.Errorf("workdir %s is not under ReadWritePaths %v: tasks could not write it", c.WorkDir, writable)
			}
			for _, key := range []string{"MemoryDenyWriteExecute", "SystemCallFilter", "PrivateDevices"} {
				if u["Service"][key] != nil {
					t.Errorf("worker sets %s: task programs (JITs, odd system calls, devices) would break", key)
				}
			}
		})
	}
}
