package integration

import (
	"fmt"
	"io"
	"net/http"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/corsvcr/corsvcr/checks"
	"github.com/corsvcr/corsvcr/vcr"
)

// scriptPartChecks are requests that share a replay match key and differ
// only in what the page script set: Range, Content-Type, the body. The
// server answers each differently.
const scriptPartChecks = `version: 1
page: http://localhost:8080
checks:
  - name: range
    request: {url: http://localhost:8000/obj, headers: {Range: bytes=0-3}}
    expect: {allowed: true, status: 206}
  - name: plain
    request: {url: http://localhost:8000/obj}
    expect: {allowed: true, status: 200}
  - name: json
    request: {url: http://localhost:8000/submit, method: POST, headers: {Content-Type: application/json}, body: '{"a":1}'}
    expect: {allowed: true, status: 400}
  - name: form
    request: {url: http://localhost:8000/submit, method: POST, headers: {Content-Type: application/x-www-form-urlencoded}, body: a=1}
    expect: {allowed: true, status: 200}
  - name: form-other-body
    request: {url: http://localhost:8000/submit, method: POST, headers: {Content-Type: application/x-www-form-urlencoded}, body: a=2}
    expect: {allowed: true, status: 422}
`

// scriptPartAPI answers Range with 206 and a plain GET with 200, a JSON
// POST with 400 and a form POST with 200 (body a=1) or 422, allowing the
// page origin.
func scriptPartAPI() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		h := w.Header()
		h.Set("Access-Control-Allow-Origin", "http://localhost:8080")
		h.Set("Cache-Control", "no-store")
		h.Set("Vary", "Origin")
		if req.Method == http.MethodOptions {
			h.Set("Access-Control-Allow-Methods", "POST")
			h.Set("Access-Control-Allow-Headers", "content-type")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		switch req.URL.Path {
		case "/obj":
			if req.Header.Get("Range") == "bytes=0-3" {
				h.Set("Content-Range", "bytes 0-3/10")
				w.WriteHeader(http.StatusPartialContent)
				io.WriteString(w, "0123")
				return
			}
			io.WriteString(w, "0123456789")
		case "/submit":
			body, _ := io.ReadAll(req.Body)
			switch {
			case req.Header.Get("Content-Type") == "application/json":
				w.WriteHeader(http.StatusBadRequest)
			case string(body) != "a=1":
				w.WriteHeader(http.StatusUnprocessableEntity)
			}
		default:
			w.WriteHeader(http.StatusNotFound)
		}
	})
}

// TestScriptPartLiveEqualsReplay records checks that differ only in Range,
// Content-Type or body, then replays the recording in recorded order,
// reversed and each check alone, strict and not: every check's replayed
// verdict (status included) equals its live one.
func TestScriptPartLiveEqualsReplay(t *testing.T) {
	file, err := checks.Parse("script-part.yaml", []byte(scriptPartChecks))
	require.NoError(t, err)
	live, cas := recordChecks(t, file, vcr.Config{Upstreams: serveLoopback(t, scriptPartAPI(), file.Hosts())})
	for _, c := range file.Checks {
		for _, m := range c.Mismatches(live[c.Name]) {
			t.Errorf("%s: live verdict vs expectation: %s", c.Name, m)
		}
	}
	cas = viaFile(t, cas)

	orders := map[string][]checks.Check{"recorded": file.Checks, "reversed": slices.Clone(file.Checks)}
	slices.Reverse(orders["reversed"])
	for _, c := range file.Checks {
		orders["alone "+c.Name] = []checks.Check{c}
	}
	r, err := vcr.New(vcr.Config{})
	require.NoError(t, err)
	for _, strict := range []bool{true, false} {
		for name, order := range orders {
			t.Run(fmt.Sprintf("strict=%v/%s", strict, name), func(t *testing.T) {
				f := *file
				f.Checks = order
				run, err := r.Replay(testContext(t), &f, vcr.Replay{Cassette: cas, Strict: strict})
				require.NoError(t, err)
				for _, res := range run.Results {
					assert.Empty(t, res.Misses, "replay misses of %q", res.Name)
				}
				replayed := verdicts(t, run)
				for _, c := range order {
					assert.Equal(t, live[c.Name].Last().Status, replayed[c.Name].Last().Status, "%s: replayed status vs live", c.Name)
					assert.Equal(t, live[c.Name], replayed[c.Name], "%s: replayed verdict vs live", c.Name)
				}
			})
		}
	}
}
