package browsercheck_test

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/corsvcr/corsvcr/checks"
)

// sessionCookie is what /login sets. Page (localhost:8080) and API
// (localhost:8000) are different origins of one site, so a SameSite=Lax
// cookie goes with credentialed fetches over http.
const sessionCookie = "corsvcr_sid"

// seen records, per "METHOD /path", the Cookie and Cache-Control headers of
// the last request and how many requests carried the session cookie.
var seen = struct {
	sync.Mutex
	cookie       map[string]int
	cacheControl map[string]string
}{cookie: map[string]int{}, cacheControl: map[string]string{}}

func cookieCount(key string) int {
	seen.Lock()
	defer seen.Unlock()
	return seen.cookie[key]
}

// stepRoutes adds the routes of the multi-step tests to the API.
func stepRoutes(mux *http.ServeMux) {
	handle := func(path string, f func(w http.ResponseWriter, r *http.Request)) {
		mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
			key := r.Method + " " + r.URL.Path
			seen.Lock()
			if _, err := r.Cookie(sessionCookie); err == nil {
				seen.cookie[key]++
			}
			seen.cacheControl[key] = r.Header.Get("Cache-Control")
			seen.Unlock()
			w.Header().Set("Access-Control-Allow-Origin", r.Header.Get("Origin"))
			f(w, r)
		})
	}
	creds := func(w http.ResponseWriter) { w.Header().Set("Access-Control-Allow-Credentials", "true") }
	// whoami answers 200 to a request with the session cookie, else 401.
	whoami := func(w http.ResponseWriter, r *http.Request) {
		if _, err := r.Cookie(sessionCookie); err != nil {
			w.WriteHeader(http.StatusUnauthorized)
		}
	}
	handle("/login", func(w http.ResponseWriter, r *http.Request) {
		creds(w)
		http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "s1", Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode})
	})
	handle("/whoami", func(w http.ResponseWriter, r *http.Request) { creds(w); whoami(w, r) })
	handle("/whoami-nocreds", whoami) // no Access-Control-Allow-Credentials
	handle("/maxage1", func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodOptions {
			w.Header().Set("Access-Control-Allow-Headers", "Content-Type")
			w.Header().Set("Access-Control-Max-Age", "1")
			w.WriteHeader(http.StatusNoContent)
		}
	})
	handle("/cachemode", func(w http.ResponseWriter, r *http.Request) {})
}

func step(req checks.Request, e checks.Expect) checks.Step {
	return checks.Step{Request: req, Expect: e}
}

// runSteps runs a check of steps and asserts every step's expectations.
func runSteps(t *testing.T, name string, steps ...checks.Step) checks.Verdict {
	t.Helper()
	c := checks.Check{Name: name, Page: pageOrigin, Steps: steps}
	vs, err := needChrome(t).Check(context.Background(), c)
	require.NoError(t, err)
	require.Len(t, vs, len(steps), "a verdict per step")
	for _, m := range c.Mismatches(vs) {
		t.Errorf("%s: %s; verdicts: %+v", name, m, vs)
	}
	return vs.Last()
}

// A login step sets a cookie; the next steps of the check send it when
// their credentials mode includes it, also to an endpoint whose response
// Chrome then blocks for the missing Access-Control-Allow-Credentials.
func TestStepsShareCookies(t *testing.T) {
	inc := func(path string) checks.Request {
		return checks.Request{URL: apiOrigin + path, Credentials: "include"}
	}
	before := cookieCount("GET /whoami-nocreds")
	runSteps(t, "login",
		step(inc("/login"), checks.Expect{Allowed: ptr(true), Status: ptr(200)}),
		step(inc("/whoami"), checks.Expect{Allowed: ptr(true), Status: ptr(200)}),
		step(inc("/whoami-nocreds"), checks.Expect{Allowed: ptr(false), CorsError: ptr("InvalidAllowCredentials"), FailedParameter: ptr("")}),
		// Cross-origin "same-origin" credentials send no cookie.
		step(checks.Request{URL: apiOrigin + "/whoami"}, checks.Expect{Allowed: ptr(true), Status: ptr(401)}),
	)
	assert.Equal(t, 1, cookieCount("GET /whoami-nocreds")-before, "the blocked request carried the cookie")
}

