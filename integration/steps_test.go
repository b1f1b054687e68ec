package integration

import (
	"crypto/tls"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/corsvcr/corsvcr/ca"
	"github.com/corsvcr/corsvcr/cassettes"
	"github.com/corsvcr/corsvcr/checks"
	"github.com/corsvcr/corsvcr/vcr"
)

const preflightCacheDir = "testdata/oracle/preflight-cache"

// preflightCacheAPI allows PUT from any origin (echoed) with credentials.
// Its preflights say how long Chrome may cache them:
//
//	/max-age/{n}    Access-Control-Max-Age: n ("absent": no header)
//	/credentials    Access-Control-Max-Age: 600
//	/cache-mode     Access-Control-Max-Age: 600
func preflightCacheAPI() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h["Date"] = nil
		h.Set("Access-Control-Allow-Origin", r.Header.Get("Origin"))
		h.Set("Access-Control-Allow-Credentials", "true")
		h.Set("Vary", "Origin")
		if r.Method == http.MethodOptions {
			h.Set("Access-Control-Allow-Methods", "PUT")
			switch age, ok := strings.CutPrefix(r.URL.Path, "/max-age/"); {
			case ok && age != "absent":
				h.Set("Access-Control-Max-Age", age)
			case r.URL.Path == "/credentials" || r.URL.Path == "/cache-mode":
				h.Set("Access-Control-Max-Age", "600")
			}
			w.WriteHeader(http.StatusNoContent)
			return
		}
		h.Set("Content-Type", "text/plain")
		w.Write([]byte("ok"))
	})
}

// TestPreflightCacheCorpus: Chrome's preflight cache, one check sequence per
// rule, each in one isolated browser state. For every step the number of
// preflights on the network is the same live, in the replay of the fresh
// recording, in the replay of the committed cassette, in the committed
// verdicts and in the check file's expectations. With -update it rewrites
// cassette.yaml and verdicts.json.
//
// The replays reproduce the cache because the cassette holds every
// preflight that went out, in order, each with its Max-Age: Chrome caches
// the replayed answers as it cached the live ones.
//
// The max-age-absent scenario waits 5.5 s (the default lifetime is the
// behaviour under test). The live run and the committed cassette's replay
// run at the same time so that the waits overlap.
func TestPreflightCacheCorpus(t *testing.T) {
	file, live, recorded := runCorpus(t, preflightCacheDir, preflightCacheAPI())

	// The cassette holds one preflight per preflight Chrome sent.
	want := 0
	for _, v := range live {
		for _, s := range v {
			want += s.Preflights
		}
	}
	got := 0
	for _, in := range recorded.Interactions {
		if in.Kind == cassettes.KindPreflight {
			got++
		}
	}
	assert.Equal(t, want, got, "preflights recorded")

	for _, c := range file.Checks {
		var counts []int
		for _, s := range live[c.Name] {
			counts = append(counts, s.Preflights)
		}
		t.Logf("%-34s preflights per step %v", c.Name, counts)
	}
}

// loginAPI plays two services of one site that use a session cookie:
// localhost:8000 sets it on POST /login and answers /me with 200 when the
// cookie came, 401 otherwise, with credentials allowed; localhost:8001
// answers /me the same way but without Access-Control-Allow-Credentials.
// cookies records, per host, how many requests carried the cookie.
func loginAPI(cookies map[string]int, mu *sync.Mutex) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h["Date"] = nil
		h.Set("Access-Control-Allow-Origin", r.Header.Get("Origin"))
		h.Set("Vary", "Origin")
		if r.Host == "localhost:8000" {
			h.Set("Access-Control-Allow-Credentials", "true")
		}
		_, err := r.Cookie("sid")
		if err == nil {
			mu.Lock()
			cookies[r.Host]++
			mu.Unlock()
		}
		switch {
		case r.URL.Path == "/login" && r.Method == http.MethodPost:
			http.SetCookie(w, &http.Cookie{Name: "sid", Value: "test-session", Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode})
			w.WriteHeader(http.StatusOK)
		case r.URL.Path == "/me" && err == nil:
			w.WriteHeader(http.StatusOK)
		case r.URL.Path == "/me":
			w.WriteHeader(http.StatusUnauthorized)
		default:
			w.WriteHeader(http.StatusNotFound)
		}
	})
}

