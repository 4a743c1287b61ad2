package workflow

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Limits on reporting cycles: enumerating them is exponential in the worst
// case, and a few are enough to fix a definition.
const (
	maxCyclesReported = 10
	cycleSearchBudget = 100_000
)

// check runs the checks that span fields: unique names, dependencies,
// cycles, template references and the params of schedules.
func (v *validator) check(d *Definition) {
	index := v.checkNames(d)
	up := v.checkNeeds(d, index)
	v.checkCycles(d, up)
	v.checkTemplates(d, index, up)
	v.checkSchedules(d)
}

// checkNames reports repeated task names and returns the index of the
// first task of each name.
func (v *validator) checkNames(d *Definition) map[string]int {
	index := make(map[string]int, len(d.Tasks))
	for i, t := range d.Tasks {
		if t.Name == "" {
			continue
		}
		if first, dup := index[t.Name]; dup {
			v.ps.add(pathTasks.index(i).key("name"), "duplicate task name %q (first used by tasks[%d])", t.Name, first)
			continue
		}
		index[t.Name] = i
	}
	return index
}

// checkNeeds reports bad entries in needs and returns, for each task, the
// indexes of the tasks it needs (valid, without repeats, in written order).
func (v *validator) checkNeeds(d *Definition, index map[string]int) [][]int {
	up := make([][]int, len(d.Tasks))
	names := slices.Sorted(maps.Keys(index))
	for i, t := range d.Tasks {
		seen := map[string]bool{}
		for j, need := range t.Needs {
			p := pathTasks.index(i).key("needs").index(j)
			if need == "" {
				continue // wrong type, or reported by the schema
			}
			u, known := index[need]
			switch {
			case seen[need]:
				v.ps.add(p, "task %q is listed twice", need)
			case !known:
				msg := fmt.Sprintf("unknown task %q", need)
				if s := suggest(need, names); s != "" {
					msg += fmt.Sprintf(" (did you mean %q?)", s)
				}
				v.ps.add(p, "%s", msg)
			case need == t.Name:
				v.ps.add(p, "task %q cannot need itself", need)
			case index[t.Name] != i:
				// A duplicate task: its edges would only confuse the
				// cycle report.
			default:
				up[i] = append(up[i], u)
			}
			seen[need] = true
		}
	}
	return up
}

// checkCycles reports every elementary cycle of the needs graph once
// (within limits), in run order: "cycle: a -> b -> c -> a" means b needs a,
// c needs b and a needs c. Each is reported at the needs entry of its first
// task that closes it.
func (v *validator) checkCycles(d *Definition, up [][]int) {
	n := len(up)
	down := make([][]int, n)
	for i, us := range up {
		for _, u := range us {
			down[u] = append(down[u], i)
		}
	}
	scc := components(down)
	found, budget := 0, cycleSearchBudget
	report := func(cycle []int) {
		found++
		if found > maxCyclesReported {
			return
		}
		start, last := cycle[0], cycle[len(cycle)-1]
		names := make([]string, 0, len(cycle)+1)
		for _, c := range cycle {
			names = append(names, d.Tasks[c].Name)
		}
		names = append(names, d.Tasks[start].Name)
		v.ps.add(pathTasks.index(start).key("needs").index(slices.Index(d.Tasks[start].Needs, d.Tasks[last].Name)),
			"cycle: %s", strings.Join(names, " -> "))
	}
	// Each cycle is found from its lowest task, never through lower ones,
	// so it is found once.
	for s := range n {
		before := found
		var stack []int
		onStack := make([]bool, n)
		var walk func(x int)
		walk = func(x int) {
			stack = append(stack, x)
			onStack[x] = true
			for _, y := range down[x] {
				if budget <= 0 || found > maxCyclesReported {
					break
				}
				budget--
				switch {
				case y == s:
					report(slices.Clone(stack))
				case y > s && scc[y] == scc[s] && !onStack[y]:
					walk(y)
				}
			}
			stack = stack[:len(stack)-1]
			onStack[x] = false
		}
		walk(s)
		if budget <= 0 && found == before && isLowest(s, scc) && hasCycle(s, down, scc) {
			report(shortestCycle(s, down, scc))
		}
	}
	if found > maxCyclesReported {
		v.ps.add(pathTasks, "more cycles not shown (%d reported)", maxCyclesReported)
	}
}

