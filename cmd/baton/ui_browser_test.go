package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/baton-sched/baton/client"
)

const chromiumPath = "/usr/bin/chromium"

// ensureChromium installs Debian's chromium when it is missing; the test
// is skipped only when the install fails.
func ensureChromium(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err == nil {
		return
	}
	out, err := exec.Command("apt-get", "install", "-y", "chromium").CombinedOutput()
	if _, statErr := os.Stat(chromiumPath); err != nil || statErr != nil {
		t.Skipf("SKIPPED: NO BROWSER TEST: %s is missing and `apt-get install -y chromium` failed (%v): %s",
			chromiumPath, err, tail(out, 400))
	}
}

func tail(b []byte, n int) []byte { return b[max(0, len(b)-n):] }

// TestUIInBrowser drives the web UI in real headless Chromium against
// `baton dev`: the overview renders; a run page opened while its run
// waits follows it live (SSE) until its DAG shows every task succeeded,
// without reloading; a task's panel opens through htmx with its output;
// pages fit 390 px wide; the API docs render from the server alone; the
// actions work (see uiActionsInBrowser). It
// takes a screenshot of every page; with BATON_UI_SCREENSHOTS=1 it writes
// them to docs/img/ (the ones docs/ui.md shows).
func TestUIInBrowser(t *testing.T) {
	ensureChromium(t)
	dir := t.TempDir()
	gate := filepath.Join(dir, "gate")
	wf := fmt.Sprintf(`name: gated
description: Waits for a gate file, then fans out and joins.
tasks:
  - name: wait
    run: echo "waiting <b>at the gate</b>"; while [ ! -e %s ]; do sleep 0.05; done; echo "gate <open>"
  - name: left
    needs: [wait]
    run: echo left
  - name: right
    needs: [wait]
    run: echo right
  - name: join
    needs: [left, right]
    run: echo joined
`, gate)
	wfDir := filepath.Join(dir, "wf")
	if err := os.MkdirAll(wfDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(wfDir, "gated.yaml"), []byte(wf), 0o644); err != nil {
		t.Fatal(err)
	}
	moved := "name: moved\ndescription: One task, moved to another zone when its worker vanishes.\n" +
		"tasks:\n  - name: work\n    run: echo ran here\n"
	if err := os.WriteFile(filepath.Join(wfDir, "moved.yaml"), []byte(moved), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(wfDir, "greet.yaml"), []byte(greetWorkflow), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(wfDir, "long.yaml"), []byte("name: long\ntasks:\n  - name: sleep\n    run: sleep 300\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	d := startDev(t, devOptions{dataDir: filepath.Join(dir, "data"),
		apply: []string{"../../examples", wfDir}, runs: []string{"hello", "etl"}, workers: 3})
	base, admin := d.url, d.admin
	join, err := os.ReadFile(filepath.Join(dir, "data", "join.token"))
	if err != nil {
		t.Fatal(err)
	}
	c := d.client(t, client.WithJoinToken(string(join)))
	run, err := c.StartRun(context.Background(), "gated", client.StartRunRequest{})
	if err != nil {
		t.Fatal(err)
	}

	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(chromiumPath), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(filepath.Join(dir, "chromium")), chromedp.WindowSize(1280, 900))
	defer cancelAlloc()
	bctx, cancelBrowser := chromedp.NewContext(alloc)
	defer cancelBrowser()
	bctx, cancelTimeout := context.WithTimeout(bctx, 120*time.Second)
	defer cancelTimeout()
	shots := map[string][]byte{}
	shoot := func(name string) {
		t.Helper()
		png, err := chromedp.Run(bctx, chromedp.CaptureScreenshot())
		if err != nil {
			t.Fatalf("screenshot %s: %v", name, err)
		}
		shots[name] = png
	}
	open := func(path, ready string) {
		t.Helper()
		if err := chromedp.Do(bctx, chromedp.Navigate(base+path), chromedp.WaitVisible(chromedp.CSS(ready))); err != nil {
			t.Fatalf("open %s: %v", path, err)
		}
	}
	eval := func(js string) bool {
		t.Helper()
		ok, err := chromedp.Run(bctx, chromedp.Evaluate[bool](js))
		if err != nil {
			t.Fatalf("evaluate %s: %v", js, err)
		}
		return ok
	}

	// A page sends the browser to the login form; the dev admin token
	// logs it in and it comes back to the page.
	if err := chromedp.Do(bctx, chromedp.Navigate(base+"/"), chromedp.WaitVisible(chromedp.CSS(`#token`))); err != nil {
		t.Fatalf("login form: %v", err)
	}
	shoot("login")
	if err := chromedp.Do(bctx, chromedp.SendKeys(chromedp.CSS(`#token`), admin), chromedp.Submit(chromedp.CSS(`#token`)),
		chromedp.WaitVisible(chromedp.CSS(".cards .zone"))); err != nil {
		t.Fatalf("log in: %v", err)
	}
	open("/", ".cards .zone")
	if !eval(`document.querySelectorAll('.cards .zone').length >= 3`) {
		t.Errorf("the overview does not show the three zones")
	}
	if !eval(`[...document.querySelectorAll('table.servers tbody tr')].some(r => r.textContent.includes('✓ alive'))`) {
		t.Errorf("the overview does not show the dev server alive")
	}
	shoot("overview")

	// The run page, opened while the run waits at its gate, follows it.
	runPath := fmt.Sprintf("/runs/%d", run.ID)
	open(runPath, `svg.dag g.node[data-task="wait"]`)
	if !eval(`document.querySelector('svg.dag g.node[data-task="join"]').dataset.state === "pending"`) {
		t.Fatalf("join is not pending when the page opens")
	}
	eval(`window.batonNoReload = true`)
	// The waiting task's panel follows its output live (SSE) from the
	// first line on.
	if err := chromedp.Do(bctx, chromedp.Click(chromedp.CSS(`table.tasks tr[data-task="wait"] a`)),
		chromedp.WaitVisible(chromedp.CSS(`#task-panel pre.log[data-follow]`))); err != nil {
		t.Fatalf("the running task's panel does not follow its output: %v", err)
	}
	if _, err := chromedp.Run(bctx, chromedp.Poll[bool](`document.querySelector('#task-panel pre.log').textContent.includes('waiting <b>at the gate</b>')`,
		chromedp.WithPollingTimeout(30*time.Second))); err != nil {
		t.Fatalf("the waiting task's first line never showed: %v", err)
	}
	if err := os.WriteFile(gate, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(bctx, chromedp.Poll[bool](`document.querySelector('#task-panel pre.log').textContent.includes('gate <open>')`,
		chromedp.WithPollingTimeout(30*time.Second))); err != nil {
		t.Fatalf("the task's next line never arrived in its panel: %v", err)
	}
	if eval(`document.querySelector('#task-panel pre.log b') !== null`) {
		t.Errorf("a log line was rendered as markup")
	}
	if _, err := chromedp.Run(bctx, chromedp.Poll[bool](
		`[...document.querySelectorAll('svg.dag g.node')].every(n => n.dataset.state === "succeeded") && document.querySelector('#live').dataset.done === "true"`,
		chromedp.WithPollingTimeout(30*time.Second))); err != nil {
		t.Fatalf("the run's DAG never showed every task succeeded: %v", err)
	}
	if !eval(`window.batonNoReload === true`) {
		t.Errorf("the page reloaded to follow the run")
	}
	// A task's panel, through htmx, with its output as text (markup in a
	// line would leave "<b>" out of textContent). The live panel is
	// marked first, so the wait is for a panel swapped in after the click
	// (the live one also reloads itself when its stream ends).
	eval(`(document.querySelector('#task-panel pre.log').dataset.previous = "true") === "true"`)
	if err := chromedp.Do(bctx, chromedp.Click(chromedp.CSS(`table.tasks tr[data-task="wait"] a`))); err != nil {
		t.Fatalf("task panel: %v", err)
	}
	const wantLog = "waiting <b>at the gate</b>\ngate <open>"
	if _, err := chromedp.Run(bctx, chromedp.Poll[bool](
		fmt.Sprintf(`(p => p !== null && p.dataset.previous === undefined && p.textContent.trim() === %q)(document.querySelector('#task-panel pre.log'))`, wantLog),
		chromedp.WithPollingTimeout(30*time.Second))); err != nil {
		got, _ := chromedp.Run(bctx, chromedp.Evaluate[string](`document.querySelector('#task-panel pre.log')?.textContent ?? "(no panel)"`))
		t.Errorf("task output %q (%v), want %q as text", got, err, wantLog)
	}
	shoot("run")

	uiActionsInBrowser(t, bctx, c, open, eval, shoot)

	// A worker in zone z takes a task and vanishes (no heartbeat): the
	// Gantt shows the lost attempt in z's lane, the replacement in
	// another zone's, and the line between them; the overview lists it.
	failoverRun := vanishingWorker(t, c)
	open(fmt.Sprintf("/runs/%d", failoverRun), "svg.gantt")
	if _, err := chromedp.Run(bctx, chromedp.Poll[bool](
		`document.querySelector('svg.gantt g.bar[data-state="lost"][data-zone="z"]') !== null &&
		 [...document.querySelectorAll('svg.gantt g.bar[data-state="succeeded"]')].some(b => b.dataset.zone !== "z") &&
		 document.querySelector('svg.gantt path.failover') !== null &&
		 document.querySelectorAll('svg.gantt g.lane').length === 2`,
		chromedp.WithPollingTimeout(30*time.Second))); err != nil {
		t.Fatalf("the Gantt never showed the lost attempt in zone z and its replacement in another lane: %v", err)
	}
	shoot("failover")
	open("/", ".cards .zone")
	if !eval(`[...document.querySelectorAll('td')].some(td => td.textContent.includes('zone z'))`) {
		t.Errorf("the overview lists no failover from zone z")
	}
	shoot("overview")

	open("/runs", "table.runs")
	shoot("runs")
	open("/workflows", "table")
	shoot("workflows")
	open("/workflows/etl", "table.grid")
	shoot("workflow")
	open("/events", "table.events")
	if !eval(`document.querySelectorAll('table.events tbody a[href^="/runs/"]').length > 0`) {
		t.Errorf("the events page links no event to its run")
	}
	shoot("events")
	open("/zones", "table.workers")
	shoot("zones")
	open("/api/v1/docs", "details.op")
	if !eval(`document.querySelectorAll('details.op').length > 20 &&
		performance.getEntriesByType('resource').every(e => e.name.startsWith(location.origin))`) {
		t.Errorf("the API docs page lacks operations or loads assets from elsewhere")
	}
	shoot("apidocs")
	// The administration pages, and a diff between two versions.
	for _, p := range []string{"schedules", "slots", "alerts", "tokens", "users"} {
		open("/"+p, "main table")
		shoot(p)
	}
	if _, err := c.Apply(context.Background(), []client.SourceFile{{Filename: "moved.yaml",
		Content: strings.Replace(moved, "echo ran here", "echo ran here; echo and again", 1)}}); err != nil {
		t.Fatal(err)
	}
	open("/workflows/moved?diff=1..2#diff", "#diff pre.diff")
	shoot("workflow-diff")

	// 390 px wide: no page scrolls sideways (tables scroll in their box).
	if err := chromedp.Do(bctx, chromedp.EmulateViewport(390, 844)); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"/", runPath, "/runs", "/zones", "/workflows/etl", "/events", "/schedules", "/slots",
		"/alerts", "/tokens", "/users"} {
		open(p, "main")
		if !eval(`document.documentElement.scrollWidth <= 391`) {
			t.Errorf("%s is wider than 390 px", p)
		}
		if p == "/" {
			shoot("overview-390")
		}
	}

	dest := t.TempDir()
	if os.Getenv("BATON_UI_SCREENSHOTS") != "" {
		dest = filepath.Join("..", "..", "docs", "img")
	}
	for name, png := range shots {
		if err := os.WriteFile(filepath.Join(dest, "ui-"+name+".png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// vanishingWorker starts a run of moved whose task a worker of zone z
// claims and starts, then never heartbeats again; zones a, b and c are
// cordoned while it claims, so that the dev workers leave the task to it.
// It returns the run's ID.
func vanishingWorker(t *testing.T, c *client.Client) int64 {
	t.Helper()
	ctx := context.Background()
	zones := []string{"a", "b", "c"}
	for _, z := range zones {
		if _, err := c.ZoneAction(ctx, z, "cordon", client.DrainRequest{Reason: "test: leave the task to zone z"}); err != nil {
			t.Fatal(err)
		}
	}
	reg, err := c.Register(ctx, client.RegisterRequest{Name: "ghost", Zone: "z", Capacity: 1})
	if err != nil {
		t.Fatal(err)
	}
	run, err := c.StartRun(ctx, "moved", client.StartRunRequest{})
	if err != nil {
		t.Fatal(err)
	}
	as, err := c.Claim(ctx, reg.Worker.ID, client.ClaimRequest{Max: 1, FreeCU: 1, Wait: 10 * time.Second})
	if err != nil || len(as) != 1 {
		t.Fatalf("claim: %+v %v", as, err)
	}
	if err := c.ReportOne(ctx, reg.Worker.ID, client.Report{AttemptID: as[0].AttemptID, Kind: "start"}); err != nil {
		t.Fatal(err)
	}
	for _, z := range zones {
		if _, err := c.ZoneAction(ctx, z, "uncordon", client.DrainRequest{}); err != nil {
			t.Fatal(err)
		}
	}
	return run.ID
}

// greetWorkflow takes a required parameter, for the trigger form (the
// workflow long runs until it is cancelled).
const greetWorkflow = `name: greet
description: Greets whom the form names.
params:
  who:
    description: Whom to greet.
  times: 1
tasks:
  - name: say
    run: echo "hello ${{ params.who }} x${{ params.times }}"
  - name: done
    needs: [say]
    run: echo done
`

// uiActionsInBrowser drives the UI's forms as an admin: a run started
// through the form generated from greet's params (a missing required
// parameter is shown at its field first) is followed live to succeeded
// and its task's log opened; a long run is cancelled from its page; a
// zone is cordoned from its card (and uncordoned again).
func uiActionsInBrowser(t *testing.T, bctx context.Context, c *client.Client, open func(path, ready string),
	eval func(js string) bool, shoot func(name string)) {
	t.Helper()
	poll := func(what, js string) {
		t.Helper()
		if _, err := chromedp.Run(bctx, chromedp.Poll[bool](js, chromedp.WithPollingTimeout(30*time.Second))); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	open("/workflows/greet", "#trigger form")
	if !eval(`document.querySelector('#param-who').required && document.querySelector('#param-times').value === "1"`) {
		t.Errorf("the trigger form does not mark who required or fill times' default")
	}
	shoot("trigger")
	// Sent without who: the form comes back with the error at the field.
	if err := chromedp.Do(bctx, chromedp.Click(chromedp.CSS(`#trigger button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#param-who-error`))); err != nil {
		t.Fatalf("a start without who shows no error at the field: %v", err)
	}
	shoot("trigger-error")
	if runs, err := c.Runs(context.Background(), client.RunFilter{Workflow: "greet"}); err != nil || len(runs.Items) != 0 {
		t.Fatalf("the refused form started runs: %+v %v", runs.Items, err)
	}
	if err := chromedp.Do(bctx, chromedp.SendKeys(chromedp.CSS(`#param-who`), "browser <b>"),
		chromedp.Click(chromedp.CSS(`#trigger button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#live svg.dag`))); err != nil {
		t.Fatalf("start through the form: %v", err)
	}
	if !eval(`document.querySelector('.flash').textContent.startsWith('Started run')`) {
		t.Errorf("the run page does not say the run started")
	}
	eval(`window.batonNoReload = true`)
	poll("the started run's DAG never showed every task succeeded",
		`[...document.querySelectorAll('#live svg.dag g.node')].every(n => n.dataset.state === "succeeded") && document.querySelector('#live').dataset.done === "true"`)
	if !eval(`window.batonNoReload === true`) {
		t.Errorf("the page reloaded to follow the started run")
	}
	// Its buttons follow: the finished run offers no cancel any more.
	poll("the finished run's actions were not reloaded",
		`document.querySelector('#run-actions').dataset.state === "succeeded" && !document.querySelector('#run-actions form')`)
	if err := chromedp.Do(bctx, chromedp.Click(chromedp.CSS(`table.tasks tr[data-task="say"] a`)),
		chromedp.WaitVisible(chromedp.CSS(`#task-panel pre.log`))); err != nil {
		t.Fatalf("task panel: %v", err)
	}
	poll("the task log lacks the parameter's value", `document.querySelector('#task-panel pre.log').textContent.includes("hello browser <b> x1")`)

	// A long run, cancelled from its page while its task runs.
	long, err := c.StartRun(context.Background(), "long", client.StartRunRequest{})
	if err != nil {
		t.Fatal(err)
	}
	open(fmt.Sprintf("/runs/%d", long.ID), `#run-actions`)
	poll("the long task never ran", `document.querySelector('#live svg.dag g.node[data-task="sleep"]').dataset.state === "running"`)
	shoot("run-actions")
	if err := chromedp.Do(bctx, chromedp.Click(chromedp.CSS(`#run-actions form[action$="/cancel"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`.flash`))); err != nil {
		t.Fatalf("cancel: %v", err)
	}
	poll("the cancelled run's page never showed it cancelled", `document.querySelector('#live .runhead .state').textContent.includes('cancelled')`)
	if r, err := c.Run(context.Background(), long.ID); err != nil || r.State != "cancelled" {
		t.Errorf("run after cancel: %s %v", r.State, err)
	}

	// A zone cordoned from its card, then uncordoned.
	open("/zones", `article[data-zone="a"]`)
	if err := chromedp.Do(bctx, chromedp.Click(chromedp.CSS(`article[data-zone="a"] form[action="/zones/a/cordon"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`article[data-zone="a"] form[action="/zones/a/uncordon"]`))); err != nil {
		t.Fatalf("cordon: %v", err)
	}
	if !eval(`document.querySelector('article[data-zone="a"]').classList.contains('s-wait') &&
		document.querySelector('article[data-zone="a"]').textContent.includes('cordoned')`) {
		t.Errorf("zone a's card does not show it cordoned")
	}
	shoot("zones-cordoned")
	if err := chromedp.Do(bctx, chromedp.Click(chromedp.CSS(`article[data-zone="a"] form[action="/zones/a/uncordon"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`article[data-zone="a"] form[action="/zones/a/cordon"]`))); err != nil {
		t.Fatalf("uncordon: %v", err)
	}
}
