// Package ui is Baton's web UI: server-rendered pages (html/template),
// graphs drawn as SVG in Go, a vendored htmx for partial updates and
// server-sent events for live run state, all embedded in the binary and
// mounted at / by every server (and so by baton dev).
//
// The UI reads through a Source, which the server implements with the
// same reads its API handlers use; it has no query layer of its own.
//
// Forms and CSRF. Every page gets .Me (see Me): the principal, its role,
// the session's CSRF token, and Can, which says whether the principal may
// use an API operation by its ID in the server's permission table. A form
// that changes something writes the token and is shown only to those who
// may use it:
//
//	{{if .Me.Can "cancel-run"}}
//	<form method="post" action="/runs/7/cancel">{{template "csrf" .Me}}<button>Cancel</button></form>
//	{{end}}
//
// htmx requests carry it as the X-CSRF-Token header, set once on <body>
// by the layout (hx-headers). The server refuses (403) an unsafe request
// that authenticates with the session cookie but lacks the session's
// token; requests with an Authorization header need none. A page whose
// data is a map gets .Me in it too; other data structs carry it themselves
// (h.me(r)). A UI POST route is mounted by the server with the permission
// of its API twin.
//
// Live run pages share one poll per run per server: a Hub polls a run
// while at least one browser watches it and sends the rendered fragment
// to every watcher, so N open pages of a run cost the database what one
// costs.
//
//	browser ──GET /runs/7/live (SSE)──▶ Hub ──one poll a second──▶ Source
//	browser ──GET /runs/7/live (SSE)──▶  │  (stops when no watcher is left
//	                                     ▼   or the run has finished)
//	                              fragment to every watcher
package ui
