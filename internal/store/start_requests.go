package store

import (
	"fmt"
	"strconv"
	"strings"
)

// StartRecord is a run start request recorded under the Idempotency-Key
// it came with: what a repeat of it answers.
type StartRecord struct {
	WorkflowID int64
	Key        string
	// BodyHash identifies the request (its runs and its caller): the key
	// sent with another request is refused.
	BodyHash string
	// RunIDs are the runs of the answer, in the request's order.
	RunIDs    []int64
	CreatedAt int64
}

// EncodeRunIDs writes run IDs as the first and then each one's difference
// to the one before, comma-separated: the runs of one request are mostly
// consecutive, so a batch of 500 takes about a kilobyte.
func EncodeRunIDs(ids []int64) string {
	var b strings.Builder
	b.Grow(2 * len(ids))
	var prev int64
	for i, id := range ids {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.FormatInt(id-prev, 10))
		prev = id
	}
	return b.String()
}

// DecodeRunIDs reads what EncodeRunIDs wrote.
func DecodeRunIDs(s string) ([]int64, error) {
	if s == "" {
		return nil, nil
	}
	parts := strings.Split(s, ",")
	out := make([]int64, len(parts))
	var prev int64
	for i, p := range parts {
		d, err := strconv.ParseInt(p, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("run ids %.40q: %w", s, err)
		}
		prev += d
		out[i] = prev
	}
	return out, nil
}
