package integration

import (
	"crypto/tls"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/corsvcr/corsvcr/ca"
	"github.com/corsvcr/corsvcr/cassettes"
	"github.com/corsvcr/corsvcr/checks"
	"github.com/corsvcr/corsvcr/vcr"
)

// pageAPIPage is a page at localhost:5180 whose script calls the API at
// localhost:8180 with a secret in the query (built by the script: the page
// itself holds none).
const pageAPIPage = `<!doctype html><script>
fetch("http://localhost:8180/items?api_key=" + ["hunter", "two"].join("2") + "&page=1");
</script>`

func pageAPIHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Host == "localhost:5180" {
			w.Header().Set("Content-Type", "text/html")
			w.Write([]byte(pageAPIPage))
			return
		}
		w.Header().Set("Access-Control-Allow-Origin", "http://localhost:5180")
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"items":[]}`))
	})
}

// The workflow library: vcr.RecordPage records a page and its check,
// vcr.SavePage redacts the secret in the check file as in the cassette,
// Runner.Replay checks the page offline (the redacted query value matching
// the real one), attributes a replay miss to the page visit and gives it no
// predictor note; a visit that fails writes no check file.
func TestPageModeGoAPI(t *testing.T) {
	ups := serveLoopback(t, pageAPIHandler(), []string{"localhost:5180", "localhost:8180"})
	r, err := vcr.New(vcr.Config{Upstreams: ups, Version: "test"})
	require.NoError(t, err)
	ctx := testContext(t)

	run, file, err := r.RecordPage(ctx, "api-page", checks.Visit{URL: "http://localhost:5180/"})
	require.NoError(t, err)
	require.Len(t, run.Results, 1)
	require.Empty(t, run.Results[0].Error)
	require.Len(t, file.Checks[0].Requests, 1)
	assert.Equal(t, "http://localhost:5180", file.Checks[0].Page)

	dir := t.TempDir()
	cas, chk := filepath.Join(dir, "c.yaml"), filepath.Join(dir, "page.yaml")
	live := slices.Clone(run.Results[0].Verdicts) // as Chrome saw them
	require.NoError(t, vcr.SavePage(cas, chk, run, file, vcr.SaveOptions{}))
	// What is printed and reported of the recording shows the redacted URL.
	assert.Contains(t, run.Results[0].Verdicts[0].URL, "api_key="+cassettes.RedactedPrefix)
	for _, p := range []string{cas, chk} {
		data, err := os.ReadFile(p)
		require.NoError(t, err)
		assert.NotContains(t, string(data), "hunter2two", p)
	}
	saved, err := checks.Load(chk)
	require.NoError(t, err)
	assert.Contains(t, saved.Checks[0].Requests[0].URL, "api_key="+cassettes.RedactedPrefix)

	c, err := cassettes.Load(cas)
	require.NoError(t, err)
	replayed, err := r.Replay(ctx, saved, vcr.Replay{Cassette: c})
	require.NoError(t, err)
	require.Len(t, replayed.Results, 1)
	res := replayed.Results[0]
	assert.Empty(t, res.Misses)
	assert.Empty(t, res.Mismatches, "the redacted value matches the real one")
	assert.Equal(t, vcr.Pass, replayed.Outcome())
	assert.Equal(t, live, res.Verdicts)

	// The page now makes a request the cassette lacks (here, run after
	// load): a miss of this check; no predictor note.
	more := *saved
	more.Checks = []checks.Check{saved.Checks[0]}
	more.Checks[0].Visit = &checks.Visit{URL: "http://localhost:5180/", AfterLoad: `fetch("http://localhost:8180/other")`}
	changed, err := r.Replay(ctx, &more, vcr.Replay{Cassette: c})
	require.NoError(t, err)
	res = changed.Results[0]
	require.Len(t, res.Misses, 1)
	assert.Contains(t, res.Misses[0], "GET http://localhost:8180/other")
	assert.Empty(t, res.Error)
	assert.Empty(t, res.Why)
	assert.Empty(t, res.Disagree)
	assert.Equal(t, vcr.Miss, changed.Outcome())

	// A visit that fails (the page's server is down) writes nothing, even
	// when an incomplete recording may be saved.
	down, err := vcr.New(vcr.Config{Upstreams: map[string]string{"localhost:5180": closedPort(t)}, Version: "test"})
	require.NoError(t, err)
	run, file, err = down.RecordPage(ctx, "down", checks.Visit{URL: "http://localhost:5180/"})
	require.NoError(t, err)
	require.NotEmpty(t, run.Results[0].Error)
	assert.Nil(t, file.Checks[0].Requests)
	out, downCas := filepath.Join(dir, "down.yaml"), filepath.Join(dir, "down-cassette.yaml")
	var ie *vcr.IncompleteError
	require.ErrorAs(t, vcr.SavePage(downCas, out, run, file, vcr.SaveOptions{}), &ie, "the page's exchange failed")
	require.ErrorContains(t, vcr.SavePage(downCas, out, run, file, vcr.SaveOptions{AllowIncomplete: true}), "the page visit failed")
	assert.NoFileExists(t, out)
	assert.NoFileExists(t, downCas)
}

// Page mode over HTTPS with real hostnames: the page at
// https://app.example.com (a secure context) calls https://api.example.net
// with credentials; recorded through the MITM recorder, checked offline
// with the same verdicts.
func TestPageModeHTTPS(t *testing.T) {
	upCA, err := ca.New()
	require.NoError(t, err)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Host == "app.example.com" {
			w.Header().Set("Content-Type", "text/html")
			w.Write([]byte(`<!doctype html><script>
fetch("https://api.example.net/allowed", {credentials: "include"});
fetch("https://api.example.net/wildcard", {credentials: "include"}).catch(() => {});
</script>`))
			return
		}
		httpsAPI(w, r)
	}))
	srv.TLS = &tls.Config{GetCertificate: func(hi *tls.ClientHelloInfo) (*tls.Certificate, error) { return upCA.Leaf(hi.ServerName) }}
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	t.Cleanup(srv.Close)
	addr := strings.TrimPrefix(srv.URL, "https://")
	caDir := filepath.Join(t.TempDir(), "corsvcr")
	r, err := vcr.New(vcr.Config{
		Upstreams:       map[string]string{"app.example.com": addr, "api.example.net": addr},
		UpstreamRootCAs: upCA.Pool(),
		CADir:           caDir,
		Version:         "test",
	})
	require.NoError(t, err)
	run, file, err := r.RecordPage(testContext(t), "app", checks.Visit{URL: "https://app.example.com/"})
	require.NoError(t, err)
	require.Empty(t, run.Results[0].Error)
	live := run.Results[0].Verdicts
	require.Len(t, live, 2)
	assert.Equal(t, "https://api.example.net/allowed", live[0].URL)
	assert.True(t, live[0].Allowed)
	assert.Equal(t, "WildcardOriginNotAllowed", live[1].CorsError)

	srv.Close()
	offline, err := vcr.New(vcr.Config{CADir: caDir})
	require.NoError(t, err)
	replayed, err := offline.Replay(testContext(t), file, vcr.Replay{Cassette: viaFile(t, run.Cassette), Strict: true})
	require.NoError(t, err)
	res := replayed.Results[0]
	assert.Empty(t, res.Misses)
	assert.Empty(t, res.Mismatches)
	assert.Equal(t, live, res.Verdicts)
}
