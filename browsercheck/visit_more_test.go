package browsercheck_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/corsvcr/corsvcr/browsercheck"
	"github.com/corsvcr/corsvcr/checks"
)

// The verdicts of a page visit come in the order the page made its
// requests, also when many start at once and DevTools events of later
// requests (requestWillBeSentExtraInfo, responses) arrive before the
// requestWillBeSent of earlier ones.
func TestVisitOrderOfConcurrentRequests(t *testing.T) {
	b := needChrome(t)
	const n = 8
	page := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprintf(w, `<!doctype html><script>
for (let i = 0; i < %d; i++) {
  Promise.all([1, 2, 3].map(() => fetch("http://localhost:9103/same").catch(() => {})));
  const x = new XMLHttpRequest(); x.open("GET", "http://localhost:9103/r?i=" + i); x.send();
}
</script>`, n)
	}))
	t.Cleanup(page.Close)
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Access-Control-Allow-Origin", "*")
		w.Write([]byte("ok"))
	}))
	t.Cleanup(api.Close)
	proxy.Map("localhost:5183", page.URL)
	proxy.Map("localhost:9103", api.URL)

	var want []string
	for i := range n {
		want = append(want, "GET http://localhost:9103/same", "GET http://localhost:9103/same", "GET http://localhost:9103/same")
		want = append(want, fmt.Sprintf("GET http://localhost:9103/r?i=%d", i))
	}
	for range 5 {
		vs, err := b.Check(context.Background(), checks.Check{Name: "order", Visit: &checks.Visit{URL: "http://localhost:5183/", Idle: 200 * time.Millisecond}})
		require.NoError(t, err)
		var got []string
		for _, v := range vs {
			got = append(got, v.Method+" "+v.URL)
		}
		require.Equal(t, want, got)
	}
}

// A page whose server is down fails the visit with Chrome's net error for
// the page, without Chrome's own output (its stderr noise says nothing
// about the page).
func TestVisitPageDown(t *testing.T) {
	b := needChrome(t)
	down := httptest.NewServer(http.NotFoundHandler())
	down.Close()
	proxy.Map("localhost:5184", down.URL)
	_, err := b.Check(context.Background(), checks.Check{Name: "down", Visit: &checks.Visit{URL: "http://localhost:5184/"}})
	require.Error(t, err)
	require.ErrorIs(t, err, chromedp.ErrPageLoad)
	assert.Contains(t, err.Error(), `browsercheck: check "down": load page http://localhost:5184/: page load error net::`)
	assert.NotContains(t, err.Error(), "chrome output")
}

// A request the check lists that the page makes on a timer, after it
// settled (offline, the replay answers at once and the page settles sooner
// than it did live): the visit waits for it instead of reporting it never
// made. A listed request that never comes is a mismatch once the visit's
// time is up, not an error.
func TestVisitWaitsForListedRequests(t *testing.T) {
	b := needChrome(t)
	page := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.Write([]byte(`<!doctype html><script>
fetch("http://localhost:9105/first").catch(() => {});
setTimeout(() => fetch("http://localhost:9105/late").catch(() => {}), 1500);
</script>`))
	}))
	t.Cleanup(page.Close)
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Access-Control-Allow-Origin", "*")
		w.Write([]byte("ok"))
	}))
	t.Cleanup(api.Close)
	proxy.Map("localhost:5185", page.URL)
	proxy.Map("localhost:9105", api.URL)

	c := checks.Check{Name: "late", Visit: &checks.Visit{URL: "http://localhost:5185/", Idle: 100 * time.Millisecond},
		Requests: []checks.PageRequest{
			{Method: "GET", URL: "http://localhost:9105/first"},
			{Method: "GET", URL: "http://localhost:9105/late"},
		}}
	vs, err := b.Check(context.Background(), c)
	require.NoError(t, err)
	assert.Empty(t, c.Mismatches(vs), "verdicts: %+v", vs)

	// Without a list, nothing is waited for beyond the idle time.
	c.Requests = nil
	vs, err = b.Check(context.Background(), c)
	require.NoError(t, err)
	require.Len(t, vs, 1)
	assert.Equal(t, "http://localhost:9105/first", vs[0].URL)
}

// A request the check lists that the page never makes is reported as never
// made when the visit's time is up: a mismatch, not an error.
func TestVisitListedRequestNeverMade(t *testing.T) {
	b := needChrome(t)
	page := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.Write([]byte(`<!doctype html><p>no requests</p>`))
	}))
	t.Cleanup(page.Close)
	proxy.Map("localhost:5186", page.URL)
	c := checks.Check{Name: "never", Visit: &checks.Visit{URL: "http://localhost:5186/", Idle: 100 * time.Millisecond},
		Requests: []checks.PageRequest{{Method: "DELETE", URL: "http://localhost:9106/gone"}}}
	t.Cleanup(browsercheck.SetTimeout(b, 2*time.Second))
	vs, err := b.Check(context.Background(), c)
	require.NoError(t, err)
	assert.Empty(t, vs)
	assert.Equal(t, []checks.Mismatch{{Field: "request", Want: "DELETE http://localhost:9106/gone (requests entry 1)", Got: "never made"}}, c.Mismatches(vs))
}

// after_load may use a top-level await, as in the DevTools console: the
// awaited request is made and its verdict reported.
func TestVisitAfterLoadTopLevelAwait(t *testing.T) {
	b := needChrome(t)
	visitServers(t)
	vs, err := b.Check(context.Background(), checks.Check{Name: "await", Visit: &checks.Visit{URL: "http://localhost:5173/", Idle: 100 * time.Millisecond,
		AfterLoad: `const r = await fetch("http://localhost:9100/ok?awaited=1"); await r.text();`}})
	require.NoError(t, err)
	require.NotEmpty(t, vs)
	last := vs[len(vs)-1]
	assert.Equal(t, "http://localhost:9100/ok?awaited=1", last.URL)
	assert.True(t, last.Allowed)
}
