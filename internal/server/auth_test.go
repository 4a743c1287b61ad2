package server_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/baton-sched/baton/client"
	"github.com/baton-sched/baton/internal/auth"
	"github.com/baton-sched/baton/internal/engine"
	"github.com/baton-sched/baton/internal/server"
	"github.com/baton-sched/baton/internal/store"
	"github.com/baton-sched/baton/internal/store/storetest"
)

// authEnv is a server with an admin client and helpers to mint callers.
type authEnv struct {
	t     *testing.T
	ctx   context.Context
	st    store.Store
	url   string
	admin *client.Client
	join  string
}

func newAuthEnv(t *testing.T, st store.Store) *authEnv {
	srv := server.New(engine.New(st, engine.Config{}), server.Config{})
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(func() { ts.Close(); srv.Stop() })
	e := &authEnv{t: t, ctx: context.Background(), st: st, url: ts.URL}
	e.admin = e.as(e.issue("admin", auth.RoleAdmin))
	e.join = e.issue("join", auth.RoleWorker)
	return e
}

func (e *authEnv) issue(name string, role auth.Role) string {
	e.t.Helper()
	s, err := server.IssueToken(e.ctx, e.st, name, role)
	if err != nil {
		e.t.Fatal(err)
	}
	return s
}

func (e *authEnv) as(secret string, opts ...client.Option) *client.Client {
	e.t.Helper()
	c, err := client.New([]string{e.url}, append([]client.Option{client.WithToken(secret)}, opts...)...)
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

// worker registers a worker with the join token and returns a client
// holding its credential.
func (e *authEnv) worker(name, zone string) (*client.Client, string) {
	e.t.Helper()
	c := e.as("", client.WithJoinToken(e.join))
	reg, err := c.Register(e.ctx, client.RegisterRequest{Name: name, Zone: zone, Capacity: 2})
	if err != nil {
		e.t.Fatal(err)
	}
	return c, reg.Worker.ID
}

func status(err error) int {
	var ae *client.Error
	if errorsAs(err, &ae) {
		return ae.Status
	}
	return 0
}

// The attacks of the issue, each refused: a viewer (and anonymous) cannot
// apply; a viewer cannot claim; a worker credential cannot read the API;
// a worker cannot report, heartbeat, claim or send logs for another
// worker (403, event recorded, attempt unaffected); a forged
// X-Baton-Actor changes nothing.
func TestCallersAreBoundToTheirRights(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, st store.Store) {
		e := newAuthEnv(t, st)
		src := []client.SourceFile{{Filename: "hello.yaml", Content: hello}}

		if _, err := e.as("").Apply(e.ctx, src); status(err) != http.StatusUnauthorized {
			t.Errorf("anonymous apply: %v, want 401", err)
		}
		viewer := e.as(e.issue("viewer", auth.RoleViewer))
		if _, err := viewer.Apply(e.ctx, src); status(err) != http.StatusForbidden || !strings.Contains(err.Error(), "edit") {
			t.Errorf("viewer apply: %v, want 403 naming edit", err)
		}
		if wfs, _ := e.admin.Workflows(e.ctx); len(wfs) != 0 {
			t.Fatalf("refused applies stored %+v", wfs)
		}
		if _, err := e.admin.Apply(e.ctx, src); err != nil {
			t.Fatal(err)
		}
		run, err := e.admin.StartRun(e.ctx, "hello", client.StartRunRequest{})
		if err != nil {
			t.Fatal(err)
		}

		// A viewer token cannot act as a worker.
		if _, err := viewer.Register(e.ctx, client.RegisterRequest{Zone: "a"}); status(err) != http.StatusForbidden {
			t.Errorf("viewer registers: %v, want 403", err)
		}
		wa, ida := e.worker("a", "a")
		wb, idb := e.worker("b", "b")
		if _, err := viewer.Claim(e.ctx, ida, client.ClaimRequest{Max: 1, FreeCU: 1}); status(err) != http.StatusForbidden {
			t.Errorf("viewer claims: %v, want 403", err)
		}
		// A worker credential cannot use the API.
		if _, err := e.as(credentialOf(t, wa, ida)).Workflows(e.ctx); status(err) != http.StatusForbidden {
			t.Errorf("worker credential lists workflows: %v, want 403", err)
		}
		// Worker a claims; worker b cannot act for a.
		as, err := wa.Claim(e.ctx, ida, client.ClaimRequest{Max: 1, FreeCU: 1})
		if err != nil || len(as) != 1 {
			t.Fatalf("claim: %+v %v", as, err)
		}
		forged := e.as("", client.WithWorkerCredential(ida, credentialOf(t, wb, idb)))
		finish := client.Report{AttemptID: as[0].AttemptID, Kind: "finish", State: "succeeded"}
		if err := forged.ReportOne(e.ctx, ida, finish); status(err) != http.StatusForbidden {
			t.Errorf("worker b reports a's attempt: %v, want 403", err)
		}
		if _, err := forged.Report(e.ctx, ida, []client.Report{finish}); status(err) != http.StatusForbidden {
			t.Errorf("worker b reports a's attempt (batch): %v, want 403", err)
		}
		if _, err := forged.Heartbeat(e.ctx, ida, nil); status(err) != http.StatusForbidden {
			t.Errorf("worker b heartbeats for a: %v, want 403", err)
		}
		if _, err := forged.SendLogs(e.ctx, ida, []client.NewLogChunk{{AttemptID: as[0].AttemptID, Seq: 1, Stream: "stdout", Data: "fake"}}); status(err) != http.StatusForbidden {
			t.Errorf("worker b sends a's logs: %v, want 403", err)
		}
		if err := forged.StopWorker(e.ctx, ida, nil); status(err) != http.StatusForbidden {
			t.Errorf("worker b stops a: %v, want 403", err)
		}
		// Under its own ID, b's report on a's attempt is refused too.
		if err := wb.ReportOne(e.ctx, idb, finish); status(err) != http.StatusForbidden {
			t.Errorf("worker b reports a's attempt as itself: %v, want 403", err)
		}
		res, err := wb.Report(e.ctx, idb, []client.Report{finish})
		if err != nil || len(res) != 1 || res[0].Status != http.StatusForbidden {
			t.Errorf("worker b reports a's attempt as itself (batch): %+v %v, want 403", res, err)
		}
		// The attempt of a is untouched, and the refusals are recorded.
		atts, err := e.admin.Attempts(e.ctx, run.ID)
		if err != nil || len(atts) != 1 || atts[0].State != "dispatched" || atts[0].WorkerID != ida {
			t.Errorf("attempt after forged reports: %+v %v, want dispatched on %s", atts, err, ida)
		}
		evs, err := e.admin.Events(e.ctx, client.EventFilter{Kind: "auth.refused"})
		if err != nil || len(evs.Items) != 7 || evs.Items[0].Actor != "worker:"+idb || evs.Items[0].WorkerID != ida ||
			evs.Items[6].AttemptID != as[0].AttemptID {
			t.Errorf("refusal events %+v %v, want 7 by worker:%s for %s", evs.Items, err, idb, ida)
		}
		// Worker a itself may report, with its own credential.
		if err := wa.ReportOne(e.ctx, ida, client.Report{AttemptID: as[0].AttemptID, Kind: "start"}); err != nil {
			t.Errorf("own report: %v", err)
		}
	})
}

