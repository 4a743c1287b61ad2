package server

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	neturl "net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/baton-sched/baton/client"
	"github.com/baton-sched/baton/internal/auth"
	"github.com/baton-sched/baton/internal/engine"
	"github.com/baton-sched/baton/internal/store"
	"github.com/baton-sched/baton/internal/store/storetest"
	"github.com/baton-sched/baton/internal/ui"
)

// Every registered route has a permission, and every permission names a
// registered route: a new route without an entry fails here (and the
// server refuses to start, see TestServerWithoutPermissionDoesNotStart).
func TestEveryRouteHasAPermission(t *testing.T) {
	srv := New(engine.New(storetest.OpenSQLite(t), engine.Config{}), Config{})
	routes := srv.Routes()
	if len(routes) < 50 {
		t.Fatalf("only %d routes registered: %v", len(routes), routes)
	}
	if err := srv.checkRoutes(); err != nil {
		t.Error(err)
	}
	for key := range permissions {
		if !slices.Contains(routes, key) {
			t.Errorf("permission table names %q, which is no registered route", key)
		}
	}
	for _, r := range routes {
		if p := permissions[r]; p == auth.Anonymous && !slices.Contains([]string{"GET /healthz", "GET /readyz", "auth-bootstrap",
			"GET /login", "POST /login", "POST /logout", "GET /password", "POST /password",
			"GET /login/oidc", "GET /login/oidc/callback", // the login and password forms: login.go, password_page.go
			"call-webhook"}, r) { // checks the workflow's own webhook token: hooks.go
			t.Errorf("route %s is anonymous", r)
		}
	}
}

func TestServerWithoutPermissionDoesNotStart(t *testing.T) {
	srv := New(engine.New(storetest.OpenSQLite(t), engine.Config{}), Config{Addr: "127.0.0.1:0"})
	srv.adapter.routes = append(srv.adapter.routes, "made-up-route")
	err := srv.Start(context.Background())
	defer srv.Stop()
	if err == nil || !strings.Contains(err.Error(), "made-up-route") {
		t.Errorf("start with a route lacking a permission: %v", err)
	}
}

// matrixRoute is a route as the matrix test calls it.
type matrixRoute struct {
	key, method, path string
	need              auth.Permission
}

// matrixRoutes lists every route with its method and path (the API's
// from its OpenAPI document).
func matrixRoutes(t *testing.T, srv *Server, api huma.API) []matrixRoute {
	t.Helper()
	var out []matrixRoute
	seen := map[string]bool{}
	for path, item := range api.OpenAPI().Paths {
		for method, op := range map[string]*huma.Operation{http.MethodGet: item.Get, http.MethodPost: item.Post,
			http.MethodPut: item.Put, http.MethodPatch: item.Patch, http.MethodDelete: item.Delete} {
			if op != nil {
				out = append(out, matrixRoute{key: op.OperationID, method: method, path: path, need: permissions[op.OperationID]})
				seen[op.OperationID] = true
			}
		}
	}
	for _, key := range srv.Routes() {
		if seen[key] {
			continue
		}
		method, path, ok := strings.Cut(key, " ")
		if !ok {
			t.Fatalf("route %s is in no OpenAPI path", key)
		}
		out = append(out, matrixRoute{key: key, method: method, path: path, need: permissions[key]})
	}
	slices.SortFunc(out, func(a, b matrixRoute) int { return strings.Compare(a.key, b.key) })
	if len(out) != len(srv.Routes()) {
		t.Fatalf("%d routes called, %d registered", len(out), len(srv.Routes()))
	}
	return out
}

// principalCase is one column of the matrix.
type principalCase struct {
	name   string
	secret string // "" : anonymous
	// refused is the status the principal gets for a route needing p,
	// or 0 if it is let through.
	refused func(r matrixRoute) int
}

