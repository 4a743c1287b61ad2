package server_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/baton-sched/baton/client"
	"github.com/baton-sched/baton/internal/auth"
	"github.com/baton-sched/baton/internal/server"
	"github.com/baton-sched/baton/internal/store"
)

func errorsAs(err error, target any) bool { return errors.As(err, target) }

// testTokens stores an admin token named "test" and a join token and
// returns the client options that send them: the actor of the client's
// calls is token:test, that of its workers worker:<id>.
func testTokens(t testing.TB, st store.Store) []client.Option {
	t.Helper()
	admin, join := issueTestTokens(t, st)
	return []client.Option{client.WithToken(admin), client.WithJoinToken(join)}
}

func issueTestTokens(t testing.TB, st store.Store) (admin, join string) {
	t.Helper()
	admin, err := server.IssueToken(context.Background(), st, "test", auth.RoleAdmin)
	if err != nil {
		t.Fatal(err)
	}
	join, err = server.IssueToken(context.Background(), st, "test-workers", auth.RoleWorker)
	if err != nil {
		t.Fatal(err)
	}
	return admin, join
}

// urlTokens holds the test tokens of servers by URL.
var urlTokens sync.Map // string -> [2]string{admin, join}

func rememberTokens(t testing.TB, url string, st store.Store) {
	admin, join := issueTestTokens(t, st)
	urlTokens.Store(url, [2]string{admin, join})
	t.Cleanup(func() { urlTokens.Delete(url) })
}

func tokensOf(url string) (admin, join string) {
	v, _ := urlTokens.Load(url)
	p, _ := v.([2]string)
	return p[0], p[1]
}

// withToken adds the admin token of the test server req goes to (see
// rememberTokens), unless the request has an Authorization header.
func withToken(req *http.Request) *http.Request {
	if _, set := req.Header["Authorization"]; set {
		return req
	}
	urlTokens.Range(func(k, v any) bool {
		if strings.HasPrefix(req.URL.String(), k.(string)+"/") {
			req.Header.Set("Authorization", "Bearer "+v.([2]string)[0])
			return false
		}
		return true
	})
	return req
}

// authGet is http.Get with the server's admin token.
func authGet(url string) (*http.Response, error) {
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	return http.DefaultClient.Do(withToken(req))
}
