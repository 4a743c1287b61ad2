// Command printversion prints version.Get(), for the test of the link-time
// variables `make build` sets.
package main

import (
	"fmt"

	"github.com/baton-sched/baton/internal/version"
)

func main() {
	i := version.Get()
	fmt.Printf("%s|%s|%s|%s\n", i.Version, i.Commit, i.Date, i.GoVersion)
}
