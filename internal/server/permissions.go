package server

import (
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"

	"github.com/danielgtaylor/huma/v2"

	"github.com/baton-sched/baton/internal/auth"
	"github.com/baton-sched/baton/internal/ui"
)

// permissions is what every route needs, by huma operation ID or, for
// routes that are not API operations (health, metrics, the OpenAPI
// document), by mux pattern. Default deny: a route missing here is refused
// with 403 and makes Start fail (checkRoutes); a test walks every
// registered route with every role.
var permissions = map[string]auth.Permission{
	// Health checks: the only anonymous routes, with the one-time bootstrap.
	"GET /healthz":   auth.Anonymous,
	"GET /readyz":    auth.Anonymous,
	"auth-bootstrap": auth.Anonymous, // refused (409) once any token exists
	"GET /metrics":   auth.Read,

	// The API's own description.
	"GET /api/v1/openapi.json":     auth.Read,
	"GET /api/v1/openapi.yaml":     auth.Read,
	"GET /api/v1/openapi-3.0.json": auth.Read,
	"GET /api/v1/openapi-3.0.yaml": auth.Read,
	"GET /api/v1/schemas/{schema}": auth.Read,
	"get-version":                  auth.Read,
	"whoami":                       auth.Authenticated,
	"change-password":              auth.Authenticated, // a user's own, with the old one

	// The web UI (with the API docs page) reads as a viewer; browsers log
	// in with a password or a token and hold a session in a cookie, which
	// an unsafe method honours only with the session's CSRF token
	// (login.go, session.go, csrf.go).
	"GET /": permissionOfPages,
	// A task's log-following stream reads what get-task-logs reads.
	"GET " + ui.LogsLivePattern: auth.Read,
	"GET /login":                auth.Anonymous,
	"POST /login":               auth.Anonymous,
	"POST /logout":              auth.Anonymous,
	// The UI's forms (POST /runs/{id}/cancel, ...) take their API twin's
	// permission: ui.ActionRoutes, added by ui_actions.go.
	// A user's own password change: the current password is the credential.
	"GET /password":  auth.Anonymous,
	"POST /password": auth.Anonymous,
	// OpenID Connect login (oidc.go): to the issuer and back.
	"GET /login/oidc":          auth.Anonymous,
	"GET /login/oidc/callback": auth.Anonymous,

	// Reads.
	"list-workflows":         auth.Read,
	"get-workflow":           auth.Read,
	"list-workflow-versions": auth.Read,
	"get-workflow-version":   auth.Read,
	"list-runs":              auth.Read,
	"get-run":                auth.Read,
	"list-run-attempts":      auth.Read,
	"get-task-logs":          auth.Read,
	"list-events":            auth.Read,
	"list-workers":           auth.Read,
	"list-zones":             auth.Read,
	"list-schedules":         auth.Read,
	"schedule-next":          auth.Read,
	"list-alerts":            auth.Read,
	"list-slots":             auth.Read,
	"list-servers":           auth.Read,
	"list-approvals":         auth.Read,
	"list-resources":         auth.Read,
	"list-resource-versions": auth.Read,
	"get-resource-version":   auth.Read,
	"get-resource-content":   auth.Read,

	// Operating runs and schedules.
	"start-run":         auth.Operate,
	"start-runs":        auth.Operate,
	"cancel-run":        auth.Operate,
	"decide-approval":   auth.Operate,
	"pause-run":         auth.Operate,
	"resume-run":        auth.Operate,
	"rerun-run":         auth.Operate,
	"mark-task":         auth.Operate,
	"trigger-schedule":  auth.Operate,
	"pause-schedule":    auth.Operate, // also resume: /{action}
	"backfill-schedule": auth.Operate,

	// Editing definitions and slots.
	"apply-workflows":  auth.Edit, // also ?dry_run (validate)
	"delete-workflow":  auth.Edit,
	"disable-workflow": auth.Edit,
	// A workflow's webhook token is an editor's to make; the webhook
	// itself checks that token, never a user's (hooks.go).
	"create-webhook-token": auth.Edit,
	"delete-webhook-token": auth.Edit,
	"call-webhook":         auth.Anonymous,
	"enable-workflow":      auth.Edit,
	"set-slot":             auth.Edit,
	"delete-slot":          auth.Edit,
	"put-resource":         auth.Edit,

	// Administration.
	"backup":               auth.Admin, // the whole database, secrets sealed
	"list-tokens":          auth.Admin,
	"create-token":         auth.Admin,
	"revoke-token":         auth.Admin,
	"list-secrets":         auth.Admin,
	"set-secret":           auth.Admin,
	"delete-secret":        auth.Admin,
	"rotate-secrets":       auth.Admin,
	"set-alert-channel":    auth.Admin,
	"delete-alert-channel": auth.Admin,
	"zone-action":          auth.Admin, // cordon, uncordon, drain
	"drain-worker":         auth.Admin,
	"list-users":           auth.Admin,
	"create-user":          auth.Admin,
	"update-user":          auth.Admin,
	"set-user-password":    auth.Admin,
	"delete-user":          auth.Admin,

	// The worker protocol: worker credentials only, each for itself.
	"register-worker": auth.Worker, // with a join token
	"heartbeat":       auth.Worker,
	"claim":           auth.Worker,
	"report-batch":    auth.Worker,
	"report":          auth.Worker,
	"send-logs":       auth.Worker,
	"stop-worker":     auth.Worker, // a worker's own clean shutdown
	"worker-resource": auth.Worker, // an archive a live attempt of its uses
}

