package integration

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/corsvcr/corsvcr/cassettes"
	"github.com/corsvcr/corsvcr/checks"
	"github.com/corsvcr/corsvcr/internal/corpustest"
	"github.com/corsvcr/corsvcr/predict"
	"github.com/corsvcr/corsvcr/replay"
	"github.com/corsvcr/corsvcr/vcr"
)

const redirectsDir = "testdata/oracle/redirects"

// redirectHosts are the authorities the redirect corpus names: the page
// origin and two API origins, all served by redirectAPI.
var redirectHosts = []string{"localhost:8080", "localhost:8000", "localhost:8001"}

// redirectAPI serves the redirect corpus on every host of redirectHosts,
// dispatching on the path (the Location it sends names the host):
//
//	/final/star    200, Access-Control-Allow-Origin: *
//	/final/page    200, ACAO http://localhost:8080 and ACAC true
//	/final/echo    200, ACAO echoing the request's Origin and ACAC true
//	/final/none    200, no CORS headers
//	/to/HOST/CODE/REST     CODE with Location http://HOST/REST, ACAO echoed, ACAC true
//	/bare/HOST/CODE/REST   the same without CORS headers
//	/creds/HOST/CODE/REST  the same as /to/ with Location http://user:pass@HOST/REST
//	/rel/REST      302 with the relative Location /REST, ACAO echoed, ACAC true
//	/hops/N        N > 0: 302 to /hops/N-1 (ACAO echoed, ACAC true); 0: as /final/page
//
// Every OPTIONS is a good preflight (ACAO echoed, ACAC true, methods GET,
// POST, PUT, headers x-token, content-type, authorization, dpr and
// save-data), but the preflight of /final/page has ACAO
// http://localhost:8080 and that of /preflight-redirect is a 307 to
// /final/echo.
func redirectAPI() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h["Date"] = nil
		cors := func() {
			h.Set("Access-Control-Allow-Origin", r.Header.Get("Origin"))
			h.Set("Access-Control-Allow-Credentials", "true")
			h.Set("Vary", "Origin")
		}
		redirect := func(code int, loc string) {
			h.Set("Location", loc)
			w.WriteHeader(code)
		}
		final := func(acao string) {
			switch acao {
			case "star":
				h.Set("Access-Control-Allow-Origin", "*")
			case "page":
				h.Set("Access-Control-Allow-Origin", "http://localhost:8080")
				h.Set("Access-Control-Allow-Credentials", "true")
			case "echo":
				cors()
			case "none":
			default:
				w.WriteHeader(http.StatusNotFound)
				return
			}
			h.Set("Content-Type", "text/plain")
			w.Write([]byte("ok"))
		}
		path := strings.TrimPrefix(r.URL.Path, "/")
		first, rest, _ := strings.Cut(path, "/")
		if r.Method == http.MethodOptions {
			cors()
			if path == "preflight-redirect" {
				redirect(http.StatusTemporaryRedirect, "/final/echo")
				return
			}
			if path == "final/page" {
				h.Set("Access-Control-Allow-Origin", "http://localhost:8080")
			}
			h.Set("Access-Control-Allow-Methods", "GET, POST, PUT")
			h.Set("Access-Control-Allow-Headers", "x-token, content-type, authorization, dpr, save-data")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		switch first {
		case "final":
			final(rest)
		case "to", "bare", "creds":
			parts := strings.SplitN(rest, "/", 3)
			code, err := strconv.Atoi(parts[min(1, len(parts)-1)])
			if len(parts) != 3 || err != nil {
				w.WriteHeader(http.StatusNotFound)
				return
			}
			loc := "http://" + parts[0] + "/" + parts[2]
			switch first {
			case "to":
				cors()
			case "creds":
				cors()
				loc = "http://user:pass@" + parts[0] + "/" + parts[2]
			}
			redirect(code, loc)
		case "rel":
			cors()
			redirect(http.StatusFound, "/"+rest)
		case "hops":
			n, err := strconv.Atoi(rest)
			switch {
			case err != nil || n < 0:
				w.WriteHeader(http.StatusNotFound)
			case n == 0:
				final("page")
			default:
				cors()
				redirect(http.StatusFound, "/hops/"+strconv.Itoa(n-1))
			}
		case "preflight-redirect":
			final("echo")
		default:
			w.WriteHeader(http.StatusNotFound)
		}
	})
}

