package server

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humago"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/baton-sched/baton/internal/engine"
	"github.com/baton-sched/baton/internal/store"
	"github.com/baton-sched/baton/internal/ui"
	"github.com/baton-sched/baton/internal/workflow"
)

// Version is the API version reported in the OpenAPI document; the
// build's own version is internal/version's.
const Version = "0.1.0"

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	cfg := huma.DefaultConfig("Baton API", Version)
	cfg.Info.Description = "Workflow scheduler API: workflows, runs, tasks, attempts, workers, events, " +
		"and the worker protocol. Errors are RFC 9457 problem documents."
	cfg.OpenAPIPath = "/api/v1/openapi"
	// The docs page (/api/v1/docs) is the UI's: huma's loads its viewer
	// from a CDN, which is a blank page offline.
	cfg.DocsPath = ""
	cfg.SchemasPath = "/api/v1/schemas"
	// No "$schema" links in answers: they clutter every JSON body.
	cfg.CreateHooks = nil
	cfg.Formats = map[string]huma.Format{"application/json": jsonFormat, "json": jsonFormat}
	s.adapter = &authAdapter{Adapter: humago.NewAdapter(mux, ""), s: s}
	api := huma.NewAPI(cfg, s.adapter)
	s.adapter.api = api
	s.registerWorkflows(api)
	s.registerLifecycle(api)
	s.registerBackup(api)
	s.registerRuns(api)
	s.registerApprovals(api)
	s.registerEvents(api)
	s.registerWorkerProtocol(api)
	s.registerZones(api)
	s.registerSchedules(api)
	s.registerRecovery(api)
	s.registerAlerts(api)
	s.registerSlots(api)
	s.registerVersion(api)
	s.registerSecrets(api)
	s.registerAuth(api)
	s.registerServers(api)
	s.registerUsers(api)
	s.registerWebhooks(api)
	s.registerResources(api)
	s.plain = &plainRoutes{s: s, mux: mux}
	s.plain.handle("GET /healthz", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Write([]byte("ok\n"))
	}))
	s.plain.handle("GET /readyz", http.HandlerFunc(s.ready))
	s.obs = s.newObservability()
	s.obs.reg.MustRegister(s.retainer.Collectors()...)
	s.plain.handle("GET /metrics", promhttp.HandlerFor(s.obs.reg, promhttp.HandlerOpts{}))
	// The web UI (and the API docs page, which is the UI's) reads as a
	// viewer; browsers log in with a token (login.go).
	s.ui = s.newUI(api)
	s.plain.handle("GET /", s.ui)
	s.plain.handle("GET "+ui.LogsLivePattern, s.ui)
	s.registerUIActions()
	s.registerLogin()
	s.registerPasswordPage()
	s.registerOIDC()
	g := newGuard(mux, api, newHostPolicy(s.cfg.Addr, s.cfg.PublicURL), s.cfg.MaxClaimWait,
		map[string]int64{"put-resource": s.engine.ResourceLimits().ArchiveLimit()})
	g.metrics = s.obs.http
	return g
}

// ready answers 200 when the database answers and takes commits within
// commitBound (see commitProbe).
func (s *Server) ready(w http.ResponseWriter, r *http.Request) {
	if !s.probe.healthy() {
		w.Header().Set("Retry-After", "1")
		http.Error(w, s.probe.why(), http.StatusServiceUnavailable)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	err := s.engine.Store().Read(ctx, func(tx store.Tx) error {
		_, err := tx.Workflows().List(ctx, "", 1)
		return err
	})
	if err != nil {
		http.Error(w, "database unavailable", http.StatusServiceUnavailable)
		return
	}
	w.Write([]byte("ok\n"))
}

// apiError maps engine errors to problem documents; unexpected errors are
// logged and answered 500 without internals.
func (s *Server) apiError(ctx context.Context, err error) error {
	var inv *engine.InvalidError
	var lim *engine.LimitError
	switch {
	case errors.As(err, &lim):
		return huma.NewError(http.StatusRequestEntityTooLarge, err.Error())
	case errors.As(err, &inv):
		return huma.Error422UnprocessableEntity(invalidTitle(inv), invalidDetails(inv.Err)...)
	case errors.Is(err, engine.ErrKeyReused):
		return huma.Error422UnprocessableEntity("Idempotency-Key: already used with a different request (other runs, " +
			"params or caller) within the retention of request keys; send a new key for a new request. Nothing was started")
	case errors.Is(err, engine.ErrRunsDeleted):
		return huma.Error410Gone("Idempotency-Key: " + engine.ErrRunsDeleted.Error() + " by retention; nothing was started")
	case errors.Is(err, engine.ErrNotFound):
		return huma.Error404NotFound(err.Error())
	case errors.Is(err, engine.ErrFinished), errors.Is(err, engine.ErrRunActive), errors.Is(err, store.ErrConflict),
		errors.Is(err, engine.ErrDisabled), errors.Is(err, engine.ErrWorkflowActive):
		return huma.Error409Conflict(err.Error())
	case errors.Is(err, engine.ErrWorkerGone):
		return huma.Error410Gone(err.Error())
	case errors.Is(err, context.Canceled):
		return huma.NewError(499, "request cancelled")
	}
	s.log.ErrorContext(ctx, "request failed", "err", err)
	return huma.Error500InternalServerError("internal error; see the server log")
}

func invalidTitle(inv *engine.InvalidError) string {
	var ve *workflow.ValidationError
	if errors.As(inv.Err, &ve) && ve.Filename != "" { // a definition, as applied from a file
		return "invalid definition: nothing was stored"
	}
	return "invalid request: nothing was changed"
}

// invalidDetails lists every problem, one detail each; definition problems
// carry their file, line and field path as the location.
func invalidDetails(err error) []error {
	if joined, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range joined.Unwrap() {
			out = append(out, invalidDetails(e)...)
		}
		return out
	}
	var ve *workflow.ValidationError
	if errors.As(err, &ve) {
		out := make([]error, 0, len(ve.Problems))
		for _, p := range ve.Problems {
			out = append(out, &huma.ErrorDetail{Location: problemLocation(ve.Filename, p), Message: p.Message})
		}
		return out
	}
	return []error{&huma.ErrorDetail{Message: err.Error()}}
}

// problemLocation renders "file.yaml:12 tasks[2].needs[0]".
func problemLocation(filename string, p workflow.Problem) string {
	var b strings.Builder
	if filename != "" {
		b.WriteString(filename)
		if p.Line > 0 {
			b.WriteString(":" + itoa(int64(p.Line)))
		}
		b.WriteString(": ")
	}
	b.WriteString(p.Path)
	return strings.TrimSuffix(b.String(), ": ")
}
