package server_test

import (
	"net/http"
	neturl "net/url"
	"strings"
	"testing"

	"github.com/baton-sched/baton/internal/auth"
	"github.com/baton-sched/baton/internal/store/storetest"
)

// TestUIAlertChannelForm: an admin creates a channel from the alerts page
// with the API operation's function; viewers and editors see no form and
// their forged posts are refused; a refusal names its field, escapes what
// was sent, never shows the URL's credentials, and stores nothing.
func TestUIAlertChannelForm(t *testing.T) {
	f := newUIFixture(t, storetest.OpenSQLite(t))
	editor := newBrowser(t, f.url, mustToken(t, f.st, "ui-editor", auth.RoleEditor))
	const form = `action="/alerts/channels"`
	for name, b := range map[string]*browserOf{"viewer": f.viewer, "operator": f.operator, "editor": editor} {
		if _, body := b.get("/alerts"); strings.Contains(body, form) {
			t.Errorf("%s GET /alerts shows the channel form", name)
		}
		status, body := b.post("/alerts/channels", neturl.Values{"name": {"x"}, "url": {"https://example.com/h"},
			"events": {"run.failed"}})
		if status != http.StatusForbidden || !strings.Contains(body, "lacks permission") {
			t.Errorf("%s POST /alerts/channels: %d, want 403", name, status)
		}
	}
	if _, body := f.admin.get("/alerts"); !strings.Contains(body, form) {
		t.Fatalf("admin GET /alerts shows no channel form")
	}

	// Refused: each problem next to its field, nothing stored.
	status, body := f.admin.post("/alerts/channels", neturl.Values{"name": {"<script>alert(1)</script>"},
		"url": {"ftp://bob:hunter2@example.com/x?token=abc"}, "events": {"run.failed, <b>"}, "secret": {"s3cret-value"}})
	if status != http.StatusUnprocessableEntity {
		t.Errorf("a bad channel: %d, want 422", status)
	}
	for _, want := range []string{
		`id="ch-name-error" role="alert">name: &#34;&lt;script&gt;alert(1)&lt;/script&gt;&#34;: use lowercase`,
		`id="ch-url-error" role="alert">url: &#34;ftp://bob:***@example.com/x?token=***&#34; is not an http:// or https:// URL`,
		`id="ch-events-error" role="alert">events: &#34;&lt;b&gt;&#34; is not an event kind`,
		`value="&lt;script&gt;alert(1)&lt;/script&gt;"`, // the name sent, escaped
	} {
		if !strings.Contains(body, want) {
			t.Errorf("the refused form lacks %s", want)
		}
	}
	for _, leak := range []string{"<script>alert", "hunter2", "token=abc", "s3cret-value"} {
		if strings.Contains(body, leak) {
			t.Errorf("the refused form shows %q", leak)
		}
	}
	if a, err := f.c.Alerts(f.ctx); err != nil || len(a.Channels) != 0 {
		t.Fatalf("channels after a refused form: %+v %v", a.Channels, err)
	}

	// Accepted: said so, listed with its URL redacted, stored as the API would.
	_, body = f.admin.post("/alerts/channels", neturl.Values{"name": {"ops"},
		"url": {"https://hooks.example.com/h?token=abc"}, "events": {"run.failed, zone.*"}, "secret": {"s3cret-value"}})
	if !strings.Contains(body, "Alert channel ops saved.") || !strings.Contains(body, "token=***") ||
		strings.Contains(body, "token=abc") || strings.Contains(body, "s3cret-value") {
		t.Errorf("creating a channel: %.500s", body)
	}
	a, err := f.c.Alerts(f.ctx)
	if err != nil || len(a.Channels) != 1 || a.Channels[0].Name != "ops" || !a.Channels[0].HasSecret ||
		strings.Join(a.Channels[0].Events, ",") != "run.failed,zone.*" {
		t.Fatalf("channels after the form: %+v %v", a.Channels, err)
	}
	if _, body := f.viewer.get("/events?kind=alert_channel.set"); !strings.Contains(body, "channel ops") ||
		!strings.Contains(body, "token:ui-admin") {
		t.Errorf("the change is not in the audit trail by its actor")
	}
}