// Page and APIs are different origins of one site (localhost), so a
// SameSite=Lax cookie goes with credentialed fetches over plain http.
const loginChecks = `version: 1
page: http://localhost:8080
checks:
  - name: login-then-read
    steps:
      - request: {url: http://localhost:8000/login, method: POST, credentials: include}
        expect: {allowed: true, status: 200}
      - request: {url: http://localhost:8000/me, credentials: include}
        expect: {allowed: true, status: 200}
      # The cookie goes out, and Chrome blocks the answer: no ACAC.
      - request: {url: http://localhost:8001/me, credentials: include}
        expect: {allowed: false, cors_error: InvalidAllowCredentials, failed_parameter: ""}
      # Cross-origin "same-origin" credentials send no cookie.
      - request: {url: http://localhost:8000/me}
        expect: {allowed: true, status: 401}
  - name: read-without-login
    request: {url: http://localhost:8000/me, credentials: include}
    expect: {allowed: true, status: 401}
`

// TestStepsLoginCookieLiveEqualsReplay: a login step sets a cookie that the
// next steps send; live and replayed verdicts agree step by step, because
// the replay's match key tells a request with a cookie from one without.
func TestStepsLoginCookieLiveEqualsReplay(t *testing.T) {
	file, err := checks.Parse("login.yaml", []byte(loginChecks))
	require.NoError(t, err)
	cookies := map[string]int{}
	var mu sync.Mutex
	live, cas := recordChecks(t, file, vcr.Config{Upstreams: serveLoopback(t, loginAPI(cookies, &mu), file.Hosts())})
	mu.Lock()
	assert.Equal(t, map[string]int{"localhost:8000": 1, "localhost:8001": 1}, cookies, "requests that carried the cookie, per host")
	mu.Unlock()

	replayed := replayChecks(t, file, viaFile(t, cas), vcr.Config{})
	for _, c := range file.Checks {
		for _, m := range c.Mismatches(live[c.Name]) {
			t.Errorf("%s: live verdict vs expectation: %s", c.Name, m)
		}
		assert.Equal(t, live[c.Name], replayed[c.Name], "%s: replay vs live", c.Name)
	}

	// The recorded /me requests: with the cookie (steps 2 and 3), without
	// it (step 4 and the second check).
	var withCookie, without []string
	for _, in := range cas.Interactions {
		if !strings.HasSuffix(in.Request.URL, "/me") {
			continue
		}
		if len(in.Request.Headers.Values("Cookie")) > 0 {
			withCookie = append(withCookie, in.Request.URL)
		} else {
			without = append(without, in.Request.URL)
		}
	}
	assert.Equal(t, []string{"http://localhost:8000/me", "http://localhost:8001/me"}, withCookie)
	assert.Equal(t, []string{"http://localhost:8000/me", "http://localhost:8000/me"}, without)
}

// crossSiteChecks run at https://app.example.com against https://api.shop.test:
// another site, so the API's cookies are third-party cookies: only
// SameSite=None; Secure ones go with credentialed fetches.
const crossSiteChecks = `version: 1
page: https://app.example.com
checks:
  - name: cross-site-login-then-read
    steps:
      - request: {url: "https://api.shop.test/login", method: POST, credentials: include}
        expect: {allowed: true, status: 204}
      # The SameSite=None; Secure cookie goes out.
      - request: {url: "https://api.shop.test/me", credentials: include}
        expect: {allowed: true, status: 200}
      # The SameSite=Lax one does not: cross-site.
      - request: {url: "https://api.shop.test/me-lax", credentials: include}
        expect: {allowed: true, status: 401}
      # The cookie goes out, and Chrome blocks the answer without ACAC.
      - request: {url: "https://api.shop.test/no-acac", credentials: include}
        expect: {allowed: false, cors_error: InvalidAllowCredentials, failed_parameter: ""}
      # A credentialed request cannot use a wildcard.
      - request: {url: "https://api.shop.test/wildcard", credentials: include}
        expect: {allowed: false, cors_error: WildcardOriginNotAllowed, failed_parameter: ""}
      # Without credentials no cookie goes out.
      - request: {url: "https://api.shop.test/me", credentials: omit}
        expect: {allowed: true, status: 401}
`

