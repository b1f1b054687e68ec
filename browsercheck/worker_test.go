package browsercheck_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/corsvcr/corsvcr/browsercheck"
	"github.com/corsvcr/corsvcr/checks"
)

// gate holds requests to /w/gate until released: a check parked in the
// middle of its steps while another worker runs checks.
var gate = struct {
	hit     chan struct{}
	release chan struct{}
}{hit: make(chan struct{}, 16), release: make(chan struct{})}

// workerRoutes adds the routes of the worker tests to the API: a login, a
// whoami (200 with the login's cookie, else 401), a preflighted PUT whose
// preflight Chrome may cache for 600 s, an HTTP-cacheable GET and the gate.
func workerRoutes(mux *http.ServeMux) {
	const cookie = "corsvcr_wsid"
	cors := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Access-Control-Allow-Origin", r.Header.Get("Origin"))
		w.Header().Set("Access-Control-Allow-Credentials", "true")
	}
	mux.HandleFunc("/w/login", func(w http.ResponseWriter, r *http.Request) {
		cors(w, r)
		http.SetCookie(w, &http.Cookie{Name: cookie, Value: "w1", Path: "/", SameSite: http.SameSiteLaxMode})
	})
	mux.HandleFunc("/w/whoami", func(w http.ResponseWriter, r *http.Request) {
		cors(w, r)
		if _, err := r.Cookie(cookie); err != nil {
			w.WriteHeader(http.StatusUnauthorized)
		}
	})
	mux.HandleFunc("/w/put", func(w http.ResponseWriter, r *http.Request) {
		cors(w, r)
		if r.Method == http.MethodOptions {
			w.Header().Set("Access-Control-Allow-Methods", "PUT")
			w.Header().Set("Access-Control-Max-Age", "600")
			w.WriteHeader(http.StatusNoContent)
		}
	})
	mux.HandleFunc("/w/cached", func(w http.ResponseWriter, r *http.Request) {
		cors(w, r)
		w.Header().Set("Cache-Control", "max-age=600")
		w.Write([]byte("cached"))
	})
	mux.HandleFunc("/w/gate", func(w http.ResponseWriter, r *http.Request) {
		cors(w, r)
		gate.hit <- struct{}{}
		select {
		case <-gate.release:
		case <-r.Context().Done():
		}
	})
}

var (
	wLogin  = checks.Step{Request: checks.Request{URL: apiOrigin + "/w/login", Method: "POST", Credentials: "include"}}
	wWhoami = checks.Step{Request: checks.Request{URL: apiOrigin + "/w/whoami", Credentials: "include"}}
	wPut    = checks.Step{Request: checks.Request{URL: apiOrigin + "/w/put", Method: "PUT", Body: "x", Credentials: "include"}}
	wCached = checks.Step{Request: checks.Request{URL: apiOrigin + "/w/cached", Credentials: "include"}}
	wGate   = checks.Step{Request: checks.Request{URL: apiOrigin + "/w/gate", Credentials: "include"}}
)

// newWorkersBrowser starts a Browser with n workers behind the shared proxy
// and checks at the end of the test that Close leaves nothing behind.
func newWorkersBrowser(t *testing.T, n int) *browsercheck.Browser {
	t.Helper()
	needChrome(t)
	b, err := browsercheck.New(context.Background(), browsercheck.Config{Proxy: proxy.URL, Timeout: 10 * time.Second, Workers: n})
	require.NoError(t, err)
	profile, dir := browsercheck.ProfileOf(b), browsercheck.TempDirOf(b)
	t.Cleanup(func() {
		require.NoError(t, b.Close())
		assert.Empty(t, browsercheck.ProcessesUsing(profile))
		_, err := os.Stat(dir)
		assert.True(t, os.IsNotExist(err), "temp dir %s: %v", dir, err)
	})
	require.Equal(t, n, b.Workers())
	return b
}

