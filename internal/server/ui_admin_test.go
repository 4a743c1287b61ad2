package server_test

import (
	"net/http"
	neturl "net/url"
	"strings"
	"testing"

	"github.com/baton-sched/baton/client"
	"github.com/baton-sched/baton/internal/auth"
	"github.com/baton-sched/baton/internal/store/storetest"
)

// TestUIAdminPages: every role reads the lists (tokens: admins only); a
// viewer sees no form and its forged posts are refused 403, changing
// nothing; an editor edits slots; an admin makes a token, sees its
// secret once, and revokes it, and deletes an alert channel.
func TestUIAdminPages(t *testing.T) {
	f := newUIFixture(t, storetest.OpenSQLite(t))
	editor := newBrowser(t, f.url, mustToken(t, f.st, "ui-editor", auth.RoleEditor))
	if _, err := f.c.SetSlot(f.ctx, client.Slot{Name: "db", Size: 2, Description: "<script>alert(1)</script>"}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.c.SetAlertChannel(f.ctx, client.AlertChannel{Name: "ops", URL: "https://hooks.example.com/secret-path?token=abc",
		Events: []string{"run.failed"}}); err != nil {
		t.Fatal(err)
	}
	for _, page := range []string{"/", "/events", "/schedules", "/slots", "/alerts"} {
		status, body := f.viewer.get(page)
		if status != http.StatusOK {
			t.Errorf("viewer GET %s: %d", page, status)
		}
		if strings.Contains(body, `method="post" action="/slots`) || strings.Contains(body, `action="/alerts/channels`) {
			t.Errorf("viewer GET %s shows an edit form", page)
		}
		if strings.Contains(body, "<script>alert") || strings.Contains(body, "token=abc") {
			t.Errorf("viewer GET %s renders user text as markup or an alert URL unredacted", page)
		}
	}
	if _, body := f.viewer.get("/alerts"); !strings.Contains(body, "token=***") {
		t.Errorf("the alerts page does not show the channel's URL redacted")
	}
	if _, body := f.viewer.get("/"); !strings.Contains(body, "✓ alive") && !strings.Contains(body, "No server has recorded itself") {
		t.Errorf("the overview has no servers section")
	}
	for _, page := range []string{"/tokens", "/users"} {
		if status, _ := editor.get(page); status != http.StatusForbidden {
			t.Errorf("editor GET %s: %d, want 403 (the API lists them to admins only)", page, status)
		}
	}
	for _, path := range []string{"/slots", "/slots/db/delete", "/tokens", "/tokens/ui-admin/revoke", "/alerts/channels/ops/delete",
		"/users", "/users/x/delete", "/users/x/disable", "/users/x/enable"} {
		status, body := f.viewer.post(path, neturl.Values{"name": {"x"}, "size": {"1"}, "role": {"admin"}})
		if status != http.StatusForbidden || !strings.Contains(body, "lacks permission") {
			t.Errorf("viewer POST %s: %d %.200s, want 403", path, status, body)
		}
	}
	for _, path := range []string{"/tokens", "/alerts/channels/ops/delete"} {
		if status, _ := editor.post(path, neturl.Values{"name": {"x"}, "role": {"admin"}}); status != http.StatusForbidden {
			t.Errorf("editor POST %s: %d, want 403 (admin only)", path, status)
		}
	}
	if slots, _ := f.c.Slots(f.ctx); len(slots) != 1 || slots[0].Size != 2 {
		t.Errorf("refused forms changed the slots: %+v", slots)
	}

	// The schedules page offers pause to operators, not to viewers.
	if _, err := f.c.Apply(f.ctx, []client.SourceFile{{Filename: "p.yaml", Content: paramsWorkflow}}); err != nil {
		t.Fatal(err)
	}
	const pause = `action="/workflows/params/schedules/default/pause"`
	if _, body := f.viewer.get("/schedules"); strings.Contains(body, pause) || !strings.Contains(body, "0 3 * * *") {
		t.Errorf("viewer GET /schedules: a pause form, or not the schedule")
	}
	if _, body := f.operator.get("/schedules"); !strings.Contains(body, pause) {
		t.Errorf("operator GET /schedules: no pause form")
	}

	// An editor sees the slot forms and uses them.
	if _, body := editor.get("/slots"); !strings.Contains(body, `action="/slots"`) || !strings.Contains(body, `action="/slots/db/delete"`) {
		t.Errorf("editor GET /slots shows no slot forms")
	}
	if _, body := editor.post("/slots", neturl.Values{"name": {"gpu"}, "size": {"many"}}); !strings.Contains(body, "size: want a whole number") {
		t.Errorf("a bad size is not refused naming the field")
	}
	if _, body := editor.post("/slots", neturl.Values{"name": {"gpu"}, "size": {"3"}, "description": {"cards"}}); !strings.Contains(body, "Slot gpu: size 3.") {
		t.Errorf("creating a slot did not say so")
	}
	if _, body := editor.post("/slots/db/delete", nil); !strings.Contains(body, "Slot db deleted.") {
		t.Errorf("deleting a slot did not say so")
	}
	if slots, _ := f.c.Slots(f.ctx); len(slots) != 1 || slots[0].Name != "gpu" || slots[0].Size != 3 {
		t.Errorf("slots after the editor's forms: %+v", slots)
	}

	// An admin makes a token: its secret shows once, in the answer only.
	status, body := f.admin.post("/tokens", neturl.Values{"name": {"ci"}, "role": {"operator"}, "expires": {"720h"}})
	if status != http.StatusOK || !strings.Contains(body, "Token ci created") || !strings.Contains(body, auth.SecretPrefix) {
		t.Fatalf("create token: %d %.300s", status, body)
	}
	if _, again := f.admin.get("/tokens"); strings.Contains(again, auth.SecretPrefix) || !strings.Contains(again, `action="/tokens/ci/revoke"`) {
		t.Errorf("the tokens page shows a secret again, or no revoke form")
	}
	if _, body := f.admin.post("/tokens", neturl.Values{"name": {"ci"}, "role": {"operator"}}); !strings.Contains(body, `token &#34;ci&#34; exists`) {
		t.Errorf("a taken name is not refused: %.300s", body)
	}
	if _, body := f.admin.post("/tokens", neturl.Values{"name": {"ci2"}, "role": {"operator"}, "expires": {"soon"}}); !strings.Contains(body, "expires: want a duration") {
		t.Errorf("a bad expiry is not refused naming the field")
	}
	if _, body := f.admin.post("/tokens/ci/revoke", nil); !strings.Contains(body, "Token ci revoked.") || !strings.Contains(body, "✗ revoked") {
		t.Errorf("revoking a token did not say so")
	}
	if _, body := f.admin.post("/alerts/channels/ops/delete", nil); !strings.Contains(body, "Alert channel ops deleted.") {
		t.Errorf("deleting an alert channel did not say so")
	}
	if a, _ := f.c.Alerts(f.ctx); len(a.Channels) != 0 {
		t.Errorf("channels after delete: %+v", a.Channels)
	}
	// An admin manages users: create, disable, enable, delete.
	if _, body := f.admin.post("/users", neturl.Values{"name": {"carol"}, "role": {"editor"}, "password": {"short"}}); !strings.Contains(body, "password") || strings.Contains(body, "User carol created.") {
		t.Errorf("a short password is not refused naming the field")
	}
	if _, body := f.admin.post("/users", neturl.Values{"name": {"carol"}, "role": {"editor"}, "password": {"correct horse battery"}}); !strings.Contains(body, "User carol created.") || !strings.Contains(body, `action="/users/carol/disable"`) {
		t.Errorf("creating a user did not say so, or shows no disable form")
	}
	if _, body := f.admin.post("/users/carol/disable", nil); !strings.Contains(body, "User carol disabled.") || !strings.Contains(body, "‖ disabled") {
		t.Errorf("disabling a user did not say so")
	}
	if _, body := f.admin.post("/users/carol/enable", nil); !strings.Contains(body, "User carol enabled.") {
		t.Errorf("enabling a user did not say so")
	}
	if _, body := f.admin.post("/users/carol/delete", nil); !strings.Contains(body, "User carol deleted.") || strings.Contains(body, "<td>carol</td>") {
		t.Errorf("deleting a user did not say so")
	}
	// Each change is in the audit trail, which the events page shows.
	if _, body := f.viewer.get("/events?kind=token.revoked"); !strings.Contains(body, "token ci") || !strings.Contains(body, "token:ui-admin") {
		t.Errorf("the events page does not show the revocation by its actor")
	}
}
