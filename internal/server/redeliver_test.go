package server_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/baton-sched/baton/client"
	"github.com/baton-sched/baton/client/vocab"
	"github.com/baton-sched/baton/internal/engine"
	"github.com/baton-sched/baton/internal/store"
	"github.com/baton-sched/baton/internal/store/storetest"
	"github.com/baton-sched/baton/internal/worker"
)

// loseFirstClaim passes requests on, but drops the answer of the first
// claim that dispatched something: it arrived (the server committed the
// claim), and the worker sees the connection fail, as when the server is
// killed before its answer leaves.
type loseFirstClaim struct {
	base    http.RoundTripper
	dropped atomic.Bool
}

func (l *loseFirstClaim) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := l.base.RoundTrip(req)
	if err != nil || !strings.HasSuffix(req.URL.Path, "/claim") || resp.StatusCode != http.StatusOK || l.dropped.Load() {
		return resp, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	if bytes.Contains(body, []byte(`"attempt_id"`)) && l.dropped.CompareAndSwap(false, true) {
		return nil, errors.New("connection reset by peer (the answer is lost)")
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	return resp, nil
}

// TestClaimAnswerLostIsRedelivered: a claim's answer lost after the server
// committed it reaches the worker with its next claim: the task runs once,
// as attempt 1, and no attempt is lost.
func TestClaimAnswerLostIsRedelivered(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s store.Store) {
		f := newFixture(t, s, engine.Config{})
		if _, err := f.c.Apply(f.ctx, []client.SourceFile{{Filename: "one.yaml",
			Content: "name: one\ntasks:\n  - {name: a, noop: true}\n  - {name: b, noop: true, needs: [a]}\n"}}); err != nil {
			t.Fatalf("apply: %v", err)
		}
		run, err := f.c.StartRun(f.ctx, "one", client.StartRunRequest{})
		if err != nil {
			t.Fatal(err)
		}
		_, join := tokensOf(f.url)
		lose := &loseFirstClaim{base: http.DefaultTransport}
		c, err := client.New([]string{f.url}, client.WithHTTPClient(&http.Client{Transport: lose}),
			client.WithJoinToken(join))
		if err != nil {
			t.Fatal(err)
		}
		a, err := worker.New(worker.Config{
			Client: c, Name: "w-lossy", Zone: "a", Capacity: 2, WorkDir: t.TempDir(),
			MinBackoff: 10 * time.Millisecond, MaxBackoff: 100 * time.Millisecond, RequestTimeout: 5 * time.Second,
			ClaimWait: time.Second, Logger: slog.New(slog.DiscardHandler),
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := a.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		defer a.Stop()
		var detail client.RunDetail
		eventually(t, "the run to end", func() bool {
			detail, err = f.c.Run(f.ctx, run.ID)
			return err == nil && detail.Terminal()
		})
		if !lose.dropped.Load() {
			t.Fatal("no claim answer was dropped")
		}
		if detail.State != vocab.RunSucceeded {
			t.Fatalf("run %s, want succeeded", detail.State)
		}
		attempts, err := f.c.Attempts(f.ctx, run.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(attempts) != 2 {
			t.Errorf("%d attempts, want one a task: %+v", len(attempts), attempts)
		}
		for _, at := range attempts {
			if at.Number != 1 || at.State != vocab.AttemptSucceeded {
				t.Errorf("attempt %d of %s: number %d, %s; want 1, succeeded", at.ID, at.Task, at.Number, at.State)
			}
		}
		for kind, want := range map[string]int{"attempt.lost": 0, engine.EventRedelivered: 1} {
			page, err := f.c.Events(f.ctx, client.EventFilter{RunID: run.ID, Kind: kind, Limit: 100})
			if err != nil {
				t.Fatal(err)
			}
			if len(page.Items) != want {
				t.Errorf("%d %s events, want %d: %+v", len(page.Items), kind, want, page.Items)
			}
		}
	})
}
