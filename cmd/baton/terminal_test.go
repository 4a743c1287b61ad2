package main

import (
	"context"
	"strings"
	"testing"

	"github.com/baton-sched/baton/client"
)

func TestSafeText(t *testing.T) {
	for in, want := range map[string]string{
		"plain text\n\twith tab": "plain text\n\twith tab",
		"héllo, 世界":              "héllo, 世界",
		"\x1b]0;TITLE\x07":       `\x1b]0;TITLE\x07`,
		"\x1b[2Jcleared":         `\x1b[2Jcleared`,
		"over\rwrite":            `over\x0dwrite`,
		"del\x7f":                `del\x7f`,
		"c1 \u009b2J":            `c1 \u009b2J`,
		"bidi \u202eevil":        `bidi \u202eevil`,
		"bad \xff byte":          `bad \xff byte`,
		"":                       "",
	} {
		if got := safeText(in); got != want {
			t.Errorf("safeText(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestCLIEscapesControlCharacters: a task's output and a failure reason
// carrying terminal escape sequences reach the terminal escaped in logs,
// events and run show; logs --raw writes the output as stored.
func TestCLIEscapesControlCharacters(t *testing.T) {
	f := newCLIFixture(t)
	f.apply(map[string]string{"evil": "name: evil\ntasks:\n  - name: t\n    run: \"true\"\n"})
	f.mustRun("run", "evil")
	ctx := context.Background()
	reg, err := f.c.Register(ctx, client.RegisterRequest{Name: "w", Zone: "a", Capacity: 1})
	if err != nil {
		t.Fatal(err)
	}
	as, err := f.c.Claim(ctx, reg.Worker.ID, client.ClaimRequest{Max: 1, FreeCU: 1})
	if err != nil || len(as) != 1 {
		t.Fatalf("claim: %v %v", as, err)
	}
	const evil = "\x1b]0;TITLE\x07\x1b[2J"
	id := as[0].AttemptID
	if _, err := f.c.SendLogs(ctx, reg.Worker.ID, []client.NewLogChunk{
		{AttemptID: id, Seq: 1, Stream: "stdout", Data: "before" + evil + "after\n"}}); err != nil {
		t.Fatal(err)
	}
	if err := f.c.ReportOne(ctx, reg.Worker.ID, client.Report{AttemptID: id, Kind: "finish", State: "failed",
		Reason: "bad" + evil}); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"logs", "1", "t"}, {"events", "--run", "1"}, {"run", "show", "1"},
		{"events", "--run", "1", "-o", "json"}} {
		r := f.mustRun(args...)
		if strings.ContainsAny(r.stdout+r.stderr, "\x1b\x07") {
			t.Errorf("baton %s printed raw control characters: %q", strings.Join(args, " "), r.stdout)
		}
		if args[0] != "logs" && !strings.Contains(r.stdout, `bad\x1b]0;TITLE\x07\x1b[2J`) &&
			!strings.Contains(r.stdout, `bad\u001b]0;TITLE\u0007\u001b[2J`) {
			t.Errorf("baton %s: %q, want the reason with its escapes shown", strings.Join(args, " "), r.stdout)
		}
	}
	if r := f.mustRun("logs", "1", "t"); r.stdout != `before\x1b]0;TITLE\x07\x1b[2Jafter`+"\n" {
		t.Errorf("logs: %q, want the escape sequences shown escaped", r.stdout)
	}
	if r := f.mustRun("logs", "1", "t", "--raw"); r.stdout != "before"+evil+"after\n" {
		t.Errorf("logs --raw: %q, want the bytes as written", r.stdout)
	}
}