// permissionOfPages is what the web UI's pages need.
const permissionOfPages = auth.Read

// routeKey names a route in permissions: its operation ID, else its
// method and path.
func routeKey(op *huma.Operation) string {
	if op.OperationID != "" {
		return op.OperationID
	}
	return op.Method + " " + op.Path
}

// Permission returns what the route named by key (an operation ID or
// "METHOD /path") needs; false if the table has no entry.
func Permission(key string) (auth.Permission, bool) {
	p, ok := permissions[key]
	return p, ok
}

// authAdapter wraps huma's adapter: every route huma registers (API
// operations and its own documents) is recorded and answered only after
// the caller is authenticated and allowed.
type authAdapter struct {
	huma.Adapter
	s      *Server
	api    huma.API // set once the API exists
	routes []string
}

func (a *authAdapter) Handle(op *huma.Operation, handler func(huma.Context)) {
	key := routeKey(op)
	a.routes = append(a.routes, key)
	need, known := permissions[key]
	a.Adapter.Handle(op, func(ctx huma.Context) {
		if !known {
			_ = huma.WriteErr(a.api, ctx, http.StatusForbidden, "route "+key+" has no permission: refused")
			return
		}
		if a.s.workerCertMissing(op, ctx) {
			_ = huma.WriteErr(a.api, ctx, http.StatusUnauthorized, workerCertRequired)
			return
		}
		p, status, msg := a.s.authorize(ctx.Context(), ctx.Header("Authorization"), need, op.OperationID)
		if status != 0 {
			if status == http.StatusUnauthorized {
				ctx.SetHeader("WWW-Authenticate", `Bearer realm="baton"`)
			}
			_ = huma.WriteErr(a.api, ctx, status, msg)
			return
		}
		if need == auth.Worker && op.OperationID != "register-worker" {
			id := ctx.Param("id")
			if op.OperationID == "report" {
				id = ctx.Query("worker")
			}
			if id != p.WorkerID {
				a.s.refuseImpersonation(ctx.Context(), p, id, op.OperationID)
				_ = huma.WriteErr(a.api, ctx, http.StatusForbidden, fmt.Sprintf(
					"permission denied: %s may act only for its own worker, not for %q", p.Actor(), id))
				return
			}
		}
		handler(huma.WithContext(ctx, auth.With(ctx.Context(), p)))
	})
}

// plainRoutes records the routes served without huma, wrapped like the
// API's.
type plainRoutes struct {
	s      *Server
	mux    *http.ServeMux
	routes []string
}

func (r *plainRoutes) handle(pattern string, h http.Handler) {
	r.routes = append(r.routes, pattern)
	need, known := permissions[pattern]
	r.mux.Handle(pattern, http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if !known {
			writeProblem(w, http.StatusForbidden, "route "+pattern+" has no permission: refused")
			return
		}
		if need == auth.Anonymous {
			h.ServeHTTP(w, req)
			return
		}
		if csrfRefused(req) {
			writeProblem(w, http.StatusForbidden, csrfMissing)
			return
		}
		p, status, msg := r.s.authorize(req.Context(), credential(req), need, "")
		if status != 0 {
			if status == http.StatusUnauthorized && wantsPage(req) {
				toLogin(w, req)
				return
			}
			if status == http.StatusUnauthorized {
				w.Header().Set("WWW-Authenticate", `Bearer realm="baton"`)
			}
			writeProblem(w, status, msg)
			return
		}
		h.ServeHTTP(w, req.WithContext(auth.With(req.Context(), p)))
	}))
}

// writeProblem answers an RFC 9457 problem document.
func writeProblem(w http.ResponseWriter, status int, detail string) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	_, _ = fmt.Fprintf(w, `{"title":%q,"status":%d,"detail":%q}`, http.StatusText(status), status, detail)
}

// Routes lists every registered route by its key in the permission
// table, sorted: operation IDs and "METHOD /path" patterns.
func (s *Server) Routes() []string {
	out := slices.Concat(s.adapter.routes, s.plain.routes)
	sort.Strings(out)
	return slices.Compact(out)
}

// checkRoutes fails when a registered route has no permission.
func (s *Server) checkRoutes() error {
	var missing []string
	for _, r := range s.Routes() {
		if _, ok := permissions[r]; !ok {
			missing = append(missing, r)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("routes without a permission (add them to internal/server/permissions.go): %s",
			strings.Join(missing, ", "))
	}
	return nil
}
