package integration

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/corsvcr/corsvcr/checks"
	"github.com/corsvcr/corsvcr/vcr"
)

// hopsAPI serves TestRedirectHopsReplay on every host:
//
//	/to/CODE/KIND   CODE to http://localhost:8002/final/KIND (ACAO echoed)
//	/final/echo     200, ACAO echoing Origin ("null" after the taint)
//	/final/page     200, ACAO http://localhost:8080 (fails after the taint)
//	/final/none     200, no CORS headers
//
// Every OPTIONS is a good preflight (ACAO echoed, PUT, x-token), except
// that of /final/none, which has no CORS headers.
func hopsAPI() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h["Date"] = nil
		echo := func() { h.Set("Access-Control-Allow-Origin", r.Header.Get("Origin")) }
		if r.Method == http.MethodOptions {
			if r.URL.Path != "/final/none" {
				echo()
				h.Set("Access-Control-Allow-Methods", "GET, PUT")
				h.Set("Access-Control-Allow-Headers", "x-token")
			}
			w.WriteHeader(http.StatusNoContent)
			return
		}
		if rest, ok := strings.CutPrefix(r.URL.Path, "/to/"); ok {
			code, kind, _ := strings.Cut(rest, "/")
			var status int
			fmt.Sscan(code, &status)
			echo()
			h.Set("Location", "http://localhost:8002/final/"+kind)
			w.WriteHeader(status)
			return
		}
		switch r.URL.Path {
		case "/final/echo":
			echo()
		case "/final/page":
			h.Set("Access-Control-Allow-Origin", "http://localhost:8080")
		case "/final/none":
		default:
			w.WriteHeader(http.StatusNotFound)
			return
		}
		h.Set("Content-Type", "text/plain")
		w.Write([]byte("ok"))
	})
}

// hopsChecks: page A (localhost:8080) calls API B (localhost:8000), which
// answers 302, 307 and 308 to C (localhost:8002), a host no check names:
// simple GETs and preflighted PUTs, allowed and blocked.
func hopsChecks(t *testing.T) *checks.File {
	t.Helper()
	var b strings.Builder
	b.WriteString("version: 1\npage: http://localhost:8080\nchecks:\n")
	for _, code := range []string{"302", "307", "308"} {
		fmt.Fprintf(&b, `  - name: get-%[1]s-allowed
    request: {url: http://localhost:8000/to/%[1]s/echo}
    expect: {allowed: true, status: 200, preflights: 0}
  - name: get-%[1]s-blocked
    request: {url: http://localhost:8000/to/%[1]s/page}
    expect: {allowed: false, cors_error: AllowOriginMismatch, failed_parameter: "http://localhost:8080"}
  - name: put-%[1]s-allowed
    request: {url: http://localhost:8000/to/%[1]s/echo, method: PUT, headers: {X-Token: t}, body: x}
    expect: {allowed: true, status: 200, preflights: 2}
  - name: put-%[1]s-blocked
    request: {url: http://localhost:8000/to/%[1]s/none, method: PUT, headers: {X-Token: t}, body: x}
    expect: {allowed: false, cors_error: PreflightMissingAllowOriginHeader, preflights: 2}
`, code)
	}
	file, err := checks.Parse("redirecthops.yaml", []byte(b.String()))
	require.NoError(t, err)
	return file
}

