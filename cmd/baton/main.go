// Command baton is Baton's one binary: the server, the worker, the
// all-in-one dev mode, and the CLI client of the HTTP API.
package main

import (
	"errors"
	"fmt"
	"os"
)

func main() {
	tuneGC()
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	root := newRoot()
	root.SetArgs(args)
	err := root.Execute()
	if err == nil {
		return 0
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.msg != "" {
			fmt.Fprintln(os.Stderr, safeText(ee.msg))
		}
		return ee.code
	}
	fmt.Fprintln(os.Stderr, "error:", safeText(err.Error()))
	return 1
}

// exitError ends the program with a chosen exit code, e.g. `baton run
// --wait` for a run that did not succeed.
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return fmt.Sprintf("exit %d: %s", e.code, e.msg) }
