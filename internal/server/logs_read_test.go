package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/baton-sched/baton/client"
	"github.com/baton-sched/baton/internal/engine"
	"github.com/baton-sched/baton/internal/server"
	"github.com/baton-sched/baton/internal/store"
	"github.com/baton-sched/baton/internal/store/storetest"
)

// TestBigLogReadsArePaged: four clients reading a 10 MiB log at once, each
// asking for up to 10000 chunks a page, get pages of at most limit_bytes
// (1 MiB by default), so the server holds little of it at a time. The
// peak heap growth is logged (docs/security.md records it) and bounded.
func TestBigLogReadsArePaged(t *testing.T) {
	st := storetest.OpenSQLite(t)
	eng := engine.New(st, engine.Config{})
	srv := server.New(eng, server.Config{})
	ts := httptest.NewServer(srv.Handler())
	rememberTokens(t, ts.URL, st)
	defer func() { ts.Close(); srv.Stop() }()
	ctx := context.Background()
	if _, err := eng.Apply(ctx, []engine.Source{{Filename: "w.yaml", Text: []byte("name: w\ntasks: [{name: t, run: x}]\n")}}, "user:t"); err != nil {
		t.Fatal(err)
	}
	run, err := eng.StartRun(ctx, engine.StartRequest{Workflow: "w", Actor: "user:t"})
	if err != nil {
		t.Fatal(err)
	}
	w, err := eng.RegisterWorker(ctx, engine.WorkerSpec{Name: "w", Zone: "a", Capacity: 1})
	if err != nil {
		t.Fatal(err)
	}
	as, err := eng.Claim(ctx, engine.ClaimRequest{WorkerID: w.ID, Max: 1, FreeCU: 1})
	if err != nil || len(as) != 1 {
		t.Fatal(as, err)
	}
	const chunk, chunks = 32 << 10, 316 // just under 10 MiB: all kept
	for i := 0; i < chunks; i += 4 {
		var batch []store.NewLogChunk
		for j := i; j < i+4 && j < chunks; j++ {
			batch = append(batch, store.NewLogChunk{AttemptID: as[0].AttemptID, Seq: int64(j + 1), Stream: "stdout",
				Data: fmt.Sprintf("%06d", j) + strings.Repeat("x", chunk-6)})
		}
		if _, err := eng.AppendLogs(ctx, w.ID, batch); err != nil {
			t.Fatal(err)
		}
	}
	base := heapInUse()
	var peak atomic.Uint64
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		for {
			peak.Store(max(peak.Load(), heapInUse()))
			select {
			case <-stop:
				return
			case <-time.After(2 * time.Millisecond): // sampling period
			}
		}
	}()
	var wg sync.WaitGroup
	pages := make([]int, 4)
	for r := range 4 {
		wg.Go(func() {
			after := int64(0)
			total := 0
			for {
				var l client.Logs
				req, _ := http.NewRequestWithContext(ctx, http.MethodGet,
					fmt.Sprintf("%s/api/v1/runs/%d/tasks/t/logs?limit=10000&after=%d", ts.URL, run.Run.ID, after), nil)
				if err := fetchJSON(req, &l); err != nil {
					t.Error(err)
					return
				}
				if len(l.Chunks) == 0 {
					break
				}
				size := 0
				for _, ch := range l.Chunks {
					size += len(ch.Data)
				}
				if size > 1<<20 {
					t.Errorf("a page of %d bytes, want at most 1 MiB", size)
				}
				total += size
				pages[r]++
				after = l.NextSeq
			}
			if total != chunk*chunks {
				t.Errorf("reader %d read %d bytes, want %d", r, total, chunk*chunks)
			}
		})
	}
	wg.Wait()
	close(stop)
	<-sampled
	growth := float64(peak.Load()-min(base, peak.Load())) / (1 << 20)
	t.Logf("4 concurrent reads of a %.1f MiB log: %d pages each, peak heap growth %.1f MiB", float64(chunk*chunks)/(1<<20), pages[0], growth)
	if growth > 96 {
		t.Errorf("peak heap growth %.1f MiB for four paged reads", growth)
	}
}

func heapInUse() uint64 {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse
}

func fetchJSON(req *http.Request, out any) error {
	resp, err := http.DefaultClient.Do(withToken(req))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s", req.URL, resp.Status)
	}
	return jsonDecode(resp, out)
}

func jsonDecode(resp *http.Response, out any) error { return json.NewDecoder(resp.Body).Decode(out) }
