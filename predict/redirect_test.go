package predict_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/corsvcr/corsvcr/cassettes"
	"github.com/corsvcr/corsvcr/checks"
	"github.com/corsvcr/corsvcr/predict"
	"github.com/corsvcr/corsvcr/replay"
)

// hopServer answers every OPTIONS with a passing preflight and any other
// request from act, by URL; a URL it does not know is a miss. Its
// redirects and preflights carry ACAO echoing the request's Origin and
// ACAC true.
type hopServer struct {
	act map[string]cassettes.Response
}

func echo(req cassettes.Request, h cassettes.Headers) cassettes.Headers {
	o, _ := req.Headers.Get("Origin")
	return append(cassettes.Headers{{Name: "Access-Control-Allow-Origin", Value: o}, {Name: "Access-Control-Allow-Credentials", Value: "true"}}, h...)
}

func (s hopServer) RoundTrip(req cassettes.Request) replay.Answer {
	if req.Method == "OPTIONS" {
		return replay.Answer{Interaction: -1, Response: cassettes.Response{Status: 204, Headers: echo(req, hs("Access-Control-Allow-Methods", "PUT", "Access-Control-Allow-Headers", "x-token, authorization"))}}
	}
	r, ok := s.act[req.URL]
	if !ok {
		return replay.Answer{Interaction: -1, Miss: &replay.MissError{Method: req.Method, URL: req.URL, Closest: -1, Reason: "not served by this test server"}}
	}
	if loc, ok := r.Headers.Get("Location"); ok && r.Status/100 == 3 {
		r.Headers = echo(req, hs("Location", loc))
	}
	return replay.Answer{Interaction: -1, Response: r}
}

func redirectTo(status int, loc string) cassettes.Response {
	return cassettes.Response{Status: status, Headers: hs("Location", loc)}
}

var okStar = cassettes.Response{Status: 200, Headers: hs("Access-Control-Allow-Origin", "*", "Content-Type", "text/plain"), Body: cassettes.Body("ok")}

// hop renders a request as "METHOD URL Origin" for the tables below.
func hop(r cassettes.Request) string {
	o, ok := r.Headers.Get("Origin")
	if !ok {
		o = "-"
	}
	s := r.Method + " " + r.URL + " " + o
	if _, ok := r.Headers.Get("Authorization"); ok {
		s += " +auth"
	}
	if len(r.Body) > 0 {
		s += " +body"
	}
	return s
}

