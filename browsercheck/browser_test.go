package browsercheck_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"github.com/corsvcr/corsvcr/internal/procs/procstest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/corsvcr/corsvcr/browsercheck"
	"github.com/corsvcr/corsvcr/checks"
)

var preflighted = checks.Check{
	Name: "preflighted", Page: pageOrigin,
	Steps: []checks.Step{{Request: checks.Request{URL: apiOrigin + "/json", Method: "POST", Headers: jsonHeaders, Body: `{"a":1}`}}},
}

// The response allows caching the preflight for 600 s; clearing the browser
// cache between checks must still send a preflight every time.
func TestCheckIsolatesPreflightCache(t *testing.T) {
	b := needChrome(t)
	before := upstream.count("OPTIONS /json")
	for i := range 2 {
		v, err := only(b.Check(context.Background(), preflighted))
		require.NoError(t, err)
		assert.True(t, v.Preflight, "check %d: preflight", i)
		assert.True(t, v.Allowed, "check %d: allowed", i)
	}
	assert.Equal(t, 2, upstream.count("OPTIONS /json")-before, "preflights seen by the server")
}

// Preflight and actual request events arrive in no stable order; every
// preflighted check must still report its preflight. It also measures the
// rate of checks on a warm browser.
func TestCheckPreflightEveryTime(t *testing.T) {
	b := needChrome(t)
	n := 100
	if testing.Short() {
		n = 20
	}
	start := time.Now()
	for i := range n {
		v, err := only(b.Check(context.Background(), preflighted))
		require.NoError(t, err)
		require.True(t, v.Preflight && v.Allowed, "check %d: %+v", i, v)
	}
	el := time.Since(start)
	t.Logf("%d preflighted checks in %v: %.1f checks/s", n, el, float64(n)/el.Seconds())
}

func TestCheckCancelIsHarnessError(t *testing.T) {
	b := needChrome(t)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	_, err := b.Check(ctx, checks.Check{Name: "slow", Page: pageOrigin,
		Steps: []checks.Step{{Request: checks.Request{URL: apiOrigin + "/slow"}}}})
	require.Error(t, err)
	assert.True(t, errors.Is(err, context.DeadlineExceeded), "%v", err)
	assert.Contains(t, err.Error(), `browsercheck: check "slow"`)

	// The tab is still usable.
	v, err := only(b.Check(context.Background(), checkFor("/simple")))
	require.NoError(t, err)
	assert.True(t, v.Allowed)
}

// A second Browser, without proxy: a page that is not served is a harness
// error, and a check that times out leaves no process and no file behind
// after Close.
func TestOwnBrowserErrorsAndClose(t *testing.T) {
	needChrome(t)
	before := snapshot(procstest.Descendants(os.Getpid())) // the shared browser's
	b, err := browsercheck.New(context.Background(), browsercheck.Config{Timeout: 300 * time.Millisecond})
	require.NoError(t, err)
	profile, dir := browsercheck.ProfileOf(b), browsercheck.TempDirOf(b)
	require.NotEmpty(t, browsercheck.ProcessesUsing(profile), "chrome runs with its profile")
	procs := snapshot(procstest.Descendants(os.Getpid()))
	for p := range before {
		delete(procs, p)
	}
	require.NotEmpty(t, procs)

	// Without the proxy the page origin is the bare upstream: 404.
	_, err = b.Check(context.Background(), checks.Check{Name: "nopage", Page: upstream.URL,
		Steps: []checks.Step{{Request: checks.Request{URL: upstream.URL + "/simple"}}}})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `browsercheck: check "nopage": load page `+upstream.URL+"/__corsvcr__/page: status 404")

	// A page served by a server that has Intercept, and a request that
	// never answers.
	pages := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if h := browsercheck.Intercept(r); h != nil {
			h.ServeHTTP(w, r)
			return
		}
		slowHandler(w, r)
	}))
	defer pages.Close()
	_, err = b.Check(context.Background(), checks.Check{Name: "slow", Page: pages.URL,
		Steps: []checks.Step{{Request: checks.Request{URL: pages.URL + "/slow"}}}})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "timeout after 300ms")

	require.NoError(t, b.Close())
	require.NoError(t, b.Close(), "second Close")
	assert.Empty(t, browsercheck.ProcessesUsing(profile))
	assert.Empty(t, procs.alive(), "processes started while the browser ran")
	_, err = os.Stat(dir)
	assert.True(t, os.IsNotExist(err), "temp dir %s: %v", dir, err)
}

func TestNewStartCancelled(t *testing.T) {
	needChrome(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := browsercheck.New(ctx, browsercheck.Config{})
	require.Error(t, err)
}

func TestVersion(t *testing.T) {
	b := needChrome(t)
	assert.Regexp(t, `^(Chromium|Chrome)[A-Za-z() ]* \d+\.\d+\.\d+\.\d+$`, b.Version())
	t.Log(b.Version())
}

func TestFindChrome(t *testing.T) {
	t.Setenv("CORSVCR_CHROME", "/nonexistent/chrome")
	_, err := browsercheck.FindChrome()
	assert.ErrorContains(t, err, `CORSVCR_CHROME="/nonexistent/chrome"`)

	t.Setenv("CORSVCR_CHROME", "")
	t.Setenv("PATH", t.TempDir())
	_, err = browsercheck.FindChrome()
	assert.EqualError(t, err, "browsercheck: no Chrome or Chromium found (set CORSVCR_CHROME or install one: sudo apt-get install chromium-headless-shell)")
}

func checkFor(path string) checks.Check {
	return checks.Check{Name: path, Page: pageOrigin, Steps: []checks.Step{{Request: checks.Request{URL: apiOrigin + path}}}}
}

func BenchmarkCheck(b *testing.B) {
	br := needChrome(b)
	for _, c := range []checks.Check{checkFor("/simple"), preflighted, checkFor("/none")} {
		b.Run(c.Name, func(b *testing.B) {
			for b.Loop() {
				if _, err := br.Check(context.Background(), c); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "checks/s")
		})
	}
}
