package chaos

import "testing"

// A fault on the busiest worker becomes a fault on the worker named, its
// other targets kept, the scenario's fault untouched.
func TestFaultOnWorker(t *testing.T) {
	f := Fault{Kind: FaultRestart, Targets: []Target{{Kind: TargetBusiest}, {Kind: TargetServer, Name: "1"}}}
	if !f.hasBusiest() {
		t.Fatal("fault on busiest not seen as such")
	}
	g := f.onWorker("b2")
	if g.hasBusiest() || g.Targets[0] != (Target{Kind: TargetWorker, Name: "b2"}) || g.Targets[1] != f.Targets[1] {
		t.Errorf("resolved targets %+v, want worker b2 and server 1", g.Targets)
	}
	if f.Targets[0].Kind != TargetBusiest {
		t.Errorf("the scenario's fault changed: %+v", f.Targets)
	}
}
