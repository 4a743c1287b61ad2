package chaos

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/baton-sched/baton/client"
	"github.com/baton-sched/baton/client/vocab"
)

// Options are how a scenario is run, whatever it says.
type Options struct {
	// Binary is the baton binary the servers and workers run.
	Binary string
	// AdminDSN is the PostgreSQL server throwaway databases are created
	// on when the scenario names none (default DefaultAdminDSN).
	AdminDSN string
	// Dir receives a directory per scenario run with the processes' logs
	// and the witness file (default: the system's temporary directory).
	// It is removed when the scenario passed, unless Keep.
	Dir  string
	Keep bool
	// BuildCache keeps the binaries built from a scenario's
	// workers_commit (default: baton-chaos in the user's cache directory).
	BuildCache string
	// PlainHTTP runs every cluster without TLS, as tls: false in each
	// scenario would (only to measure what TLS costs).
	PlainHTTP bool
	// Logger receives the progress of the run (default: discarded).
	Logger *slog.Logger
}

// subscriptionDelay is how long a new alert channel may take to apply on
// every server (docs/operations.md): events before it may not alert.
const subscriptionDelay = 2 * time.Second

// Run runs a scenario: it starts its cluster on its database, applies
// and starts the workload, injects the faults on their timeline, restores
// the cluster, waits for every run to end (at most Settle), then checks
// the outcome from the database (through the API), the event log, the
// alerts received and the witness file. The report says what passed;
// Report.Error holds what kept the harness itself from finishing.
func Run(ctx context.Context, sc *Scenario, opts Options) *Report {
	log := cmp.Or(opts.Logger, slog.New(slog.DiscardHandler)).With("scenario", sc.Name)
	r := &runner{sc: sc, opts: opts, log: log}
	rep := &Report{Scenario: sc.Name, File: sc.File, Short: sc.Short, Started: time.Now()}
	err := r.run(ctx, rep)
	if err != nil {
		rep.Error = err.Error()
	}
	rep.finish(time.Since(rep.Started))
	if r.dir != "" {
		if rep.Passed && !opts.Keep {
			_ = os.RemoveAll(r.dir)
		} else {
			rep.Dir = r.dir
		}
	}
	log.Info("scenario done", "passed", rep.Passed, "took", rep.Took)
	return rep
}

// runner is one run of a scenario.
type runner struct {
	sc   *Scenario
	opts Options
	log  *slog.Logger
	dir  string

	c     *Cluster
	pg    *Postgres
	api   *client.Client
	sink  *AlertSink
	in    *injector
	load  *workload
	probe *heartbeatProbe

	appliedAt, channelAt, pausedAt time.Time
}

func (r *runner) run(ctx context.Context, rep *Report) error {
	base := cmp.Or(r.opts.Dir, os.TempDir())
	if err := os.MkdirAll(base, 0o755); err != nil {
		return fmt.Errorf("scenario dir: %w", err)
	}
	dir, err := os.MkdirTemp(base, "baton-chaos-"+r.sc.Name+"-")
	if err != nil {
		return fmt.Errorf("scenario dir: %w", err)
	}
	r.dir = dir
	dsn, closeDB, err := r.database(ctx)
	if err != nil {
		return err
	}
	defer closeDB()
	if err := r.startCluster(ctx, dsn); err != nil {
		return err
	}
	defer r.c.Close()
	defer r.sink.Close()
	witness := filepath.Join(dir, "witness")
	if err := applyWorkload(ctx, r.api, r.sc, witness); err != nil {
		return fmt.Errorf("apply the workload: %w", err)
	}
	r.appliedAt = time.Now()
	if err := r.timeline(ctx); err != nil {
		return err
	}
	ev, err := r.gather(ctx, witness)
	if err != nil {
		return fmt.Errorf("read the outcome: %w", err)
	}
	rep.Faults = ev.faults
	rep.addChecks(ev)
	return nil
}

