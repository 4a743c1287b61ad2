// Package ui is Baton's web UI: server-rendered pages (html/template),
// graphs drawn as SVG in Go, a vendored htmx for partial updates and
// server-sent events for live run state, all embedded in the binary and
// mounted at / by every server (and so by baton dev).
//
// The UI reads through a Source, which the server implements with the
// same reads its API handlers use; it has no query layer of its own. It
// is read-only for now.
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
