package taskkind

import (
	"slices"
	"testing"
)

func TestRegistry(t *testing.T) {
	Register(Kind{Name: "t-b", Block: "t-b", Rank: -2})
	Register(Kind{Name: "t-a", Block: "t-a-block", Rank: -1, Group: "@t"})
	if k, ok := Lookup("t-a"); !ok || k.Block != "t-a-block" || !k.Server() {
		t.Errorf("Lookup: %+v %v", k, ok)
	}
	if k, ok := ByBlock("t-a-block"); !ok || k.Name != "t-a" {
		t.Errorf("ByBlock: %+v %v", k, ok)
	}
	var names []string
	for _, k := range All() {
		names = append(names, k.Name)
	}
	if i, j := slices.Index(names, "t-b"), slices.Index(names, "t-a"); i != 0 || j != 1 {
		t.Errorf("All in rank order: %q", names)
	}
	for _, k := range []Kind{{Name: "t-a", Block: "other"}, {Name: "other", Block: "t-b"}, {Block: "x"}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Register(%+v) did not panic", k)
				}
			}()
			Register(k)
		}()
	}
}

func TestPathString(t *testing.T) {
	if got := P("sql").Key("statements").Index(0).Key("params").Index(2).String(); got != "sql.statements[0].params[2]" {
		t.Errorf("path %q", got)
	}
	base := P("a")
	x, y := base.Key("x"), base.Key("y")
	if x.String() != "a.x" || y.String() != "a.y" {
		t.Errorf("paths alias: %s %s", x, y)
	}
}