// credentialOf is the credential a client received when it registered
// the worker.
func credentialOf(t *testing.T, c *client.Client, id string) string {
	t.Helper()
	cred := client.CredentialOf(c, id)
	if cred == "" {
		t.Fatalf("no credential for %s", id)
	}
	return cred
}

func TestJoinTokenIsBoundToItsZonesAndCannotReadTheAPI(t *testing.T) {
	e := newAuthEnv(t, storetest.OpenSQLite(t))
	tok, err := e.admin.CreateToken(e.ctx, client.NewToken{Name: "join-a", Role: "worker", Zones: []string{"a"}})
	if err != nil || tok.Secret == "" || tok.Kind != "join" || len(tok.Zones) != 1 {
		t.Fatalf("create join token: %+v %v", tok, err)
	}
	joinA := e.as("", client.WithJoinToken(tok.Secret))
	if _, err := joinA.Register(e.ctx, client.RegisterRequest{Name: "x", Zone: "b"}); status(err) != http.StatusForbidden {
		t.Errorf("join token of zone a registers in b: %v, want 403", err)
	}
	if reg, err := joinA.Register(e.ctx, client.RegisterRequest{Name: "x", Zone: "a"}); err != nil || reg.Credential == "" {
		t.Errorf("join token of zone a registers in a: %+v %v", reg, err)
	}
	stolen := e.as(tok.Secret)
	if _, err := stolen.Runs(e.ctx, client.RunFilter{}); status(err) != http.StatusForbidden {
		t.Errorf("join token reads runs: %v, want 403", err)
	}
	if _, err := stolen.Heartbeat(e.ctx, "w-1", nil); status(err) != http.StatusForbidden {
		t.Errorf("join token heartbeats: %v, want 403", err)
	}
}

