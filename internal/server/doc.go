// Package server is Baton's HTTP front: the JSON API under /api/v1 (OpenAPI
// 3.1 at /api/v1/openapi.json, errors as RFC 9457 problem documents), the
// worker protocol, health endpoints, metrics, and the background loops.
//
// A server holds nothing that matters: every request and every loop acts on
// the database through the engine, so any number of servers may run side by
// side and any of them may die.
package server
