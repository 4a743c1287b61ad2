package taskkind

import "time"

// Renderer expands templates for one attempt of a task; the engine
// implements it with the run's scope (parameters, run and task fields,
// upstream outputs, secrets). When only showing a task, secrets are left
// as "${{ secrets.NAME }}" and never read.
type Renderer interface {
	// Render expands tmpl, the template at p; its error names p.
	Render(p Path, tmpl string) (string, error)
	// Secret returns the value of a secret the Spec names (SecretUser),
	// or its placeholder when only showing; ok is false when it does not
	// exist.
	Secret(name string) (value string, ok bool)
	// Timeout is the task's attempt timeout (zero: none).
	Timeout() time.Duration
}
