package worker

import (
	"strings"
	"testing"
	"time"
)

func TestConfigValidate(t *testing.T) {
	_, err := New(Config{Capacity: -1, MaxTasks: 5000, KillGrace: -time.Second, ClaimWait: time.Minute,
		MinBackoff: time.Second, MaxBackoff: time.Millisecond, Shim: []string{"shim"}})
	if err == nil {
		t.Fatal("no error")
	}
	for _, field := range []string{"Capacity", "MaxTasks", "KillGrace", "ClaimWait", "MaxBackoff"} {
		if !strings.Contains(err.Error(), "worker config: "+field+":") {
			t.Errorf("error does not name %s:\n%v", field, err)
		}
	}
}

func TestConfigDefaults(t *testing.T) {
	c := Config{}.withDefaults()
	if c.Capacity != 1 || c.KillGrace != 10*time.Second || c.ShutdownGrace != 30*time.Second ||
		c.ClaimWait != 20*time.Second || c.MaxLogBytes != 10<<20 || c.Egress == nil || len(c.Shim) != 2 || c.Shim[1] != "task-shim" {
		t.Errorf("defaults: %+v", c)
	}
	if err := c.validate(); err != nil {
		t.Errorf("defaults do not validate: %v", err)
	}
}
