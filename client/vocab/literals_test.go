package vocab_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/baton-sched/baton/client/vocab"
)

// words are the strings only this package may spell where a state or a
// kind is meant.
func words() map[string]bool {
	w := map[string]bool{}
	for _, list := range [][]string{vocab.RunStates, vocab.TaskStates, vocab.AttemptStates, vocab.WorkerStates, vocab.Kinds,
		vocab.ApprovalStates} {
		for _, s := range list {
			w[s] = true
		}
	}
	return w
}

// allowed are literals that spell one of the words but mean something else,
// by file (slash path from the module root).
var allowed = map[string][]string{
	// The template field {{ run.workflow }}, not the sub-workflow kind.
	"internal/workflow/template.go": {"workflow"},
	// trigger.workflow, the template field naming the upstream workflow.
	"internal/workflow/trigger.go": {"workflow"},
	// The chaos scenario format's own words: a fault target ("workflow"),
	// trigger points ("running"), the heartbeat check's field ("failed").
	"internal/chaos/scenario.go":       {"workflow"},
	"internal/chaos/fault_parse.go":    {"running"},
	"internal/chaos/runner.go":         {"running"},
	"internal/chaos/scenario_parse.go": {"failed", "workflow"},
	// Benchmark scenario names.
	"internal/bench/bench.go":  {"noop", "shell"},
	"internal/bench/report.go": {"noop", "shell"},
	"internal/bench/peers.go":  {"noop"},
	// A report status of the worker protocol answer, not an attempt state.
	"internal/engine/report.go": {"fenced"},
	// A field name of the answers the fast decoder reads (run.workflow).
	"client/fastjson.go": {"workflow"},
	// A page name of the web UI.
	"internal/ui/ui.go": {"workflow"},
	// A CSS class of the web UI (states that wait), not the wait kind.
	"internal/ui/dag.go": {"wait"},
}

// TestNoStateLiterals walks every non-test Go file (and html template) of
// the module and fails on a state or kind name spelled where a state or
// kind is meant: compared
// (== and !=, switch cases), assigned or keyed to a field or variable whose
// name says State or Kind, listed in a composite literal, declared as a
// constant or variable, or returned.
func TestNoStateLiterals(t *testing.T) {
	root := filepath.Join("..", "..")
	w := words()
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if rel == "client/vocab" || d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".") && rel != "." {
				return filepath.SkipDir
			}
			if _, err := os.Stat(filepath.Join(path, "go.mod")); err == nil && rel != "." {
				return filepath.SkipDir // another module
			}
			return nil
		}
		if strings.HasSuffix(path, ".html") {
			return checkTemplate(t, path, w)
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		for _, lit := range badEnums(f, w) {
			t.Errorf("%s: enum %s mixes or misspells states or kinds: list one family of client/vocab", fset.Position(lit.Pos()), lit.Value)
		}
		for _, lit := range stateLiterals(f, w) {
			s, _ := strconv.Unquote(lit.Value)
			if slices.Contains(allowed[rel], s) {
				continue
			}
			t.Errorf("%s: literal %s: use the constant of client/vocab", fset.Position(lit.Pos()), lit.Value)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// stateLiterals returns the literals of f that spell one of w in a place
// where a state or kind is meant.
func stateLiterals(f *ast.File, w map[string]bool) []*ast.BasicLit {
	var out []*ast.BasicLit
	check := func(e ast.Expr) {
		if lit, ok := e.(*ast.BasicLit); ok && lit.Kind == token.STRING {
			if s, err := strconv.Unquote(lit.Value); err == nil && w[s] {
				out = append(out, lit)
			}
		}
	}
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.BinaryExpr:
			if (n.Op == token.EQL || n.Op == token.NEQ) && !scheme(n.X) && !scheme(n.Y) {
				check(n.X)
				check(n.Y)
			}
		case *ast.CaseClause:
			for _, e := range n.List {
				check(e)
			}
		case *ast.AssignStmt:
			for i, l := range n.Lhs {
				if i < len(n.Rhs) && len(n.Lhs) == len(n.Rhs) && statey(l) {
					check(n.Rhs[i])
				}
			}
		case *ast.KeyValueExpr:
			if statey(n.Key) {
				check(n.Value)
			}
		case *ast.CompositeLit:
			for _, e := range n.Elts {
				check(e)
			}
		case *ast.ValueSpec:
			for _, e := range n.Values {
				check(e)
			}
		case *ast.ReturnStmt:
			for _, e := range n.Results {
				if lit, ok := e.(*ast.BasicLit); !ok || lit.Value != strconv.Quote(vocab.KindHTTP) { // also a URL scheme
					check(e)
				}
			}
		}
		return true
	})
	return out
}

// scheme reports whether e is a URL's scheme (u.Scheme), which "http" may
// be compared to.
func scheme(e ast.Expr) bool {
	sel, ok := e.(*ast.SelectorExpr)
	return ok && sel.Sel.Name == "Scheme"
}

// statey reports whether e names a state or a kind.
func statey(e ast.Expr) bool {
	var name string
	switch e := e.(type) {
	case *ast.Ident:
		name = e.Name
	case *ast.SelectorExpr:
		name = e.Sel.Name
	default:
		return false
	}
	name = strings.ToLower(name)
	return strings.Contains(name, "state") || strings.Contains(name, "kind")
}

// action is a template action, {{ ... }}.
var action = regexp.MustCompile(`{{.*?}}`)

// checkTemplate fails on a state or kind name quoted in an action of an
// html template (such as eq .State "failed"): templates map states with
// the UI's functions (class, icon), which use the constants.
func checkTemplate(t *testing.T, path string, w map[string]bool) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	for i, line := range strings.Split(string(b), "\n") {
		for _, a := range action.FindAllString(line, -1) {
			for word := range w {
				if strings.Contains(a, strconv.Quote(word)) {
					t.Errorf("%s:%d: %s in a template action: use a function of the UI", path, i+1, strconv.Quote(word))
				}
			}
		}
	}
	return nil
}

// families are the lists an API enum of states or kinds draws from.
var families = [][]string{vocab.RunStates, vocab.TaskStates, vocab.AttemptStates, vocab.WorkerStates, vocab.Kinds,
	vocab.ApprovalStates}

// badEnums returns the struct tags of f whose enum names a state or kind
// but is not drawn from one family (a typo, or states of two kinds of
// things).
func badEnums(f *ast.File, w map[string]bool) []*ast.BasicLit {
	var out []*ast.BasicLit
	ast.Inspect(f, func(n ast.Node) bool {
		field, ok := n.(*ast.Field)
		if !ok || field.Tag == nil {
			return true
		}
		tag, err := strconv.Unquote(field.Tag.Value)
		if err != nil {
			return true
		}
		enum, ok := reflect.StructTag(tag).Lookup("enum")
		if !ok {
			return true
		}
		values := strings.Split(enum, ",")
		if !slices.ContainsFunc(values, func(v string) bool { return w[v] }) {
			return true
		}
		if !slices.ContainsFunc(families, func(fam []string) bool {
			return !slices.ContainsFunc(values, func(v string) bool { return !slices.Contains(fam, v) })
		}) {
			out = append(out, field.Tag)
		}
		return true
	})
	return out
}