// Cookies never leak from one check into the next, and the preflight cache
// does not either.
func TestChecksDoNotShareCookies(t *testing.T) {
	inc := checks.Request{URL: apiOrigin + "/whoami", Credentials: "include"}
	runSteps(t, "without login", step(inc, checks.Expect{Allowed: ptr(true), Status: ptr(401)}))
	runSteps(t, "login",
		step(checks.Request{URL: apiOrigin + "/login", Credentials: "include"}, checks.Expect{Allowed: ptr(true)}),
		step(inc, checks.Expect{Allowed: ptr(true), Status: ptr(200)}),
	)
	runSteps(t, "after another check's login", step(inc, checks.Expect{Allowed: ptr(true), Status: ptr(401)}))
}

// A preflight cached by a step (Max-Age 600) spares the next identical
// request its preflight; the next check starts without it.
func TestStepsSharePreflightCache(t *testing.T) {
	post := preflighted.Steps[0].Request
	before := upstream.count("OPTIONS /json")
	for range 2 {
		v := runSteps(t, "cached",
			step(post, checks.Expect{Allowed: ptr(true), Preflight: ptr(true), Preflights: ptr(1)}),
			step(post, checks.Expect{Allowed: ptr(true), Preflight: ptr(false), Preflights: ptr(0)}),
		)
		assert.Equal(t, 0, v.Preflights, "the last step's")
	}
	assert.Equal(t, 2, upstream.count("OPTIONS /json")-before, "preflights seen by the server")
}

// Step.Wait lets a Max-Age 1 preflight cache entry expire: the request
// after the wait needs a new preflight. The wait is the scenario under test.
func TestStepWaitExpiresPreflight(t *testing.T) {
	post := checks.Request{URL: apiOrigin + "/maxage1", Method: "POST", Headers: jsonHeaders, Body: "{}"}
	start := time.Now()
	runSteps(t, "max-age 1",
		step(post, checks.Expect{Allowed: ptr(true), Preflights: ptr(1)}),
		step(post, checks.Expect{Allowed: ptr(true), Preflights: ptr(0)}),
		checks.Step{Wait: 1200 * time.Millisecond, Request: post, Expect: checks.Expect{Allowed: ptr(true), Preflights: ptr(1)}},
	)
	assert.GreaterOrEqual(t, time.Since(start), 1200*time.Millisecond, "waited")
}

// The fetch cache mode reaches Chrome: no-store sends Cache-Control:
// no-cache, default sends none.
func TestStepCacheMode(t *testing.T) {
	for _, tc := range []struct{ name, cache, want string }{
		{name: "default", cache: "", want: ""},
		{name: "no-store", cache: "no-store", want: "no-cache"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			runSteps(t, tc.name, step(checks.Request{URL: apiOrigin + "/cachemode", Cache: checks.Cache(tc.cache)}, checks.Expect{Allowed: ptr(true), Status: ptr(200)}))
			seen.Lock()
			defer seen.Unlock()
			assert.Equal(t, tc.want, seen.cacheControl["GET /cachemode"])
		})
	}
}

func TestStepErrors(t *testing.T) {
	b := needChrome(t)
	_, err := b.Check(context.Background(), checks.Check{Name: "empty", Page: pageOrigin})
	assert.EqualError(t, err, `browsercheck: invalid check: checks: check "empty": steps: empty list`)
	var fe *checks.FieldError
	assert.ErrorAs(t, err, &fe, "an invalid check is a usage error, not a verdict")

	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	_, err = b.Check(ctx, checks.Check{Name: "slow second", Page: pageOrigin, Steps: []checks.Step{
		{Request: checks.Request{URL: apiOrigin + "/simple"}},
		{Request: checks.Request{URL: apiOrigin + "/slow"}},
	}})
	require.Error(t, err)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Contains(t, err.Error(), `browsercheck: check "slow second": step 2: `)

	ctx, cancel = context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = b.Check(ctx, checks.Check{Name: "long wait", Page: pageOrigin, Steps: []checks.Step{
		{Request: checks.Request{URL: apiOrigin + "/simple"}},
		{Wait: time.Minute, Request: checks.Request{URL: apiOrigin + "/simple"}},
	}})
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Contains(t, err.Error(), `browsercheck: check "long wait": step 2: wait 1m0s: `)
	assert.Less(t, time.Since(start), 10*time.Second, "a wait ends with the context")
}