// crossSiteAPI is the API behind https://api.shop.test. It counts, per
// path, the requests that carried the SameSite=None cookie.
func crossSiteAPI(cookies map[string]int, mu *sync.Mutex) http.Handler {
	const app = "https://app.example.com"
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h["Date"] = nil
		h.Set("Access-Control-Allow-Origin", app)
		h.Set("Access-Control-Allow-Credentials", "true")
		h.Set("Vary", "Origin")
		_, errNone := r.Cookie("sid")
		_, errLax := r.Cookie("lax")
		if errNone == nil {
			mu.Lock()
			cookies[r.URL.Path]++
			mu.Unlock()
		}
		status := http.StatusOK
		switch r.URL.Path {
		case "/login":
			h.Add("Set-Cookie", "sid=s1; Path=/; Secure; HttpOnly; SameSite=None")
			h.Add("Set-Cookie", "lax=l1; Path=/; Secure; HttpOnly; SameSite=Lax")
			status = http.StatusNoContent
		case "/me":
			if errNone != nil {
				status = http.StatusUnauthorized
			}
		case "/me-lax":
			if errLax != nil {
				status = http.StatusUnauthorized
			}
		case "/no-acac":
			h.Del("Access-Control-Allow-Credentials")
		case "/wildcard":
			h.Set("Access-Control-Allow-Origin", "*")
		default:
			status = http.StatusNotFound
		}
		w.WriteHeader(status)
	})
}

// TestStepsCrossSiteCookiesHTTPSLiveEqualsReplay: over HTTPS between two
// sites, a login step sets a SameSite=None; Secure cookie and a
// SameSite=Lax one; the next credentialed steps send the first only, also
// to an endpoint Chrome then blocks for a missing
// Access-Control-Allow-Credentials; a wildcard is refused. The replay of
// the recording gives the same verdicts, step by step.
func TestStepsCrossSiteCookiesHTTPSLiveEqualsReplay(t *testing.T) {
	file, err := checks.Parse("cross-site.yaml", []byte(crossSiteChecks))
	require.NoError(t, err)
	caDir := t.TempDir()
	upCA, err := ca.New() // the live server's own authority
	require.NoError(t, err)

	cookies := map[string]int{}
	var mu sync.Mutex
	api := httptest.NewUnstartedServer(crossSiteAPI(cookies, &mu))
	api.TLS = &tls.Config{GetCertificate: func(hi *tls.ClientHelloInfo) (*tls.Certificate, error) {
		return upCA.Leaf(hi.ServerName)
	}}
	api.Config.ErrorLog = log.New(io.Discard, "", 0)
	api.StartTLS()
	defer api.Close()

	live, cas := recordChecks(t, file, vcr.Config{
		Upstreams:       map[string]string{"api.shop.test": strings.TrimPrefix(api.URL, "https://")},
		CADir:           caDir,
		UpstreamRootCAs: upCA.Pool(),
	})
	api.Close()
	mu.Lock()
	assert.Equal(t, map[string]int{"/me": 1, "/me-lax": 1, "/no-acac": 1, "/wildcard": 1}, cookies,
		"requests that carried the SameSite=None cookie, per path")
	mu.Unlock()

	replayed := replayChecks(t, file, viaFile(t, cas), vcr.Config{CADir: caDir})
	for _, c := range file.Checks {
		for _, m := range c.Mismatches(live[c.Name]) {
			t.Errorf("%s: live verdict vs expectation: %s", c.Name, m)
		}
		assert.Equal(t, live[c.Name], replayed[c.Name], "%s: replay vs live", c.Name)
	}
}
