package store_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/baton-sched/baton/internal/store"
)

func TestRunIDsEncoding(t *testing.T) {
	t.Parallel()
	for _, ids := range [][]int64{nil, {1}, {100, 101, 102, 7, 1 << 40, 3}} {
		enc := store.EncodeRunIDs(ids)
		got, err := store.DecodeRunIDs(enc)
		if err != nil || !cmp.Equal(got, ids) {
			t.Errorf("%v encoded %q decoded %v %v", ids, enc, got, err)
		}
	}
	if enc := store.EncodeRunIDs([]int64{500, 501, 502}); enc != "500,1,1" {
		t.Errorf("encoded %q, want differences", enc)
	}
	if _, err := store.DecodeRunIDs("1,x"); err == nil {
		t.Error("a corrupt list decoded")
	}
}
