package server_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/baton-sched/baton/internal/store/storetest"
)

// TestOIDCInBrowser logs in with single sign-on in headless Chromium,
// with the issuer on another site (127.0.0.1) than Baton (localhost) and a
// page the person approves on: the way back from the issuer is a
// cross-site navigation, on which the
// browser withholds SameSite=Strict cookies, so the callback answers a
// page that moves on from Baton's own site. The browser must land on the
// page it asked for, logged in, not on the login form.
func TestOIDCInBrowser(t *testing.T) {
	const chromium = "/usr/bin/chromium"
	if _, err := os.Stat(chromium); err != nil {
		t.Skipf("SKIPPED: NO BROWSER TEST: %s is missing", chromium)
	}
	e := newSSOEnvAt(t, storetest.OpenSQLite(t), "localhost")
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(chromium), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(filepath.Join(t.TempDir(), "chromium")))
	defer cancelAlloc()
	bctx, cancelBrowser := chromedp.NewContext(alloc)
	defer cancelBrowser()
	bctx, cancel := context.WithTimeout(bctx, 60*time.Second)
	defer cancel()

	e.iss.Consent(true)
	if err := chromedp.Do(bctx, chromedp.Navigate(e.url+"/login?next=/runs"),
		chromedp.WaitVisible(chromedp.CSS(`a.button`)), chromedp.Click(chromedp.CSS(`a.button`)),
		chromedp.WaitVisible(chromedp.CSS(`#approve`)), chromedp.Click(chromedp.CSS(`#approve`))); err != nil {
		t.Fatal(err)
	}
	// Poll (the page navigates several times, which ends a chromedp.Poll).
	var where string
	for deadline := time.Now().Add(20 * time.Second); ; {
		ok, err := chromedp.Run(bctx, chromedp.Evaluate[bool](
			`location.pathname === "/runs" && !!document.body && !document.body.innerText.includes("API token")`))
		if err == nil && ok {
			break
		}
		where, _ = chromedp.Run(bctx, chromedp.Evaluate[string](`location.href + "\n" + document.body.innerText`))
		if time.Now().After(deadline) {
			t.Fatalf("the browser did not land logged in on /runs (%v): %s", err, where)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if e.iss.Tokens() != 1 {
		t.Errorf("%d codes exchanged, want 1", e.iss.Tokens())
	}
}
