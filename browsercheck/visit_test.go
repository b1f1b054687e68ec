package browsercheck_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/corsvcr/corsvcr/browsercheck"
	"github.com/corsvcr/corsvcr/checks"
)

// The page of the visit tests, at http://localhost:5173 (through the proxy,
// like any page), calling the API of visitAPI at http://localhost:9100.
const visitPage = `<!doctype html><html><head><meta charset="utf-8">
<script src="/app.js"></script></head><body><img src="/logo.png">page</body></html>`

// visitScript makes, in order: an allowed GET; a preflighted JSON POST
// that is allowed; a GET Chrome blocks (no Access-Control-Allow-Origin);
// an XHR; a same-origin fetch (not a CORS request: no verdict); and, once
// the first GET has resolved, a chained GET. window.more() makes a PUT
// whose preflight does not allow its header.
const visitScript = `
fetch("http://localhost:9100/ok").then(r => r.text()).then(() => fetch("http://localhost:9100/ok?chained=1"));
fetch("http://localhost:9100/ok", {method: "POST", headers: {"Content-Type": "application/json"}, body: "{}"});
fetch("http://localhost:9100/closed").catch(() => {});
const x = new XMLHttpRequest(); x.open("GET", "http://localhost:9100/ok?xhr=1"); x.send();
fetch("/same-origin.json");
window.more = () => fetch("http://localhost:9100/ok", {method: "PUT", headers: {"X-Token": "1"}}).catch(() => "blocked");
`

func visitServers(t *testing.T) {
	t.Helper()
	page := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		switch r.URL.Path {
		case "/":
			w.Header().Set("Content-Type", "text/html")
			w.Write([]byte(visitPage))
		case "/app.js":
			w.Header().Set("Content-Type", "text/javascript")
			w.Write([]byte(visitScript))
		case "/same-origin.json":
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte("{}"))
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(page.Close)
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/ok" {
			w.Header().Set("Access-Control-Allow-Origin", "http://localhost:5173")
			if r.Method == http.MethodOptions {
				w.Header().Set("Access-Control-Allow-Methods", "POST, PUT")
				w.Header().Set("Access-Control-Allow-Headers", "Content-Type")
				w.WriteHeader(http.StatusNoContent)
				return
			}
		}
		w.Write([]byte("ok"))
	}))
	t.Cleanup(api.Close)
	proxy.Map("localhost:5173", page.URL)
	proxy.Map("localhost:9100", api.URL)
}

func TestVisit(t *testing.T) {
	b := needChrome(t)
	visitServers(t)
	ctx := context.Background()
	vs, err := b.Check(ctx, checks.Check{Name: "home", Visit: &checks.Visit{URL: "http://localhost:5173/", Idle: 300 * time.Millisecond, AfterLoad: "window.more()"}})
	require.NoError(t, err)
	type got struct {
		Method, URL string
		Allowed     bool
		CorsError   string
		Param       string
		Preflights  int
		Status      int
	}
	var out []got
	for _, v := range vs {
		out = append(out, got{v.Method, v.URL, v.Allowed, v.CorsError, v.FailedParameter, v.Preflights, v.Status})
		assert.Equal(t, v.Preflights > 0, v.Preflight)
		if v.CorsError != "" {
			assert.Contains(t, v.Console, "has been blocked by CORS policy", "console of %s %s", v.Method, v.URL)
		}
	}
	// The order of requests started at once is the page's; the chained GET
	// comes after the first GET's response, and the PUT after load.
	want := []got{
		{"GET", "http://localhost:9100/ok", true, "", "", 0, 200},
		{"POST", "http://localhost:9100/ok", true, "", "", 1, 200},
		{"GET", "http://localhost:9100/closed", false, "MissingAllowOriginHeader", "", 0, 0},
		{"GET", "http://localhost:9100/ok?xhr=1", true, "", "", 0, 200},
		{"GET", "http://localhost:9100/ok?chained=1", true, "", "", 0, 200},
		{"PUT", "http://localhost:9100/ok", false, "HeaderDisallowedByPreflightResponse", "x-token", 1, 0},
	}
	assert.Equal(t, want, out, "in the order the page made them; the after_load request comes last")

	// The verdicts meet the expectations written from them.
	c := checks.Check{Name: "home", Visit: &checks.Visit{URL: "http://localhost:5173/"}, Requests: checks.ExpectVerdicts(vs)}
	assert.Empty(t, c.Mismatches(vs))
}

