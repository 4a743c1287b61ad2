package ui

import (
	"bytes"
	"cmp"
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/baton-sched/baton/client"
	"github.com/baton-sched/baton/internal/engine"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Options configure a Handler. Zero fields take the defaults.
type Options struct {
	// PollInterval is how often a watched run is read for its live
	// watchers (default 1s).
	PollInterval time.Duration
	// OpenAPI returns the API's OpenAPI document as JSON, for the API
	// docs page; nil serves no docs page.
	OpenAPI func() ([]byte, error)
	Logger  *slog.Logger
	// CSRF returns the CSRF token of the request's session, which forms
	// send back (see Me); nil or "" for none.
	CSRF func(r *http.Request) string
	// Allowed says whether the request's principal may use an API
	// operation (by its ID in the server's permission table); nil: never.
	Allowed allowedFunc
	// Actions makes the changes of the UI's forms; nil: no forms.
	Actions Actions
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Handler serves the UI's pages, fragments and static assets.
type Handler struct {
	src   Source
	opts  Options
	log   *slog.Logger
	mux   *http.ServeMux
	pages map[string]*template.Template
	hub   *Hub
	logs  *LogHub
}

var pageNames = []string{"overview", "runs", "run", "workflows", "workflow", "zones", "apidocs", "error"}

// New returns the UI handler over src.
func New(src Source, opts Options) *Handler {
	opts.PollInterval = cmp.Or(opts.PollInterval, time.Second)
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	h := &Handler{src: src, opts: opts, log: opts.Logger, mux: http.NewServeMux(), pages: map[string]*template.Template{}}
	for _, p := range pageNames {
		h.pages[p] = template.Must(template.New(p).Funcs(funcs).ParseFS(templateFS,
			"templates/layout.html", "templates/parts.html", "templates/"+p+".html"))
	}
	h.hub = NewHub(opts.PollInterval, h.renderLive, opts.Logger)
	h.logs = NewLogHub(opts.PollInterval, src, opts.Logger)
	static, _ := fs.Sub(staticFS, "static")
	h.mux.Handle("GET /ui/static/", http.StripPrefix("/ui/static/", cacheFor(http.FileServerFS(static))))
	h.mux.HandleFunc("GET /{$}", h.overview)
	h.mux.HandleFunc("GET /runs", h.runs)
	h.mux.HandleFunc("GET /runs/{id}", h.run)
	h.mux.HandleFunc("GET /runs/{id}/live", h.live)
	h.mux.HandleFunc("GET /runs/{id}/tasks/{task}", h.task)
	h.mux.HandleFunc("GET "+LogsLivePattern, h.followLogs)
	h.mux.HandleFunc("GET /runs/{id}/actions", h.runActions)
	h.mux.HandleFunc("GET /workflows", h.workflows)
	h.mux.HandleFunc("GET /workflows/{name}", h.workflow)
	h.mux.HandleFunc("GET /zones", h.zones)
	h.routeMorePages()
	h.registerActions()
	if opts.OpenAPI != nil {
		h.mux.HandleFunc("GET /api/v1/docs", h.apiDocs)
	}
	h.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/api/") {
			http.NotFound(w, r)
			return
		}
		h.fail(w, r, http.StatusNotFound, "No page here.")
	})
	return h
}

// Close ends the live streams of the pages open (they would keep their
// connections busy and hold a server's shutdown up). Safe to call twice.
func (h *Handler) Close() {
	h.hub.Close()
	h.logs.Close()
}

// Hub returns the live-update hub, for tests.
func (h *Handler) Hub() *Hub { return h.hub }

// LogHub returns the log-following hub, for tests.
func (h *Handler) LogHub() *LogHub { return h.logs }

// LogsLivePattern is the path of a task's log-following stream, which
// the server guards as a log read.
const LogsLivePattern = "/runs/{id}/tasks/{task}/logs/live"

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.mux.ServeHTTP(w, r)
}

func cacheFor(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		next.ServeHTTP(w, r)
	})
}

// page is what every page template gets.
type page struct {
	Title string
	Nav   string
	Data  any
	Me    *Me
	Flash *Flash
}