// TestRedirectCorpus: how Chrome follows redirects of fetch and XHR and
// what CORS does at each hop — same-origin and cross-origin redirects, the
// tainted origin ("Origin: null" after a redirect between two other
// origins), a new preflight after a redirect, a preflight answered with a
// redirect, credentials in the Location, the redirect modes error and
// manual, method rewriting and the redirect limit — one check per rule in
// testdata/oracle/redirects/checks.yaml, each stating Chrome's verdict.
// Live, replayed from the fresh recording, replayed from the committed
// cassette and the committed verdicts are equal, check by check; -update
// rewrites cassette.yaml and verdicts.json.
//
// The replay reproduces the redirects because the recorder records every
// hop as its own interaction (a 3xx with its Location is an ordinary
// response to the proxy) and Chrome follows the replayed Location through
// the replay proxy; the hop after a cross-origin redirect is matched by its
// recorded "Origin: null". The strict replays fail on any request the
// cassette does not hold. The test also holds the predictor to the hops:
// for every check, the requests predict.Predict sends are exactly the
// recorded ones, in order, Origin and credentials included.
func TestRedirectCorpus(t *testing.T) {
	file, live, recorded := runRedirectCorpus(t)

	// The tainted hops went out with Origin: null, and were recorded so.
	nullOrigin := map[string]bool{}
	for _, in := range recorded.Interactions {
		if o, _ := in.Request.Headers.Get("Origin"); o == "null" {
			nullOrigin[in.Request.Method+" "+in.Request.URL] = true
		}
	}
	for _, hop := range []string{
		"GET http://localhost:8001/final/page",     // cross-origin-to-other-page
		"GET http://localhost:8080/final/page",     // cross-origin-back-to-page-origin
		"OPTIONS http://localhost:8001/final/echo", // preflighted-307-other-origin
		"PUT http://localhost:8001/final/echo",     // preflighted-307-other-origin
		"POST http://localhost:8000/final/star",    // no-cors-post-redirect-cross-origin
	} {
		assert.True(t, nullOrigin[hop], "recorded with Origin: null: %s", hop)
	}
	assert.Contains(t, live, "cross-origin-to-other-page")

	// The predictor sends exactly the recorded requests, hop by hop.
	srv, err := replay.NewSession(replay.Config{Cassette: recorded, Strict: true})
	require.NoError(t, err)
	var predicted []string
	for _, c := range file.Checks {
		res := predict.Predict(c, srv)
		for i, st := range res.Steps {
			assert.False(t, st.Miss, "check %q step %d: %s", c.Name, i+1, st.Rule)
			assert.Empty(t, st.Unsupported, "check %q step %d", c.Name, i+1)
			for _, h := range st.Hops {
				predicted = append(predicted, hopKey(h.Request))
			}
		}
	}
	var sent []string
	for _, in := range recorded.Interactions {
		sent = append(sent, hopKey(in.Request))
	}
	assert.Equal(t, sent, predicted, "requests Chrome sent (-) vs requests the predictor sends (+)")
}

// hopKey names a request by what decides CORS and replay: method, URL,
// Origin, Access-Control-Request-Headers, and whether it carried
// credentials (Cookie or Authorization).
func hopKey(r cassettes.Request) string {
	o, ok := r.Headers.Get("Origin")
	if !ok {
		o = "(none)"
	}
	acrh, _ := r.Headers.Get("Access-Control-Request-Headers")
	_, cookie := r.Headers.Get("Cookie")
	_, auth := r.Headers.Get("Authorization")
	return fmt.Sprintf("%s %s origin=%s acrh=%q cookie=%v authorization=%v body=%q", r.Method, r.URL, o, acrh, cookie, auth, r.Body)
}

// runRedirectCorpus records the redirect corpus live against redirectAPI
// while it replays the committed cassette, then replays the fresh
// recording, and asserts for every check that the live verdict, both
// replays and the committed verdicts are equal and that the live verdict
// meets the check file's expectations. With -update it first rewrites
// cassette.yaml and verdicts.json from the live run. (runCorpora files
// each recorded interaction under the corpus whose check names its path,
// which the hops after a redirect do not have: this corpus keeps every
// hop.)
func runRedirectCorpus(t *testing.T) (*checks.File, map[string]checks.Verdicts, *cassettes.Cassette) {
	t.Helper()
	p := corpustest.In(redirectsDir)
	file, err := checks.Load(p.Checks)
	require.NoError(t, err)
	var (
		live, golden map[string]checks.Verdicts
		recorded     *cassettes.Cassette
	)
	t.Run("run", func(t *testing.T) {
		t.Run("live", func(t *testing.T) {
			t.Parallel()
			live, recorded = recordChecks(t, file, vcr.Config{Upstreams: serveLoopback(t, redirectAPI(), redirectHosts)})
		})
		if !*update {
			t.Run("committed cassette", func(t *testing.T) {
				t.Parallel()
				cas, err := cassettes.Load(p.Cassette)
				require.NoError(t, err, "run 'go test ./integration -run TestRedirectCorpus -update' to create it")
				golden = replayChecks(t, file, cas, vcr.Config{})
			})
		}
	})
	require.False(t, t.Failed())

	fresh := viaFile(t, recorded)
	replayed := replayChecks(t, file, fresh, vcr.Config{})
	if *update {
		require.NoError(t, cassettes.Save(p.Cassette, fresh))
		writeVerdicts(t, p.Verdicts, live)
		golden = replayed
	}
	committed := readVerdicts(t, p.Verdicts)
	assert.Len(t, committed, len(file.Checks), "%s holds a verdict per check and no other", p.Verdicts)
	for _, c := range file.Checks {
		t.Run(c.Name, func(t *testing.T) {
			require.Len(t, live[c.Name], len(c.Steps))
			for _, m := range c.Mismatches(live[c.Name]) {
				t.Errorf("live verdict vs the expectation in %s: %s", p.Checks, m)
			}
			assert.Equal(t, live[c.Name], replayed[c.Name], "replay of the fresh recording vs live")
			assert.Equal(t, committed[c.Name], live[c.Name], "%s vs live", p.Verdicts)
			assert.Equal(t, committed[c.Name], golden[c.Name], "replay of %s vs %s", p.Cassette, p.Verdicts)
		})
	}
	return file, live, fresh
}