// Tokens: the secret is shown once, the list never shows it, a revoked
// token is refused at once on this server; whoami names the caller;
// bootstrap is refused once tokens exist; the actor is the token's.
func TestTokensLifecycle(t *testing.T) {
	e := newAuthEnv(t, storetest.OpenSQLite(t))
	created, err := e.admin.CreateToken(e.ctx, client.NewToken{Name: "ci-deploy", Role: "operator", Expires: time.Hour})
	if err != nil || !strings.HasPrefix(created.Secret, "baton_") || created.ExpiresAt == nil || created.CreatedBy != "token:admin" {
		t.Fatalf("create: %+v %v", created, err)
	}
	if _, err := e.admin.CreateToken(e.ctx, client.NewToken{Name: "ci-deploy", Role: "viewer"}); status(err) != http.StatusConflict {
		t.Errorf("same name again: %v, want 409", err)
	}
	if _, err := e.admin.CreateToken(e.ctx, client.NewToken{Name: "bad name", Role: "root"}); status(err) != http.StatusUnprocessableEntity {
		t.Errorf("bad name and role: %v, want 422", err)
	}
	ci := e.as(created.Secret)
	who, err := ci.Whoami(e.ctx)
	if err != nil || who.Actor != "token:ci-deploy" || who.Role != "operator" || len(who.Permissions) != 2 {
		t.Errorf("whoami: %+v %v", who, err)
	}
	if _, err := e.admin.Apply(e.ctx, []client.SourceFile{{Filename: "hello.yaml", Content: hello}}); err != nil {
		t.Fatal(err)
	}
	// A forged X-Baton-Actor changes nothing: the actor is the token's.
	req, _ := http.NewRequest(http.MethodPost, e.url+"/api/v1/workflows/hello/runs", strings.NewReader("{}"))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+created.Secret)
	req.Header.Set("X-Baton-Actor", "user:alice")
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("start with a forged actor: %v %v", resp, err)
	}
	resp.Body.Close()
	evs, err := e.admin.Events(e.ctx, client.EventFilter{Kind: "run.running"})
	if err != nil || len(evs.Items) != 1 || evs.Items[0].Actor != "token:ci-deploy" {
		t.Errorf("run.running events %+v %v, want actor token:ci-deploy", evs.Items, err)
	}
	list, err := e.admin.Tokens(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	var found bool
	for _, tk := range list {
		found = found || (tk.Name == "ci-deploy" && tk.LastUsedAt != nil)
	}
	if !found {
		t.Errorf("tokens %+v lack ci-deploy with its last use", list)
	}
	if err := e.admin.RevokeToken(e.ctx, "ci-deploy"); err != nil {
		t.Fatal(err)
	}
	if err := e.admin.RevokeToken(e.ctx, "ci-deploy"); !client.IsNotFound(err) {
		t.Errorf("revoke twice: %v, want 404", err)
	}
	deadline := time.Now().Add(2 * time.Second)
	for {
		_, err := ci.Whoami(e.ctx)
		if status(err) == http.StatusUnauthorized && strings.Contains(err.Error(), "revoked") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("revoked token still accepted after 2s: %v", err)
		}
		time.Sleep(50 * time.Millisecond) // polling the server until the deadline
	}
	if _, err := e.as("").Bootstrap(e.ctx); status(err) != http.StatusConflict {
		t.Errorf("bootstrap with tokens present: %v, want 409", err)
	}
}

func TestBootstrapOnce(t *testing.T) {
	st := storetest.OpenSQLite(t)
	srv := server.New(engine.New(st, engine.Config{}), server.Config{})
	ts := httptest.NewServer(srv.Handler())
	defer func() { ts.Close(); srv.Stop() }()
	anon, err := client.New([]string{ts.URL})
	if err != nil {
		t.Fatal(err)
	}
	first, err := anon.Bootstrap(context.Background())
	if err != nil || first.Role != "admin" || first.Secret == "" {
		t.Fatalf("bootstrap: %+v %v", first, err)
	}
	if _, err := anon.Bootstrap(context.Background()); status(err) != http.StatusConflict {
		t.Errorf("second bootstrap: %v, want 409", err)
	}
	admin, _ := client.New([]string{ts.URL}, client.WithToken(first.Secret))
	if who, err := admin.Whoami(context.Background()); err != nil || who.Actor != "token:bootstrap" {
		t.Errorf("whoami of the bootstrap token: %+v %v", who, err)
	}
}

// A bootstrap token from the config (bootstrap_token_file) becomes the
// first admin token at start, also in the format of the deployment
// files' instructions; a second server on the same database, with
// tokens present, starts too.
func TestBootstrapTokenFromConfig(t *testing.T) {
	st := storetest.OpenSQLite(t)
	secret := "q7Zr0cJvXb+8mT1f4Kd2PzLwS9yEaH5nUoV3iGx6BQc="
	for range 2 {
		srv := server.New(engine.New(st, engine.Config{}), server.Config{Addr: "127.0.0.1:0", BootstrapToken: secret})
		if err := srv.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		c, _ := client.New([]string{srv.URL()}, client.WithToken(secret))
		who, err := c.Whoami(context.Background())
		srv.Stop()
		if err != nil || who.Actor != "token:bootstrap" || who.Role != "admin" {
			t.Fatalf("whoami with the bootstrap token: %+v %v", who, err)
		}
	}
	bad := server.New(engine.New(st, engine.Config{}), server.Config{Addr: "127.0.0.1:0", BootstrapToken: "short"})
	defer bad.Stop()
	if err := bad.Start(context.Background()); err == nil {
		t.Error("a malformed bootstrap token was accepted")
	}
}