// render executes a page into a buffer first, so that a failed render
// answers 500 and never half a page.
func (h *Handler) render(w http.ResponseWriter, r *http.Request, status int, name string, p page) {
	if p.Me == nil {
		p.Me = h.me(r)
	}
	if m, ok := p.Data.(map[string]any); ok && m["Me"] == nil {
		m["Me"] = p.Me
	}
	if p.Flash == nil {
		p.Flash = takeFlash(w, r)
	}
	var buf bytes.Buffer
	if err := h.pages[name].ExecuteTemplate(&buf, "layout", p); err != nil {
		h.log.ErrorContext(r.Context(), "render page", "page", name, "err", err)
		http.Error(w, "internal error; see the server log", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Content-Security-Policy", csp)
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// csp allows the page's own scripts, styles and images only: the UI
// works offline and runs no inline script.
const csp = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; frame-ancestors 'none'"

// fragment executes a named template of a page without the layout.
func (h *Handler) fragment(w http.ResponseWriter, r *http.Request, pageName, tmpl string, data any) {
	var buf bytes.Buffer
	if err := h.pages[pageName].ExecuteTemplate(&buf, tmpl, data); err != nil {
		h.log.ErrorContext(r.Context(), "render fragment", "template", tmpl, "err", err)
		http.Error(w, "internal error; see the server log", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	_, _ = w.Write(buf.Bytes())
}

// fail answers an error page.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, status int, msg string) {
	h.render(w, r, status, "error", page{Title: http.StatusText(status), Data: map[string]any{"Status": status, "Message": msg}})
}

// readErr answers a failed read: 404 for what does not exist, else 500
// (logged, without internals).
func (h *Handler) readErr(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, engine.ErrNotFound):
		h.fail(w, r, http.StatusNotFound, err.Error())
	case errors.Is(err, ErrForbidden):
		h.fail(w, r, http.StatusForbidden, err.Error())
	case errors.Is(err, context.Canceled):
	default:
		h.log.ErrorContext(r.Context(), "ui read failed", "path", r.URL.Path, "err", err)
		h.fail(w, r, http.StatusInternalServerError, "The server could not read this; see its log.")
	}
}

// errNotFound is what reads answer for what does not exist.
var errNotFound = engine.ErrNotFound

func pathID(r *http.Request) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	return id, err == nil && id > 0
}

// pathRun reads the run the path names, or answers why not.
func (h *Handler) pathRun(w http.ResponseWriter, r *http.Request) (client.RunDetail, bool) {
	id, ok := pathID(r)
	if !ok {
		h.fail(w, r, http.StatusNotFound, "Not a run ID.")
		return client.RunDetail{}, false
	}
	run, err := h.src.Run(r.Context(), id)
	if err != nil {
		h.readErr(w, r, err)
		return client.RunDetail{}, false
	}
	return run, true
}

var funcs = template.FuncMap{
	"icon":  stateIcon,
	"class": stateClass,
	"names": func() vocabNames { return names },
	"ago": func(t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return humanDuration(time.Since(t)) + " ago"
	},
	"when": func(t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return t.UTC().Format("2006-01-02 15:04:05Z")
	},
	"dur": func(from, to time.Time) string {
		if from.IsZero() {
			return "—"
		}
		if to.IsZero() {
			to = time.Now()
		}
		return humanDuration(to.Sub(from))
	},
	"pct": func(f float64) string { return fmt.Sprintf("%.0f%%", f*100) },
	"cu":  func(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) },
	"bar": func(used, total float64) string {
		if total <= 0 {
			return "0"
		}
		return fmt.Sprintf("%.0f", min(100, 100*used/total))
	},
	"sub":   func(a, b float64) float64 { return a - b },
	"short": shortID,
	"list":  func(v ...string) []string { return v },
	// args makes a map of key, value pairs, to hand a template several
	// values: {{template "x" (args "Me" $.Me "Run" .)}}.
	"args": func(kv ...any) map[string]any {
		m := make(map[string]any, len(kv)/2)
		for i := 0; i+1 < len(kv); i += 2 {
			if k, ok := kv[i].(string); ok {
				m[k] = kv[i+1]
			}
		}
		return m
	},
}

// humanDuration writes d as "850ms", "12s", "4m10s", "3h2m" or "2d5h".
func humanDuration(d time.Duration) string {
	switch {
	case d < time.Second:
		return d.Round(time.Millisecond).String()
	case d < time.Minute:
		return d.Round(100 * time.Millisecond).String()
	case d < time.Hour:
		return d.Round(time.Second).String()
	case d < 48*time.Hour:
		return strings.TrimSuffix(d.Round(time.Minute).String(), "0s")
	}
	days := d / (24 * time.Hour)
	return fmt.Sprintf("%dd%dh", days, (d-days*24*time.Hour)/time.Hour)
}