// TestRoleMatrix calls every route as every kind of caller and checks
// the answer against the permission table: 401 for anonymous, revoked
// and expired callers, 403 for a role without the permission, anything
// else when allowed. Refused calls change nothing.
func TestRoleMatrix(t *testing.T) {
	ctx := context.Background()
	st := storetest.OpenSQLite(t)
	srv := New(engine.New(st, engine.Config{}), Config{})
	ts := httptest.NewServer(srv.Handler())
	defer func() { ts.Close(); srv.Stop() }()

	issue := func(name string, role auth.Role) string {
		s, err := IssueToken(ctx, st, name, role)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	join := issue("join", auth.RoleWorker)
	jc, err := client.New([]string{ts.URL}, client.WithJoinToken(join))
	if err != nil {
		t.Fatal(err)
	}
	reg, err := jc.Register(ctx, client.RegisterRequest{Name: "w", Zone: "a", Capacity: 1})
	if err != nil || reg.Credential == "" {
		t.Fatalf("register: %+v %v", reg, err)
	}
	revoked := issue("revoked", auth.RoleAdmin)
	if err := st.InTx(ctx, func(tx store.Tx) error {
		_, err := tx.Tokens().Revoke(ctx, "revoked")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	expired := expiredSecret(t, st)

	byRole := func(role auth.Role) func(matrixRoute) int {
		return func(r matrixRoute) int {
			switch {
			case r.need == auth.Anonymous || r.need == auth.Authenticated:
				return 0
			case r.key == "register-worker":
				return http.StatusForbidden // a join token's only
			case role.Allows(r.need):
				return 0
			}
			return http.StatusForbidden
		}
	}
	unauthenticated := func(r matrixRoute) int {
		if r.need == auth.Anonymous {
			return 0
		}
		return http.StatusUnauthorized
	}
	cases := []principalCase{
		{name: "anonymous", refused: unauthenticated},
		{name: "revoked", secret: revoked, refused: unauthenticated},
		{name: "expired", secret: expired, refused: unauthenticated},
		{name: "garbage", secret: "baton_" + strings.Repeat("A", 43), refused: unauthenticated},
		{name: "join", secret: join, refused: func(r matrixRoute) int {
			if r.need == auth.Anonymous || r.need == auth.Authenticated || r.key == "register-worker" {
				return 0
			}
			return http.StatusForbidden
		}},
		{name: "worker", secret: reg.Credential, refused: byRole(auth.RoleWorker)},
	}
	for _, role := range []auth.Role{auth.RoleViewer, auth.RoleOperator, auth.RoleEditor, auth.RoleAdmin} {
		cases = append(cases, principalCase{name: string(role), secret: issue("matrix-"+string(role), role), refused: byRole(role)})
	}
	// A user's browser session is a credential with the user's role.
	for _, role := range []auth.Role{auth.RoleViewer, auth.RoleOperator, auth.RoleAdmin} {
		cases = append(cases, principalCase{name: "session of a user with role " + string(role),
			secret: userSession(t, st, ts.URL, "matrix-"+string(role), role), refused: byRole(role)})
	}
	// A webhook takes its workflow's own token and no other credential:
	// none of these callers holds one (hooks_test.go calls it with one).
	for i := range cases {
		refused := cases[i].refused
		cases[i].refused = func(r matrixRoute) int {
			if r.key == "call-webhook" {
				return http.StatusUnauthorized
			}
			return refused(r)
		}
	}
	routes := matrixRoutes(t, srv, srv.adapter.api)

	call := func(r matrixRoute, secret string) (int, string) {
		path := strings.NewReplacer("{id}", reg.Worker.ID, "{name}", "x", "{workflow}", "x", "{schedule}", "x",
			"{action}", "pause", "{zone}", "a", "{task}", "t", "{version}", "1", "{schema}", "Run").Replace(r.path)
		if r.key == "report" || strings.HasPrefix(r.path, "/api/v1/runs/{id}") {
			path = strings.Replace(path, reg.Worker.ID, "1", 1) + "?worker=" + reg.Worker.ID
		}
		var body io.Reader
		if r.method != http.MethodGet && r.method != http.MethodDelete {
			body = strings.NewReader("{}")
		}
		req, _ := http.NewRequest(r.method, ts.URL+path, body)
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		if secret != "" {
			req.Header.Set("Authorization", "Bearer "+secret)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		data, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(data)
	}

	// Refused calls first: they must change nothing.
	before := stateOf(t, st)
	refusals := 0
	for _, r := range routes {
		for _, c := range cases {
			want := c.refused(r)
			if want == 0 {
				continue
			}
			refusals++
			status, body := call(r, c.secret)
			if status != want {
				t.Errorf("%s %s (%s, needs %s) as %s: %d %.200s, want %d", r.method, r.path, r.key, r.need, c.name, status, body, want)
				continue
			}
			if !strings.Contains(body, `"status":`) {
				t.Errorf("%s as %s: %d without a problem document: %.200s", r.key, c.name, status, body)
			}
			if want == http.StatusForbidden && !strings.Contains(body, string(r.need)) && r.key != "register-worker" {
				t.Errorf("%s as %s: 403 does not name permission %s: %.200s", r.key, c.name, r.need, body)
			}
		}
	}
	if after := stateOf(t, st); after != before {
		t.Errorf("refused calls changed the state:\nbefore %s\nafter  %s", before, after)
	}
	// Then the allowed ones: whatever they answer, it is no refusal.
	allowed := 0
	for _, r := range routes {
		for _, c := range cases {
			if c.refused(r) != 0 {
				continue
			}
			allowed++
			if status, body := call(r, c.secret); status == http.StatusUnauthorized || status == http.StatusForbidden {
				t.Errorf("%s %s (%s, needs %s) as %s: %d %.200s, want it let through", r.method, r.path, r.key, r.need, c.name, status, body)
			}
		}
	}
	t.Logf("%d routes x %d callers: %d refused, %d let through", len(routes), len(cases), refusals, allowed)
}

// userSession creates a user with the role, logs in with its password
// through the login form and returns the session's secret.
func userSession(t *testing.T, st store.Store, url, name string, role auth.Role) string {
	t.Helper()
	hash, err := auth.HashPassword("matrix user password")
	if err != nil {
		t.Fatal(err)
	}
	if err := st.InTx(context.Background(), func(tx store.Tx) error {
		_, err := tx.Users().Insert(context.Background(), store.NewUser{Name: name, Role: string(role), PasswordHash: hash})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noRedirect.PostForm(url+"/login", neturl.Values{"username": {name}, "password": {"matrix user password"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	for _, c := range resp.Cookies() {
		if c.Name == sessionCookie && c.Value != "" {
			return c.Value
		}
	}
	t.Fatalf("login of %s: %d, no session", name, resp.StatusCode)
	return ""
}

// expiredSecret stores an admin token that expired a minute ago.
func expiredSecret(t *testing.T, st store.Store) string {
	t.Helper()
	secret, hash := auth.NewSecret()
	err := st.InTx(context.Background(), func(tx store.Tx) error {
		_, err := tx.Tokens().Insert(context.Background(), store.NewToken{Name: "expired-admin", Kind: store.TokenAPI,
			Hash: hash, Role: "admin", Scope: "*", ExpiresAt: time.Now().Add(-time.Minute).UnixMilli()})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return secret
}

// stateOf renders what a call could change: events, workflows, tokens,
// workers, secrets, slots and alert channels.
func stateOf(t *testing.T, st store.Store) string {
	t.Helper()
	ctx := context.Background()
	var b strings.Builder
	err := st.Read(ctx, func(tx store.Tx) error {
		evs, err := tx.Events().List(ctx, store.EventFilter{Limit: 10000})
		if err != nil {
			return err
		}
		fmt.Fprintf(&b, "events=%d ", len(evs))
		wfs, err := tx.Workflows().List(ctx, "", 1000)
		if err != nil {
			return err
		}
		fmt.Fprintf(&b, "workflows=%d ", len(wfs))
		toks, err := tx.Tokens().List(ctx)
		if err != nil {
			return err
		}
		for _, tk := range toks {
			fmt.Fprintf(&b, "token %s revoked=%d; ", tk.Name, tk.RevokedAt)
		}
		ws, err := tx.Workers().List(ctx, true)
		if err != nil {
			return err
		}
		for _, w := range ws {
			fmt.Fprintf(&b, "worker %s %s %s; ", w.ID, w.State, w.Zone)
		}
		secs, err := tx.Secrets().List(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(&b, "secrets=%d ", len(secs))
		users, err := tx.Users().List(ctx)
		if err != nil {
			return err
		}
		for _, u := range users {
			fmt.Fprintf(&b, "user %s %s %d %s; ", u.Name, u.Role, u.DisabledAt, u.PasswordHash)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestLogFollowingReadsAsLogs: following a task's output over SSE needs
// what reading its logs through the API needs.
func TestLogFollowingReadsAsLogs(t *testing.T) {
	if got, want := permissions["GET "+ui.LogsLivePattern], permissions["get-task-logs"]; got != want || want == "" {
		t.Errorf("log following needs %q, reading logs %q", got, want)
	}
}