func TestVisitHarnessErrors(t *testing.T) {
	b := needChrome(t)
	visitServers(t)
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		v    checks.Visit
		want string
	}{
		{"script throws", checks.Visit{URL: "http://localhost:5173/", AfterLoad: `throw new Error("boom")`}, "after_load script"},
		{"script rejects", checks.Visit{URL: "http://localhost:5173/", AfterLoad: `Promise.reject(new Error("boom"))`}, "boom"},
		{"top-level await rejects", checks.Visit{URL: "http://localhost:5173/", AfterLoad: `await Promise.reject(new Error("awaited boom"))`}, "awaited boom"},
		{"late rejection", checks.Visit{URL: "http://localhost:5173/", AfterLoad: `new Promise((_, reject) => setTimeout(() => reject(new Error("late boom")), 50))`}, "late boom"},
		{"page not found", checks.Visit{URL: "http://localhost:5173/missing"}, "status 404"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := b.Check(ctx, checks.Check{Name: "x", Visit: &tc.v})
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
	// An invalid visit is refused before Chrome is asked.
	_, err := b.Check(ctx, checks.Check{Name: "x", Visit: &checks.Visit{URL: "localhost:5173/"}})
	require.ErrorContains(t, err, "invalid check")
}

// Each visit runs in a browser context of its own, disposed after it: a
// cookie the page got in one visit is not sent in the next, no context is
// left behind (also when the visit is cancelled), and the checks of the
// shared tab run as before.
func TestVisitIsolated(t *testing.T) {
	b := needChrome(t)
	var mu sync.Mutex
	var cookies []string
	hanging := make(chan struct{}, 1)
	page := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/hang" {
			// A request that never ends: the visit waiting for the page
			// to settle is cancelled meanwhile.
			hanging <- struct{}{}
			<-r.Context().Done()
			return
		}
		if r.URL.Path == "/hanging-page" {
			w.Header().Set("Content-Type", "text/html")
			w.Write([]byte(`<!doctype html><script>fetch("/hang")</script>`))
			return
		}
		mu.Lock()
		cookies = append(cookies, r.Header.Get("Cookie"))
		mu.Unlock()
		http.SetCookie(w, &http.Cookie{Name: "visited", Value: "1", Path: "/"})
		w.Header().Set("Content-Type", "text/html")
		w.Write([]byte("<!doctype html><p>cookie page</p>"))
	}))
	t.Cleanup(page.Close)
	proxy.Map("localhost:5174", page.URL)

	before, err := browsercheck.BrowserContextsOf(b)
	require.NoError(t, err)
	c := checks.Check{Name: "cookie", Visit: &checks.Visit{URL: "http://localhost:5174/", Idle: 100 * time.Millisecond}}
	for range 2 {
		vs, err := b.Check(context.Background(), c)
		require.NoError(t, err)
		assert.Empty(t, vs)
	}
	mu.Lock()
	assert.Equal(t, []string{"", ""}, cookies, "the second visit starts without the first one's cookie")
	mu.Unlock()

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = b.Check(ctx, c)
	require.ErrorIs(t, err, context.Canceled)

	ctx, cancel = context.WithCancel(context.Background())
	go func() {
		<-hanging
		cancel()
	}()
	_, err = b.Check(ctx, checks.Check{Name: "hang", Visit: &checks.Visit{URL: "http://localhost:5174/hanging-page"}})
	require.ErrorIs(t, err, context.Canceled)

	after, err := browsercheck.BrowserContextsOf(b)
	require.NoError(t, err)
	assert.ElementsMatch(t, before, after, "every visit's browser context is disposed of")

	v, err := only(b.Check(context.Background(), checks.Check{Page: pageOrigin, Steps: []checks.Step{{Request: checks.Request{URL: apiOrigin + "/simple"}}}}))
	require.NoError(t, err)
	assert.True(t, v.Allowed, "a check of the shared tab after visits: %+v", v)
}