// Every check starts with no cookie, no preflight cache and no HTTP cache,
// whichever worker runs it and whatever that worker ran before: the checks
// run four at a time on two workers, so most of them reuse a worker (and
// its page) that an identical check used before.
func TestWorkersIsolateChecks(t *testing.T) {
	b := newWorkersBrowser(t, 2)
	c := checks.Check{Name: "isolated", Page: pageOrigin, Steps: []checks.Step{wWhoami, wLogin, wWhoami, wPut, wCached}}
	const goroutines, each = 4, 3
	beforePre, beforeGet := upstream.count("OPTIONS /w/put"), upstream.count("GET /w/cached")
	var wg sync.WaitGroup
	errs := make(chan error, goroutines*each)
	for range goroutines {
		wg.Go(func() {
			for range each {
				vs, err := b.Check(context.Background(), c)
				if err != nil {
					errs <- err
					continue
				}
				if vs[0].Status != http.StatusUnauthorized || vs[2].Status != http.StatusOK || vs[3].Preflights != 1 {
					errs <- fmt.Errorf("state carried over: whoami %d, whoami after login %d, preflights %d",
						vs[0].Status, vs[2].Status, vs[3].Preflights)
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		assert.NoError(t, err)
	}
	assert.Equal(t, goroutines*each, upstream.count("OPTIONS /w/put")-beforePre, "preflights the server saw")
	assert.Equal(t, goroutines*each, upstream.count("GET /w/cached")-beforeGet, "cacheable GETs the server saw (none from the HTTP cache)")

	pages, contexts, err := browsercheck.Targets(b)
	require.NoError(t, err)
	assert.Equal(t, 2, b.OpenWorkers())
	assert.Equal(t, 2, pages, "tabs besides the first: one per worker, however many checks ran")
	assert.Equal(t, 2, contexts, "browser contexts: one per worker")
}

// Workers share no state: a check that clears its worker's cookies and
// caches while another check is parked between its steps leaves that
// check's cookie, preflight cache and HTTP cache alone, and sees none of
// them.
func TestWorkersShareNoState(t *testing.T) {
	b := newWorkersBrowser(t, 2)
	parked := checks.Check{Name: "parked", Page: pageOrigin, Steps: []checks.Step{wLogin, wPut, wCached, wGate, wWhoami, wPut, wCached}}
	other := checks.Check{Name: "other", Page: pageOrigin, Steps: []checks.Step{wWhoami, wPut, wCached}}
	beforeGet := upstream.count("GET /w/cached")

	type result struct {
		vs  checks.Verdicts
		err error
	}
	done := make(chan result, 1)
	go func() {
		vs, err := b.Check(context.Background(), parked)
		done <- result{vs, err}
	}()
	select {
	case <-gate.hit:
	case r := <-done:
		t.Fatalf("parked check ended before the gate: %v", r.err)
	}
	vs, err := b.Check(context.Background(), other)
	gate.release <- struct{}{}
	require.NoError(t, err)
	assert.Equal(t, http.StatusUnauthorized, vs[0].Status, "other worker: no cookie of the parked check")
	assert.Equal(t, 1, vs[1].Preflights, "other worker: no preflight cached by the parked check")

	r := <-done
	require.NoError(t, r.err)
	require.Len(t, r.vs, 7)
	assert.Equal(t, http.StatusOK, r.vs[4].Status, "parked check: its cookie survived the other worker's clearing")
	assert.Equal(t, 0, r.vs[5].Preflights, "parked check: its cached preflight survived the other worker's clearing")
	assert.Equal(t, 2, upstream.count("GET /w/cached")-beforeGet, "one GET per check: the parked check's second came from its HTTP cache")
}

// Check returns when its context ends while it waits for a busy worker.
func TestWorkersWaitCancelled(t *testing.T) {
	b := newWorkersBrowser(t, 1)
	done := make(chan error, 1)
	go func() {
		_, err := b.Check(context.Background(), checks.Check{Name: "parked", Page: pageOrigin, Steps: []checks.Step{wGate}})
		done <- err
	}()
	<-gate.hit
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := b.Check(ctx, checkFor("/simple"))
	assert.ErrorIs(t, err, context.Canceled)
	gate.release <- struct{}{}
	require.NoError(t, <-done)
}

// CheckLane clears the HTTP and preflight caches before a check only when
// its worker ran a check of the same lane, or one without a lane, since it
// last cleared them; cookies before every check. A check of another lane
// finds the caches as they are: which is why lanes must never share a URL.
func TestCheckLaneClearsPerLane(t *testing.T) {
	b := newWorkersBrowser(t, 1)
	ctx := context.Background()
	cached := checks.Check{Name: "cached", Page: pageOrigin, Steps: []checks.Step{wCached, wPut}}
	gets := func() int { return upstream.count("GET /w/cached") }
	pres := func() int { return upstream.count("OPTIONS /w/put") }
	run := func(c checks.Check, lane string) checks.Verdicts {
		t.Helper()
		vs, err := b.CheckLane(ctx, c, lane)
		require.NoError(t, err)
		return vs
	}

	g, p := gets(), pres()
	run(cached, "a")
	run(cached, "a")
	assert.Equal(t, 2, gets()-g, "same lane: the HTTP cache was cleared")
	assert.Equal(t, 2, pres()-p, "same lane: the preflight cache was cleared")

	g, p = gets(), pres()
	vs := run(cached, "b")
	assert.Equal(t, 0, gets()-g, "another lane: nothing cleared (its URLs are its own)")
	assert.Equal(t, 0, pres()-p)
	assert.Equal(t, 0, vs[1].Preflights)

	g = gets()
	_, err := b.Check(ctx, cached)
	require.NoError(t, err)
	assert.Equal(t, 1, gets()-g, "no lane: everything cleared")
	g = gets()
	run(cached, "c")
	assert.Equal(t, 1, gets()-g, "after a check without a lane: everything cleared")

	run(checks.Check{Name: "login", Page: pageOrigin, Steps: []checks.Step{wLogin}}, "x")
	vs = run(checks.Check{Name: "whoami", Page: pageOrigin, Steps: []checks.Step{wWhoami}}, "y")
	assert.Equal(t, http.StatusUnauthorized, vs[0].Status, "cookies are cleared before every check")
}
