package integration

import (
	"compress/gzip"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/corsvcr/corsvcr/browsercheck"
	"github.com/corsvcr/corsvcr/cassettes"
	"github.com/corsvcr/corsvcr/checks"
)

// The shop of the HAR tests: a page at http://app.example.test calling
// http://api.example.test. Playwright's Chromium reaches both on loopback
// through --host-resolver-rules; corsvcr through --upstream.
const (
	harApp     = "http://app.example.test"
	harAPI     = "http://api.example.test"
	harAPIHost = "api.example.test:80"
	// harJWT is the access token the page logs in with: a JWT that must
	// never reach a cassette or a check file.
	harJWT = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJzaG9wLXVzZXItNDIiLCJpYXQiOjE3MDAwMDAwMDB9.c2lnbmF0dXJlLW9mLXRoZS1zaG9wLXRva2VuLTQy"
	// harAPIKey is a key the page sends as a query parameter.
	harAPIKey = "live_4f9a8c7d6e5b4a3c2d1e0f9a"
)

// harPage is the failing page: it logs in, then makes four cross-origin
// requests; two of them fail CORS.
const harPage = `<!doctype html>
<title>shop</title>
<script>
async function run() {
  const out = {};
  async function go(name, url, init) {
    try {
      const r = await fetch(url, init);
      await r.text(); // read, so that the HAR holds the body
      out[name] = 'status ' + r.status;
    } catch (e) {
      out[name] = String(e);
    }
  }
  const session = await (await fetch('/session', {method: 'POST'})).json();
  const api = 'http://api.example.test';
  // Fails: the preflight allows GET and POST only.
  await go('put', api + '/items/1', {method: 'PUT', body: '{"qty":2}',
    headers: {'Content-Type': 'application/json', 'Authorization': 'Bearer ' + session.access_token}});
  await go('products', api + '/products?page=2&api_key=' + session.api_key);
  await go('gz', api + '/gz');
  // Fails: the API allows another origin.
  await go('mismatch', api + '/mismatch');
  window.__corsvcrDone = out;
}
run();
</script>
`

// harAppHandler serves the page and its login endpoint.
func harAppHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		switch r.URL.Path {
		case "/":
			h.Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprint(w, harPage)
		case "/session":
			h.Set("Content-Type", "application/json")
			fmt.Fprintf(w, `{"user":"shop-user-42","access_token":%q,"api_key":%q}`, harJWT, harAPIKey)
		default:
			http.NotFound(w, r)
		}
	})
}

// harAPIHandler is the API the page calls.
func harAPIHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		switch r.URL.Path {
		case "/items/1":
			h.Set("Access-Control-Allow-Origin", harApp)
			h.Set("Access-Control-Allow-Methods", "GET, POST")
			h.Set("Access-Control-Allow-Headers", "Content-Type, Authorization")
			h.Set("Vary", "Origin")
			if r.Method == http.MethodOptions {
				w.WriteHeader(http.StatusNoContent)
				return
			}
			h.Set("Content-Type", "application/json")
			fmt.Fprint(w, `{"id":1,"qty":2}`)
		case "/products":
			h.Set("Access-Control-Allow-Origin", harApp)
			h.Set("Access-Control-Expose-Headers", "X-Page-Count")
			h.Set("X-Page-Count", "7")
			h.Set("Content-Type", "application/json")
			fmt.Fprint(w, `[{"id":1,"name":"first"}]`)
		case "/gz":
			h.Set("Access-Control-Allow-Origin", harApp)
			h.Set("Content-Type", "application/json")
			h.Set("Content-Encoding", "gzip")
			zw := gzip.NewWriter(w)
			fmt.Fprint(zw, `{"compressed":true}`)
			zw.Close()
		case "/mismatch":
			h.Set("Access-Control-Allow-Origin", "http://admin.example.test")
			h.Set("Content-Type", "application/json")
			fmt.Fprint(w, `{}`)
		default:
			http.NotFound(w, r)
		}
	})
}