// components labels the strongly connected components of a graph (Tarjan).
func components(adj [][]int) []int {
	n := len(adj)
	comp := make([]int, n)
	idx := make([]int, n)
	low := make([]int, n)
	on := make([]bool, n)
	for i := range idx {
		idx[i] = -1
	}
	var stack []int
	next, label := 0, 0
	var visit func(x int)
	visit = func(x int) {
		idx[x], low[x] = next, next
		next++
		stack = append(stack, x)
		on[x] = true
		for _, y := range adj[x] {
			if idx[y] < 0 {
				visit(y)
				low[x] = min(low[x], low[y])
			} else if on[y] {
				low[x] = min(low[x], idx[y])
			}
		}
		if low[x] == idx[x] {
			for {
				y := stack[len(stack)-1]
				stack = stack[:len(stack)-1]
				on[y] = false
				comp[y] = label
				if y == x {
					break
				}
			}
			label++
		}
	}
	for i := range n {
		if idx[i] < 0 {
			visit(i)
		}
	}
	return comp
}

// isLowest reports whether s is the lowest node of its component.
func isLowest(s int, scc []int) bool {
	for i := range s {
		if scc[i] == scc[s] {
			return false
		}
	}
	return true
}

func hasCycle(s int, down [][]int, scc []int) bool {
	for _, y := range down[s] {
		if scc[y] == scc[s] {
			return true
		}
	}
	return false
}

// shortestCycle returns a shortest cycle through s inside its component.
func shortestCycle(s int, down [][]int, scc []int) []int {
	prev := map[int]int{s: -1}
	queue := []int{s}
	for len(queue) > 0 {
		x := queue[0]
		queue = queue[1:]
		for _, y := range down[x] {
			if y == s {
				var cycle []int
				for c := x; c != -1; c = prev[c] {
					cycle = append(cycle, c)
				}
				slices.Reverse(cycle)
				return cycle
			}
			if _, seen := prev[y]; !seen && scc[y] == scc[s] {
				prev[y] = x
				queue = append(queue, y)
			}
		}
	}
	return []int{s}
}

// checkTemplates parses every template and checks its references: declared
// parameters, and outputs of tasks upstream of the task using them.
func (v *validator) checkTemplates(d *Definition, index map[string]int, up [][]int) {
	// defaults.env is checked where it is written; references to outputs
	// are checked for every task that inherits it, below.
	anc := newAncestry(up)
	for _, k := range slices.Sorted(maps.Keys(d.Defaults.Env)) {
		v.checkTemplate(d, d.Defaults.Env[k], pathDefaults.key("env").key(k), fieldSecrets, -1, index, anc)
	}
	for i, t := range d.Tasks {
		if t.Name == "" || index[t.Name] != i {
			continue
		}
		p := pathTasks.index(i)
		v.checkTemplate(d, t.Run, p.key("run"), fieldShell, i, index, anc)
		for _, k := range slices.Sorted(maps.Keys(t.Env)) {
			v.checkTemplate(d, t.Env[k], p.key("env").key(k), fieldSecrets, i, index, anc)
		}
		if t.Spec != nil {
			for _, tm := range t.Spec.Templates() {
				kind := fieldPlain
				if tm.Secrets {
					kind = fieldSecrets
				}
				v.checkTemplate(d, tm.Text, joinPath(p, tm.Path), kind, i, index, anc)
			}
		}
		for _, k := range slices.Sorted(maps.Keys(d.Defaults.Env)) {
			if _, own := t.Env[k]; !own {
				v.checkOutputs(d, d.Defaults.Env[k], pathDefaults.key("env").key(k), i, index, anc)
			}
		}
	}
}

// fieldKind is what a template is written in, for the checks that depend
// on it.
type fieldKind int

const (
	fieldPlain   fieldKind = iota // http.url, sub-workflow params: no secrets
	fieldShell                    // run: shell rules (see RenderCommand), no secrets
	fieldSecrets                  // env, and kinds' templates that allow secrets (taskkind.Template.Secrets)
)

