package wait

import (
	"strings"
	"testing"
	"time"

	"github.com/baton-sched/baton/internal/taskkind"
	"github.com/baton-sched/baton/internal/taskkind/kindtest"
)

func TestLogicalWindow(t *testing.T) {
	from, to, err := LogicalWindow("2026-12-07")
	day := time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)
	if err != nil || from != day.UnixMilli() || to != day.AddDate(0, 0, 1).UnixMilli() {
		t.Errorf("date: [%d, %d) %v, want the UTC day", from, to, err)
	}
	from, to, err = LogicalWindow("2026-12-07T02:00:00+08:00")
	at := time.Date(2026, 12, 6, 18, 0, 0, 0, time.UTC).UnixMilli()
	if err != nil || from != at || to != at+1 {
		t.Errorf("time: [%d, %d) %v, want exactly %d", from, to, err, at)
	}
	if _, _, err := LogicalWindow("12/07/2026"); err == nil {
		t.Error("a US date was accepted")
	}
}

func TestPrepare(t *testing.T) {
	r := kindtest.Renderer{Values: map[string]string{"run.scheduled_date": "2026-12-07"}}
	p, err := prepare(r, &Block{Workflow: "load", Interval: taskkind.Duration(time.Minute), OnTimeout: Skip})
	c, _ := p.Payload.(*Condition)
	day := time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)
	if err != nil || c == nil || c.FromMs != day.UnixMilli() || c.ToMs != day.AddDate(0, 0, 1).UnixMilli() ||
		c.Interval != time.Minute || c.Timeout != DefaultTimeout.Std() || c.OnTimeout != Skip {
		t.Fatalf("workflow condition %+v %v", c, err)
	}
	if got := c.Describe(); !strings.Contains(got, "a run of load for 2026-12-07 to succeed") {
		t.Errorf("describe %q", got)
	}
	p, err = prepare(r, &Block{HTTP: &HTTP{URL: "https://u:pw@status.example.com/x", Headers: map[string]string{"A": "b"}}})
	if c, _ := p.Payload.(*Condition); err != nil || c.HTTP == nil || c.HTTP.Headers["A"] != "b" ||
		strings.Contains(c.Describe(), "pw") {
		t.Errorf("http condition %+v %v", c, err)
	}
	if _, err := prepare(r, &Block{Until: "tomorrow"}); err == nil || !strings.HasPrefix(err.Error(), "wait.until: ") {
		t.Errorf("until not a time: %v", err)
	}
	if _, err := prepare(r, &Block{Workflow: "load", LogicalDate: "someday"}); err == nil ||
		!strings.HasPrefix(err.Error(), "wait.logical_date: ") {
		t.Errorf("logical_date not a date: %v", err)
	}
}