// harServe serves h on an ephemeral loopback port until the returned
// func or the end of the test stops it.
func harServe(t *testing.T, h http.Handler) (addr string, stop func()) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	stop = func() { srv.Close() }
	t.Cleanup(stop)
	return ln.Addr().String(), stop
}

// recordPlaywrightHAR opens the shop page in Chromium driven by Playwright
// (npm playwright-core, installed by integration/har/install.sh) with
// recordHar on, and returns the HAR Playwright wrote and what the page saw.
func recordPlaywrightHAR(t *testing.T, dir, appAddr, apiAddr string) (string, map[string]string) {
	t.Helper()
	chrome, err := browsercheck.FindChrome()
	require.NoError(t, err)
	install := exec.CommandContext(testContext(t), "har/install.sh")
	out, err := install.CombinedOutput()
	require.NoError(t, err, "integration/har/install.sh: %s", out)

	harPath := filepath.Join(dir, "playwright.har")
	cfg, err := json.Marshal(map[string]any{
		"chrome":    chrome,
		"har":       harPath,
		"page":      harApp + "/",
		"hostRules": fmt.Sprintf("MAP app.example.test %s, MAP api.example.test %s", appAddr, apiAddr),
	})
	require.NoError(t, err)
	cfgPath := filepath.Join(dir, "playwright.json")
	require.NoError(t, os.WriteFile(cfgPath, cfg, 0o644))
	cmd := exec.CommandContext(testContext(t), "node", "har/record-har.js", cfgPath)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	stdout, err := cmd.Output()
	require.NoError(t, err, "record-har.js: %s", stderr.String())
	var seen map[string]string
	require.NoError(t, json.Unmarshal(stdout, &seen), "record-har.js printed %q", stdout)
	return harPath, seen
}

// verdictsByName runs a corsvcr check and returns its verdicts by check name.
func verdictsByName(t *testing.T, r cliRun) map[string]checks.Verdicts {
	t.Helper()
	out := map[string]checks.Verdicts{}
	for _, c := range parseReport(t, r).Checks {
		require.Empty(t, c.Error, "check %q", c.Name)
		out[c.Name] = c.Verdicts
	}
	return out
}

// corsPart is what a CORS failure is: allowed or not, Chrome's CorsError
// and its failedParameter.
type corsPart struct {
	Allowed         bool
	CorsError       string
	FailedParameter string
}

func corsParts(vs map[string]checks.Verdicts) map[string]corsPart {
	out := map[string]corsPart{}
	for name, vs := range vs {
		v := vs.Last() // the HAR's checks have one step
		out[name] = corsPart{v.Allowed, v.CorsError, v.FailedParameter}
	}
	return out
}

