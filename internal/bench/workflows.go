package bench

import (
	"fmt"
	"strings"

	"github.com/baton-sched/baton/client"
)

// Fan-out and chain sizes.
const (
	fanWidth    = 1000
	chainLength = 100
)

// workflows are the definitions the scenarios run.
func workflows() []client.SourceFile {
	var fan strings.Builder
	fan.WriteString("name: bench-fan\ntasks:\n  - {name: root, noop: true}\n")
	for i := range fanWidth {
		fmt.Fprintf(&fan, "  - {name: m%d, noop: true, needs: [root]}\n", i)
	}
	fan.WriteString("  - name: join\n    noop: true\n    needs:\n")
	for i := range fanWidth {
		fmt.Fprintf(&fan, "      - m%d\n", i)
	}
	var chain strings.Builder
	chain.WriteString("name: bench-chain\ntasks:\n  - {name: t0, noop: true}\n")
	for i := 1; i < chainLength; i++ {
		fmt.Fprintf(&chain, "  - {name: t%d, noop: true, needs: [t%d]}\n", i, i-1)
	}
	var history strings.Builder
	history.WriteString("name: bench-history\ntasks:\n")
	for i := range historyTasks {
		fmt.Fprintf(&history, "  - {name: t%d, noop: true}\n", i)
	}
	expired := strings.Replace(history.String(), "name: bench-history\n", "name: bench-expired\nretention: 45d\n", 1)
	return []client.SourceFile{
		{Filename: "bench-history.yaml", Content: history.String()},
		{Filename: "bench-expired.yaml", Content: expired},
		{Filename: "bench-noop.yaml", Content: "name: bench-noop\ntasks:\n  - {name: t, noop: true}\n"},
		{Filename: "bench-shell.yaml", Content: "name: bench-shell\ntasks:\n  - {name: t, run: \"true\"}\n"},
		{Filename: "bench-fan.yaml", Content: fan.String()},
		{Filename: "bench-chain.yaml", Content: chain.String()},
	}
}