// checkTemplate reports syntax errors and unknown references in tmpl, a
// field of kind at p. task is the index of the task using it, or -1 for
// defaults.env (whose output references are checked per task).
func (v *validator) checkTemplate(d *Definition, tmpl string, p path, kind fieldKind, task int, index map[string]int, anc *ancestry) {
	parts, errs := parseTemplate(tmpl)
	for _, e := range errs {
		v.ps.addLine(p, v.templateLine(p, tmpl, e.offset), "%s", e.msg)
	}
	var spots []spot
	if kind == fieldShell {
		spots = shellSpots(parts)
	}
	for i, part := range parts {
		r := part.ref
		if r == nil {
			continue
		}
		line := func() int { return v.templateLine(p, tmpl, part.offset) }
		if spots != nil && spots[i].refuse != "" {
			v.ps.addLine(p, line(), "%s: %s", r.expr, spots[i].refuse)
		}
		if r.kind == refSecret {
			v.checkSecret(r, kind, p, line())
			continue
		}
		if r.kind != refParam {
			continue
		}
		if _, ok := d.Params[r.name]; !ok {
			msg := fmt.Sprintf("%s: parameter %q is not declared in params", r.expr, r.name)
			if s := suggest(r.name, slices.Sorted(maps.Keys(d.Params))); s != "" {
				msg += fmt.Sprintf(" (did you mean params.%s?)", s)
			}
			v.ps.addLine(p, v.templateLine(p, tmpl, part.offset), "%s", msg)
		}
	}
	if task >= 0 {
		v.checkOutputs(d, tmpl, p, task, index, anc)
	}
}

// checkSecret reports a secret referred to where secrets are not allowed,
// or one that does not exist.
func (v *validator) checkSecret(r *ref, kind fieldKind, p path, line int) {
	switch {
	case kind == fieldShell:
		v.ps.addLine(p, line, "%s: secrets are not allowed in run, where they would show in process lists "+
			"(set an env variable to ${{ %s }} and use it as \"$NAME\")", r.expr, r.expr)
	case kind != fieldSecrets:
		v.ps.addLine(p, line, "%s: secrets are only allowed in env, http.headers and http.body", r.expr)
	case !validSecretName(r.name):
		v.ps.addLine(p, line, "%s: %q is not a secret name (letters, digits, _ and -)", r.expr, r.name)
	case v.secretExists != nil && !v.secretExists(r.name):
		v.ps.addLine(p, line, "%s: secret %q does not exist (set it with: baton secret set %s)", r.expr, r.name, r.name)
	}
}

// ValidSecretName says whether s can name a secret: letters, digits, _
// and -, starting with a letter or _, at most 100 bytes.
func ValidSecretName(s string) bool { return validSecretName(s) }

func validSecretName(s string) bool {
	if s == "" || len(s) > 100 || (s[0] >= '0' && s[0] <= '9') || s[0] == '-' {
		return false
	}
	return strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") == ""
}

// checkOutputs reports references to outputs of tasks that are unknown or
// not upstream of task.
func (v *validator) checkOutputs(d *Definition, tmpl string, p path, task int, index map[string]int, anc *ancestry) {
	parts, _ := parseTemplate(tmpl)
	for _, part := range parts {
		r := part.ref
		if r == nil || r.kind != refOutput {
			continue
		}
		line := v.templateLine(p, tmpl, part.offset)
		u, ok := index[r.name]
		switch {
		case !ok:
			msg := fmt.Sprintf("%s: unknown task %q", r.expr, r.name)
			if s := suggest(r.name, slices.Sorted(maps.Keys(index))); s != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", s)
			}
			v.ps.addLine(p, line, "%s", msg)
		case !anc.has(task, u):
			v.ps.addLine(p, line, "%s: task %s is not upstream of task %s", r.expr, r.name, d.Tasks[task].Name)
		}
	}
}

// templateLine is the line of the expression at offset in a template: exact
// inside literal blocks ("run: |"), else the line of the field.
func (v *validator) templateLine(p path, tmpl string, offset int) int {
	if start, ok := v.src.blocks[p.pointer()]; ok {
		return start + strings.Count(tmpl[:offset], "\n")
	}
	return v.ps.lines.line(p)
}

// ancestry answers "is u upstream of task, directly or not?". It walks the
// needs of one task at a time, marking what it reaches; there is no per-task
// set to allocate, so long chains stay cheap.
type ancestry struct {
	up    [][]int
	mark  []int // mark[x] == stamp: x is an ancestor of cur
	stamp int
	cur   int
	stack []int
}

func newAncestry(up [][]int) *ancestry {
	return &ancestry{up: up, mark: make([]int, len(up)), cur: -1}
}

func (a *ancestry) has(task, u int) bool {
	if a.cur != task {
		a.cur = task
		a.stamp++
		a.stack = append(a.stack[:0], a.up[task]...)
		for len(a.stack) > 0 {
			x := a.stack[len(a.stack)-1]
			a.stack = a.stack[:len(a.stack)-1]
			if a.mark[x] == a.stamp {
				continue
			}
			a.mark[x] = a.stamp
			a.stack = append(a.stack, a.up[x]...)
		}
	}
	return a.mark[u] == a.stamp
}