// TestHARPlaywrightImport: a page that fails CORS is recorded by a real
// third-party HAR writer (Playwright's recordHar, driving Chromium), the
// HAR is imported, and corsvcr check then reproduces, offline, the same
// CorsErrors Chrome reports live.
//
// Playwright's HAR holds no response for a request the browser blocked
// (status -1, only the script's headers) and no preflights: the import says
// so, the requests it answered replay offline at once, and the blocked ones
// get their answers recorded once with --mode record-missing.
func TestHARPlaywrightImport(t *testing.T) {
	dir := t.TempDir()
	appAddr, stopApp := harServe(t, harAppHandler())
	apiAddr, stopAPI := harServe(t, harAPIHandler())
	harPath, seen := recordPlaywrightHAR(t, dir, appAddr, apiAddr)
	// What the page saw in Playwright's Chromium: two CORS failures.
	assert.Equal(t, map[string]string{
		"put":      "TypeError: Failed to fetch",
		"products": "status 200",
		"gz":       "status 200",
		"mismatch": "TypeError: Failed to fetch",
	}, seen)
	if *update {
		data, err := os.ReadFile(harPath)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile("testdata/har/playwright-chromium.har", data, 0o644))
	}

	cas := filepath.Join(dir, "imported.yaml")
	chk := filepath.Join(dir, "checks.yaml")
	imp := corsvcr(t, "import", harPath, "-o", cas, "--checks-out", chk)
	require.Equal(t, 0, imp.code, "import: %s%s", imp.stdout, imp.stderr)
	assert.Contains(t, imp.stdout, "(Playwright 1.65.1): 6 entries, 4 interactions, 0 preflights")
	assert.Contains(t, imp.stdout, "no preflights: the HAR has none")
	assert.Contains(t, imp.stdout, "skipped entry 2 PUT http://api.example.test/items/1: no response in the HAR (status -1, net::ERR_FAILED)")
	assert.Contains(t, imp.stdout, "skipped entry 5 GET http://api.example.test/mismatch: no response in the HAR")
	assert.Contains(t, imp.stdout, `response body is decoded in the HAR: Content-Encoding "gzip" dropped`)
	assert.Contains(t, imp.stdout, "2 of them have no recorded answer")

	// Neither file holds a secret; the placeholders keep their presence.
	for _, p := range []string{cas, chk} {
		data, err := os.ReadFile(p)
		require.NoError(t, err)
		assert.NotContains(t, string(data), harJWT, p)
		assert.NotContains(t, string(data), harAPIKey, p)
		assert.NotContains(t, string(data), strings.SplitN(harJWT, ".", 2)[0]+".", p)
	}
	file, err := checks.Load(chk)
	require.NoError(t, err)
	require.Len(t, file.Checks, 4)
	assert.Equal(t, harApp, file.Page)
	put := file.Checks[0]
	assert.Equal(t, "PUT api.example.test/items/1", put.Name)
	assert.Equal(t, []checks.Header{
		// The JWT was the first secret the HAR showed, in the login
		// response: the same placeholder stands for it here.
		{Name: "Authorization", Value: "Bearer " + cassettes.RedactedPrefix + "1"},
		{Name: "Content-Type", Value: "application/json"},
	}, put.Steps[0].Request.Headers)
	assert.Equal(t, `{"qty":2}`, put.Steps[0].Request.Body)
	assert.Equal(t, "http://api.example.test/products?page=2&api_key="+cassettes.RedactedPrefix+"2", file.Checks[1].Steps[0].Request.URL)

	// Chrome's verdicts live, through corsvcr (nothing recorded).
	live := corsvcr(t, "check", "--checks", chk, "--json", "--upstream", harAPIHost+"="+apiAddr)
	require.Equal(t, 0, live.code, "live: %s%s", live.stdout, live.stderr)
	want := corsParts(verdictsByName(t, live))
	assert.Equal(t, map[string]corsPart{
		"PUT api.example.test/items/1":  {false, "MethodDisallowedByPreflightResponse", "PUT"},
		"GET api.example.test/products": {true, "", ""},
		"GET api.example.test/gz":       {true, "", ""},
		"GET api.example.test/mismatch": {false, "AllowOriginMismatch", "http://admin.example.test"},
	}, want)

	// Offline from the HAR alone: what it answered replays; the blocked
	// requests are replay misses, never a made-up verdict.
	first := corsvcr(t, "check", "--checks", chk, "--cassette", cas, "--json")
	assert.Equal(t, 4, first.code, "replay of the bare import: %s%s", first.stdout, first.stderr)
	for _, c := range parseReport(t, first).Checks {
		switch c.Name {
		case "GET api.example.test/products", "GET api.example.test/gz":
			assert.Empty(t, c.Misses, c.Name)
			assert.Equal(t, want[c.Name], corsPart{c.Verdicts.Last().Allowed, c.Verdicts.Last().CorsError, c.Verdicts.Last().FailedParameter}, c.Name)
		default:
			assert.NotEmpty(t, c.Misses, c.Name)
		}
	}

	// Record the blocked requests' answers once, then stop every server.
	fill := corsvcr(t, "check", "--checks", chk, "--cassette", cas, "--mode", "record-missing", "--json",
		"--upstream", harAPIHost+"="+apiAddr)
	require.Equal(t, 0, fill.code, "record-missing: %s%s", fill.stdout, fill.stderr)
	stopApp()
	stopAPI()

	off := corsvcr(t, "check", "--checks", chk, "--cassette", cas, "--json")
	require.Equal(t, 0, off.code, "offline: %s%s", off.stdout, off.stderr)
	assert.Equal(t, want, corsParts(verdictsByName(t, off)), "offline verdicts equal live ones")

	t.Run("production origins mapped to a local one", func(t *testing.T) {
		local := "http://localhost:5173"
		lchk := filepath.Join(dir, "local-checks.yaml")
		data, err := os.ReadFile(chk)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(lchk, []byte(strings.ReplaceAll(string(data), "page: "+harApp, "page: "+local)), 0o644))

		r := corsvcr(t, "check", "--checks", lchk, "--cassette", cas, "--json", "--map-origin", harApp+"="+local)
		require.Equal(t, 0, r.code, "mapped: %s%s", r.stdout, r.stderr)
		assert.Contains(t, r.stderr, "origin mapping active (from --map-origin): "+harApp+" → "+local)
		assert.Equal(t, want, corsParts(verdictsByName(t, r)), "mapped verdicts equal live ones")

		unmapped := corsvcr(t, "check", "--checks", lchk, "--cassette", cas, "--json")
		assert.Equal(t, 4, unmapped.code, "without the mapping the local origin misses: %s", unmapped.stdout)

		strict := corsvcr(t, "check", "--checks", lchk, "--cassette", cas, "--strict", "--map-origin", harApp+"="+local)
		assert.Equal(t, 2, strict.code, strict.stderr)
		assert.Contains(t, strict.stderr, "--map-origin needs --cassette and cannot be used with --strict")
	})
}

