// Package client is the Go client of Baton's HTTP API (/api/v1). The CLI is
// built on it, and so is the worker agent, which speaks the worker protocol
// (register, heartbeat, claim, reports, logs) through the same client.
//
// A Client may be given several server URLs: a request that cannot reach one
// server (connection refused, reset, timeout) is retried on the next, so
// clients ride through the loss of a server. Errors the server answered are
// returned as *Error, an RFC 9457 problem document.
package client
