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