// TestHARDevToolsStyleImport: a HAR shaped like a Chrome DevTools export
// (hand-written from that format: blocked responses carry their status and
// headers, request headers are the raw ones with Cookie, no preflight
// entries) reproduces its CORS failure offline straight from the import.
func TestHARDevToolsStyleImport(t *testing.T) {
	dir := t.TempDir()
	cas := filepath.Join(dir, "devtools.yaml")
	chk := filepath.Join(dir, "checks.yaml")
	imp := corsvcr(t, "import", "testdata/har/devtools-style.har", "-o", cas, "--checks-out", chk,
		"--map-origin", "http://app.shop.example=http://localhost:5173")
	require.Equal(t, 0, imp.code, "import: %s%s", imp.stdout, imp.stderr)
	assert.Contains(t, imp.stdout, "no preflights: the HAR has none")
	assert.Contains(t, imp.stdout, "request Cookie dropped from 1 interactions")
	assert.Contains(t, imp.stdout, "origin mapping recorded in the cassette: http://app.shop.example → http://localhost:5173")
	loaded, err := cassettes.Load(cas)
	require.NoError(t, err)
	assert.Equal(t, []cassettes.OriginMapping{{From: "http://app.shop.example", To: "http://localhost:5173"}}, loaded.Meta.OriginMap)

	r := corsvcr(t, "check", "--checks", chk, "--cassette", cas, "--json")
	assert.Contains(t, r.stderr, "origin mapping active (from the cassette's meta.origin_map)")
	vs := verdictsByName(t, r)
	assert.Equal(t, corsPart{false, "WildcardOriginNotAllowed", ""}, corsParts(vs)["GET api.shop.example/cart"])
	assert.Equal(t, corsPart{true, "", ""}, corsParts(vs)["GET api.shop.example/orders"])
	// Its POST needed a preflight the HAR does not have: a miss, exit 4.
	assert.Equal(t, 4, r.code, r.stdout)
}