// TestRedirectHopsReplay: the recorder follows each redirect to the host no
// check names and records every hop (the preflights of C included), so that
// Chrome's verdicts replayed offline equal the live ones with no replay
// miss: in check order, in reverse order, and each check alone.
func TestRedirectHopsReplay(t *testing.T) {
	file := hopsChecks(t)
	require.NotContains(t, file.Hosts(), "localhost:8002", "no check names C")
	ups := serveLoopback(t, hopsAPI(), []string{"localhost:8080", "localhost:8000", "localhost:8002"})
	live, recorded := recordChecks(t, file, vcr.Config{Upstreams: ups})
	for _, c := range file.Checks {
		for _, m := range c.Mismatches(live[c.Name]) {
			t.Errorf("check %q: live verdict vs its expectation: %s", c.Name, m)
		}
	}

	// The cassette holds C's hops: the GET, and the preflight and PUT
	// after a 307 or 308 (302 keeps PUT too), sent with Origin: null.
	hops := map[string]int{}
	for _, in := range recorded.Interactions {
		if strings.HasPrefix(in.Request.URL, "http://localhost:8002/") {
			o, _ := in.Request.Headers.Get("Origin")
			hops[in.Request.Method+" "+in.Request.URL+" Origin: "+o]++
		}
	}
	assert.Equal(t, map[string]int{
		"GET http://localhost:8002/final/echo Origin: null":     3,
		"GET http://localhost:8002/final/page Origin: null":     3,
		"OPTIONS http://localhost:8002/final/echo Origin: null": 3,
		"PUT http://localhost:8002/final/echo Origin: null":     3,
		"OPTIONS http://localhost:8002/final/none Origin: null": 3,
	}, hops, "recorded hops to C")

	cas := viaFile(t, recorded)
	assert.Equal(t, live, replayChecks(t, file, cas, vcr.Config{}), "replay vs live")
	assert.Equal(t, live, replayChecks(t, reverseChecks(file), cas, vcr.Config{}), "replay in reverse order vs live")
	assert.Equal(t, live, replayEachAlone(t, file, cas), "each check replayed alone vs live")
}

// TestRedirectHopToHTTPS: an http API answers a redirect to an https host
// that no check names (http → https, as an upgrade redirect does). With no
// https URL in the check file the recording still intercepts it (a CA for
// the run only), so the hop and its preflight are recorded and the replay
// equals live with no miss, in both orders and each check alone.
func TestRedirectHopToHTTPS(t *testing.T) {
	addr, upCA, _ := startTLSHandler(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header()["Date"] = nil
		w.Header().Set("Access-Control-Allow-Origin", r.Header.Get("Origin"))
		if r.Method == http.MethodOptions {
			w.Header().Set("Access-Control-Allow-Methods", "PUT")
			w.Header().Set("Access-Control-Allow-Headers", "x-token")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		w.Write([]byte("secure"))
	}))
	ups := serveLoopback(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header()["Date"] = nil
		w.Header().Set("Access-Control-Allow-Origin", r.Header.Get("Origin"))
		if r.Method == http.MethodOptions {
			w.Header().Set("Access-Control-Allow-Methods", "PUT")
			w.Header().Set("Access-Control-Allow-Headers", "x-token")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		w.Header().Set("Location", "https://secure.example.net/final")
		w.WriteHeader(http.StatusTemporaryRedirect)
	}), []string{"localhost:8080", "localhost:8000"})
	ups["secure.example.net"] = addr
	file, err := checks.Parse("to-https.yaml", []byte(`version: 1
page: http://localhost:8080
checks:
  - name: get-to-https
    request: {url: http://localhost:8000/up}
    expect: {allowed: true, status: 200}
  - name: put-to-https
    request: {url: http://localhost:8000/up, method: PUT, headers: {X-Token: t}, body: x}
    expect: {allowed: true, status: 200, preflights: 2}
`))
	require.NoError(t, err)
	caDir := filepath.Join(t.TempDir(), "ca")
	live, recorded := recordChecks(t, file, vcr.Config{Upstreams: ups, UpstreamRootCAs: upCA.Pool(), CADir: caDir})
	for _, c := range file.Checks {
		for _, m := range c.Mismatches(live[c.Name]) {
			t.Errorf("check %q: live verdict vs its expectation: %s", c.Name, m)
		}
	}
	_, err = os.Stat(caDir)
	assert.True(t, os.IsNotExist(err), "recording an http check file writes no CA")
	var hops []string
	for _, in := range recorded.Interactions {
		if strings.HasPrefix(in.Request.URL, "https://secure.example.net/") {
			hops = append(hops, in.Request.Method+" "+in.Request.URL)
		}
	}
	assert.ElementsMatch(t, []string{"GET https://secure.example.net/final", "OPTIONS https://secure.example.net/final", "PUT https://secure.example.net/final"}, hops, "recorded https hops")

	cas := viaFile(t, recorded)
	cfg := vcr.Config{CADir: caDir}
	assert.Equal(t, live, replayChecks(t, file, cas, cfg), "replay vs live")
	assert.Equal(t, live, replayChecks(t, reverseChecks(file), cas, cfg), "replay in reverse order vs live")
}
