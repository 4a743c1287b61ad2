package engine_test

import "github.com/baton-sched/baton/client"

// httpOf is the request of an http task's assignment or rendering.
func httpOf(payload any) *client.HTTPRequest {
	h, _ := payload.(*client.HTTPRequest)
	return h
}

// sqlOf is the work of an sql task's assignment or rendering.
func sqlOf(payload any) *client.SQLRequest {
	q, _ := payload.(*client.SQLRequest)
	return q
}