// database provides the scenario's database and a function that removes
// what the harness created.
func (r *runner) database(ctx context.Context) (string, func(), error) {
	db := r.sc.Database
	switch {
	case db.Private:
		pg, err := StartPostgres(ctx)
		if err != nil {
			return "", nil, err
		}
		if err := pg.CreateDatabase(ctx, "baton"); err != nil {
			pg.Close()
			return "", nil, err
		}
		r.pg = pg
		r.log.Info("private postgres started", "port", pg.Port)
		return pg.DSN("baton"), pg.Close, nil
	case db.DSN != "":
		if err := EmptyDatabase(ctx, db.DSN); err != nil {
			return "", nil, err
		}
		return db.DSN, func() {}, nil
	}
	dsn, drop, err := CreateDatabase(ctx, cmp.Or(db.Admin, r.opts.AdminDSN, DefaultAdminDSN()))
	if err != nil {
		return "", nil, err
	}
	return dsn, func() {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		if err := drop(ctx); err != nil {
			r.log.Warn("throwaway database left behind", "err", err)
		}
	}, nil
}

// startCluster starts the servers, the alert channel and the workers.
func (r *runner) startCluster(ctx context.Context, dsn string) error {
	links := false
	for _, f := range r.sc.Faults {
		for _, t := range f.Targets {
			links = links || t.Kind == TargetDatabase || t.Kind == TargetServer && f.Kind.onLinks()
		}
	}
	workerBin, err := r.workerBinary(ctx)
	if err != nil {
		return err
	}
	startCtx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	c, err := Start(startCtx, Config{Binary: r.opts.Binary, Dir: r.dir, DSN: dsn, Servers: r.sc.Cluster.Servers,
		Timing: r.sc.Cluster.Timing, MaxLost: r.sc.Cluster.MaxLost, DatabaseLinks: links,
		PlainHTTP: r.sc.Cluster.PlainHTTP || r.opts.PlainHTTP, WorkerBinary: workerBin})
	if err != nil {
		return fmt.Errorf("start the servers: %w", err)
	}
	r.c = c
	var urls []string
	for _, s := range c.Servers() {
		urls = append(urls, s.URL())
	}
	// A request to a frozen or cut-off server times out and moves on.
	r.api, err = client.New(urls, client.WithToken(c.AdminToken()), client.WithHTTPClient(c.HTTPClient(5*time.Second)))
	if err != nil {
		return err
	}
	if r.sink, err = StartAlertSink(r.log); err != nil {
		return err
	}
	if len(r.sc.Expect.Alerts) > 0 {
		err := retry(startCtx, 30*time.Second, func(ctx context.Context) error {
			_, err := r.api.SetAlertChannel(ctx, client.AlertChannel{Name: "chaos", URL: r.sink.URL(), Events: r.sc.Expect.Alerts})
			return err
		})
		if err != nil {
			return fmt.Errorf("set the alert channel: %w", err)
		}
	}
	r.channelAt = time.Now()
	specs := r.sc.WorkerSpecs()
	errs := make([]error, len(specs))
	var wg sync.WaitGroup
	for i, spec := range specs {
		wg.Go(func() {
			_, errs[i] = c.AddWorker(startCtx, spec)
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("start the workers: %w", err)
	}
	if r.sc.Expect.Heartbeats != nil {
		join, err := os.ReadFile(c.JoinTokenFile())
		if err != nil {
			return fmt.Errorf("heartbeat probe: %w", err)
		}
		tlsCfg, err := c.WorkerTLSConfig()
		if err != nil {
			return fmt.Errorf("heartbeat probe: %w", err)
		}
		if r.probe, err = startProbe(startCtx, urls, strings.TrimSpace(string(join)), tlsCfg, r.log); err != nil {
			return err
		}
	}
	r.log.Info("cluster up", "servers", len(c.Servers()), "workers", len(specs), "dir", r.dir)
	return nil
}

// workerBinary builds the workers' binary from the scenario's
// workers_commit, if it names one (else "": the servers' binary).
func (r *runner) workerBinary(ctx context.Context) (string, error) {
	commit := r.sc.Cluster.WorkersCommit
	if commit == "" {
		return "", nil
	}
	cache := r.opts.BuildCache
	if cache == "" {
		dir, err := os.UserCacheDir()
		if err != nil {
			dir = os.TempDir()
		}
		cache = filepath.Join(dir, "baton-chaos")
	}
	start := time.Now()
	bin, err := BuildCommit(ctx, filepath.Dir(cmp.Or(r.sc.File, ".")), commit, cache)
	if err != nil {
		return "", err
	}
	r.log.Info("workers run an older build", "commit", commit, "binary", bin, "took", time.Since(start).Round(time.Millisecond))
	return bin, nil
}

// timeline starts the workload and the faults, waits until both are done
// and the scenario's duration passed, restores the cluster, pauses the
// schedules and waits for every run to end.
func (r *runner) timeline(ctx context.Context) error {
	var nonce [4]byte
	_, _ = rand.Read(nonce[:])
	t0 := time.Now()
	r.load = &workload{api: r.api, sc: r.sc, t0: t0, nonce: hex.EncodeToString(nonce[:]), witness: filepath.Join(r.dir, "witness")}
	r.in = newInjector(r.c, r.pg, r.sc, r.log)
	r.in.t0, r.in.api = t0, r.api
	tctx, cancel := context.WithTimeout(ctx, r.sc.Duration+r.sc.Settle+5*time.Minute)
	defer cancel()
	var starting, faulting sync.WaitGroup
	for i := range r.sc.Workload {
		starting.Go(func() { r.load.start(tctx, i) })
	}
	startsDone := make(chan struct{})
	go func() {
		starting.Wait()
		close(startsDone)
	}()
	for _, f := range r.sc.Faults {
		faulting.Go(func() {
			_ = r.in.run(tctx, f, func(ctx context.Context, f Fault) (Fault, error) { return r.wait(ctx, f, startsDone) })
		})
	}
	r.log.Info("timeline started", "runs", r.sc.RunTotal(), "faults", len(r.sc.Faults))
	<-startsDone
	faulting.Wait()
	if err := sleepUntil(tctx, t0.Add(r.sc.Duration)); err != nil {
		return fmt.Errorf("timeline: %w", err)
	}
	r.log.Info("timeline over; restoring the cluster", "at", time.Since(t0).Round(time.Millisecond))
	if err := r.in.restore(tctx); err != nil {
		_ = r.in.record(-1, "restore the cluster", err)
	}
	if r.probe != nil {
		r.probe.stop(tctx)
	}
	if err := r.pauseSchedules(tctx); err != nil {
		_ = r.in.record(-1, "pause the schedules", err)
	}
	settled := time.Now()
	err := r.settle(ctx)
	r.log.Info("settled", "took", time.Since(settled).Round(time.Millisecond), "err", err)
	// Runs left unfinished fail the runs check, which names them; only
	// an interrupted harness stops here.
	if ctx.Err() != nil {
		return fmt.Errorf("interrupted: %w", ctx.Err())
	}
	return nil
}

// wait blocks until a fault is due: its time, then its condition. It
// returns the fault to apply: a busiest target made the worker the
// condition saw busiest, or, without such a condition, the one running
// the most attempts now.
func (r *runner) wait(ctx context.Context, f Fault, startsDone <-chan struct{}) (Fault, error) {
	if err := sleepUntil(ctx, r.load.t0.Add(f.At)); err != nil {
		return f, err
	}
	var busiest string
	if f.When != nil {
		var err error
		if busiest, err = r.waitCondition(ctx, f, startsDone); err != nil {
			return f, err
		}
	}
	if !f.hasBusiest() {
		return f, nil
	}
	if busiest == "" {
		err := retry(ctx, 30*time.Second, func(ctx context.Context) (err error) {
			busiest, _, err = r.busiest(ctx)
			return err
		})
		if err != nil {
			return f, err
		}
	}
	r.log.Info("busiest worker", "fault", f.String(), "worker", busiest)
	return f.onWorker(busiest), nil
}

// waitCondition polls until f.When holds; with a condition on the
// busiest worker, it returns that worker's name.
func (r *runner) waitCondition(ctx context.Context, f Fault, startsDone <-chan struct{}) (string, error) {
	need := f.When.Count
	if f.When.Percent > 0 {
		need = max(1, int(math.Ceil(f.When.Percent/100*float64(r.sc.RunTotal()))))
	}
	overs := 0 // polls in a row that found the workload over
	var busiest string
	err := poll(ctx, 100*time.Millisecond, func() (bool, error) {
		// An error (a server down) leaves n at 0: ask again.
		n, who, over, err := r.progress(ctx, f.When)
		if err == nil && n >= need {
			busiest = who
			return true, nil
		}
		select {
		case <-startsDone:
			// Over twice in a row, with runs started: one answer alone
			// has been seen to read over at the very start.
			if over && err == nil && len(r.load.started()) > 0 {
				if overs++; overs >= 2 {
					return false, fmt.Errorf("the workload ended before %s held (%d of %d)", f.When, n, need)
				}
				return false, nil
			}
		default:
		}
		overs = 0
		return false, nil
	})
	return busiest, err
}

// progress counts the workload's runs that started or finished, or the
// attempts running (on the trigger's workers; on the busiest worker,
// named by who); over is true when every run started has finished.
func (r *runner) progress(ctx context.Context, t *Trigger) (n int, who string, over bool, err error) {
	states, err := r.runStates(ctx)
	if err != nil {
		return 0, "", false, err
	}
	over = true
	for _, run := range r.load.started() {
		st := states[run.ID]
		if t.What == "finished" && terminal(st) || t.What == "started" && st != vocab.RunQueued && st != "" {
			n++
		}
		over = over && terminal(st)
	}
	switch {
	case t.What != "running":
		return n, "", over, nil
	case t.onBusiest():
		who, n, err = r.busiest(ctx)
		return n, who, over, err
	}
	ws, err := r.api.Workers(ctx, false)
	n = 0
	for _, w := range ws {
		if t.Covers(w.Name, w.Zone) {
			n += w.Running
		}
	}
	return n, "", over, err
}

// busiest returns the live worker running the most attempts and how many
// (the first in the server's order among equals).
func (r *runner) busiest(ctx context.Context) (name string, running int, err error) {
	ws, err := r.api.Workers(ctx, false)
	if err != nil {
		return "", 0, err
	}
	for _, w := range ws {
		if name == "" || w.Running > running {
			name, running = w.Name, w.Running
		}
	}
	if name == "" {
		return "", 0, errors.New("no live worker")
	}
	return name, running, nil
}

// runStates returns the state of every run of the workload's workflows.
func (r *runner) runStates(ctx context.Context) (map[int64]string, error) {
	out := map[int64]string{}
	for _, name := range r.workflows() {
		runs, err := listRuns(ctx, r.api, name)
		if err != nil {
			return nil, err
		}
		for _, run := range runs {
			out[run.ID] = run.State
		}
	}
	return out, nil
}

// workflows names the workload's workflows, each once, but for those of
// loads that expect a refusal unless their runs were started after all.
func (r *runner) workflows() []string {
	var out []string
	for _, l := range r.sc.Workload {
		if l.Refused == "" && !slices.Contains(out, l.Definition.Name) {
			out = append(out, l.Definition.Name)
		}
	}
	for _, s := range r.load.started() {
		if !slices.Contains(out, s.Workflow) {
			out = append(out, s.Workflow)
		}
	}
	return out
}

// listRuns lists every run of a workflow.
func listRuns(ctx context.Context, api *client.Client, workflow string) ([]client.Run, error) {
	var out []client.Run
	f := client.RunFilter{Workflow: workflow, Limit: 1000}
	for {
		var page client.Page[client.Run]
		err := retry(ctx, 30*time.Second, func(ctx context.Context) (err error) {
			page, err = api.Runs(ctx, f)
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("list runs of %s: %w", workflow, err)
		}
		out = append(out, page.Items...)
		if page.Next == "" {
			return out, nil
		}
		f.Cursor = page.Next
	}
}

// pauseSchedules pauses the workload's schedules, so that the runs to
// wait for are known.
func (r *runner) pauseSchedules(ctx context.Context) error {
	r.pausedAt = time.Now()
	for _, l := range r.sc.Workload {
		for _, s := range l.Definition.Schedules {
			if s.Paused {
				continue
			}
			err := retry(ctx, 30*time.Second, func(ctx context.Context) error {
				_, err := r.api.PauseSchedule(ctx, l.Definition.Name, s.Name, "pause", "chaos: the timeline is over")
				return err
			})
			if err != nil && client.StatusOf(err) != http.StatusConflict {
				return fmt.Errorf("pause schedule %s/%s: %w", l.Definition.Name, s.Name, err)
			}
		}
	}
	return nil
}

// settle waits until every run of the workload's workflows ended, for at
// most the scenario's Settle.
func (r *runner) settle(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, r.sc.Settle)
	defer cancel()
	return poll(ctx, 250*time.Millisecond, func() (bool, error) {
		// An error (a server down) reads as not settled: ask again.
		states, err := r.runStates(ctx)
		for _, st := range states {
			if !terminal(st) {
				return false, nil
			}
		}
		return err == nil && len(states) >= len(r.load.started()), nil
	})
}