// TestRedirects: the hops Chrome sends and its verdict for redirect cases
// measured in integration/testdata/oracle/redirects (Chrome 156).
func TestRedirects(t *testing.T) {
	const a, b = "http://localhost:8000", "http://localhost:8001"
	tests := []struct {
		name      string
		req       checks.Request
		act       map[string]cassettes.Response
		hops      []string
		allowed   bool
		corsError string
		opaque    bool
		console   string // a substring of the console message
	}{
		{
			name:    "tainted origin: Origin null on the other origin",
			req:     checks.Request{URL: a + "/r"},
			act:     map[string]cassettes.Response{a + "/r": redirectTo(302, b+"/f"), b + "/f": okStar},
			hops:    []string{"GET http://localhost:8000/r " + page, "GET http://localhost:8001/f null"},
			allowed: true,
		},
		{
			name: "tainted origin fails ACAO naming the page",
			req:  checks.Request{URL: a + "/r"},
			act: map[string]cassettes.Response{a + "/r": redirectTo(302, b+"/f"),
				b + "/f": {Status: 200, Headers: hs("Access-Control-Allow-Origin", page)}},
			hops:      []string{"GET http://localhost:8000/r " + page, "GET http://localhost:8001/f null"},
			corsError: "AllowOriginMismatch",
			console:   "at 'http://localhost:8001/f' (redirected from 'http://localhost:8000/r') from origin '" + page + "'",
		},
		{
			name:    "within one origin: not tainted, relative Location",
			req:     checks.Request{URL: a + "/r"},
			act:     map[string]cassettes.Response{a + "/r": redirectTo(307, "/f"), a + "/f": okStar},
			hops:    []string{"GET http://localhost:8000/r " + page, "GET http://localhost:8000/f " + page},
			allowed: true,
		},
		{
			name: "preflight again after the redirect, with Origin null",
			req:  checks.Request{URL: a + "/r", Method: "PUT", Headers: []checks.Header{{Name: "X-Token", Value: "t"}}, Body: "x"},
			act:  map[string]cassettes.Response{a + "/r": redirectTo(307, b+"/f"), b + "/f": okStar},
			hops: []string{"OPTIONS http://localhost:8000/r " + page, "PUT http://localhost:8000/r " + page + " +body",
				"OPTIONS http://localhost:8001/f null", "PUT http://localhost:8001/f null +body"},
			allowed: true,
		},
		{
			name:    "303 turns PUT into GET without body",
			req:     checks.Request{URL: a + "/r", Method: "PUT", Body: "x"},
			act:     map[string]cassettes.Response{a + "/r": redirectTo(303, b+"/f"), b + "/f": okStar},
			hops:    []string{"OPTIONS http://localhost:8000/r " + page, "PUT http://localhost:8000/r " + page + " +body", "GET http://localhost:8001/f null"},
			allowed: true,
		},
		{
			name:    "Authorization dropped across origins",
			req:     checks.Request{URL: a + "/r", Headers: []checks.Header{{Name: "Authorization", Value: "Bearer x"}}},
			act:     map[string]cassettes.Response{a + "/r": redirectTo(307, b+"/f"), b + "/f": okStar},
			hops:    []string{"OPTIONS http://localhost:8000/r " + page, "GET http://localhost:8000/r " + page + " +auth", "GET http://localhost:8001/f null"},
			allowed: true,
		},
		{
			name:      "credentials in the Location",
			req:       checks.Request{URL: a + "/r", Redirect: "error"},
			act:       map[string]cassettes.Response{a + "/r": redirectTo(302, "http://u:p@localhost:8001/f")},
			hops:      []string{"GET http://localhost:8000/r " + page},
			corsError: "RedirectContainsCredentials",
			console:   "Redirect location '' contains a username and password",
		},
		{
			name: "redirect mode error",
			req:  checks.Request{URL: a + "/r", Redirect: "error"},
			act:  map[string]cassettes.Response{a + "/r": redirectTo(302, b+"/f")},
			hops: []string{"GET http://localhost:8000/r " + page},
		},
		{
			name:    "redirect mode manual: opaque redirect",
			req:     checks.Request{URL: a + "/r", Redirect: "manual"},
			act:     map[string]cassettes.Response{a + "/r": redirectTo(302, b+"/f")},
			hops:    []string{"GET http://localhost:8000/r " + page},
			allowed: true, opaque: true,
		},
		{
			name:      "no-cors with redirect mode manual: no request",
			req:       checks.Request{URL: a + "/r", Mode: "no-cors", Redirect: "manual"},
			corsError: "NoCorsRedirectModeNotFollow",
			console:   `Request mode is "no-cors" but the redirect mode is not "follow".`,
		},
		{
			name:    "no-cors POST: net/ turns Origin into null",
			req:     checks.Request{URL: page + "/r", Method: "POST", Body: "x", Mode: "no-cors"},
			act:     map[string]cassettes.Response{page + "/r": redirectTo(307, a+"/f"), a + "/f": okStar},
			hops:    []string{"POST http://localhost:8080/r " + page + " +body", "POST http://localhost:8000/f null +body"},
			allowed: true, opaque: true,
		},
		{
			name: "mode same-origin redirected away: network error, no CORS error",
			req:  checks.Request{URL: page + "/r", Mode: "same-origin"},
			act:  map[string]cassettes.Response{page + "/r": redirectTo(302, a+"/f")},
			hops: []string{"GET http://localhost:8080/r -"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res := predict.Predict(one(tt.req), hopServer{act: tt.act})
			require.Len(t, res.Steps, 1)
			st := res.Steps[0]
			var got []string
			for _, h := range st.Hops {
				got = append(got, hop(h.Request))
			}
			assert.Equal(t, tt.hops, got, "hops")
			assert.False(t, st.Miss, "miss: %s", st.Rule)
			assert.Empty(t, st.Unsupported)
			v := res.Verdicts().Last()
			assert.Equal(t, tt.allowed, v.Allowed, "allowed (rule: %s)", st.Rule)
			assert.Equal(t, tt.corsError, v.CorsError)
			assert.Equal(t, tt.opaque, v.Opaque)
			if tt.console != "" {
				assert.Contains(t, v.Console, tt.console)
			}
			if !v.Allowed {
				assert.NotEmpty(t, st.Rule)
			}
		})
	}
}

// TestRedirectLimit: 20 redirects are followed, the 21st is a network error
// without a CORS error.
func TestRedirectLimit(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name    string
		n       int
		allowed bool
	}{{name: "twenty", n: 20, allowed: true}, {name: "twenty-one", n: 21}} {
		t.Run(tt.name, func(t *testing.T) {
			act := map[string]cassettes.Response{"http://localhost:8000/0": okStar}
			for i := 1; i <= tt.n; i++ {
				act["http://localhost:8000/"+strconv.Itoa(i)] = redirectTo(302, "/"+strconv.Itoa(i-1))
			}
			res := predict.Predict(one(checks.Request{URL: "http://localhost:8000/" + strconv.Itoa(tt.n)}), hopServer{act: act})
			st := res.Steps[0]
			assert.Equal(t, tt.allowed, st.Verdict.Allowed, st.Rule)
			assert.Empty(t, st.Verdict.CorsError)
			assert.Len(t, st.Hops, min(tt.n+1, 21))
			if !tt.allowed {
				assert.True(t, strings.Contains(st.Rule, "20 redirects"), st.Rule)
			}
		})
	}
}
