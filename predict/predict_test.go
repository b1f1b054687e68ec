package predict_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/corsvcr/corsvcr/cassettes"
	"github.com/corsvcr/corsvcr/checks"
	"github.com/corsvcr/corsvcr/predict"
	"github.com/corsvcr/corsvcr/replay"
)

const (
	page = "http://localhost:8080"
	api  = "http://localhost:8000/items"
)

// fixed answers every preflight with pre and every other request with act.
type fixed struct {
	pre, act cassettes.Response
	sent     []cassettes.Request
}

func (f *fixed) RoundTrip(req cassettes.Request) replay.Answer {
	f.sent = append(f.sent, req)
	if cassettes.Classify(req.Method, req.Headers) == cassettes.KindPreflight {
		return replay.Answer{Interaction: -1, Response: f.pre}
	}
	return replay.Answer{Interaction: -1, Response: f.act}
}

func hs(kv ...string) cassettes.Headers {
	var out cassettes.Headers
	for i := 0; i+1 < len(kv); i += 2 {
		out = append(out, cassettes.Header{Name: kv[i], Value: kv[i+1]})
	}
	return out
}

func one(r checks.Request) checks.Check {
	return checks.Check{Name: "t", Page: page, Steps: []checks.Step{{Request: r}}}
}

// Each case states Chrome 156's verdict (measured by TestGenerated and the
// golden corpus) on one small exchange.
var cases = []struct {
	name      string
	req       checks.Request
	pre, act  cassettes.Headers
	preStatus int
	wantError string
	wantParam string
	preflight bool
	acrh      string // the Access-Control-Request-Headers Chrome sends
	readable  []string
}{
	{name: "simple GET allowed", req: checks.Request{URL: api}, act: hs("Access-Control-Allow-Origin", "*", "X-Total-Count", "2"),
		readable: []string{}},
	{name: "missing ACAO", req: checks.Request{URL: api}, wantError: "MissingAllowOriginHeader"},
	{name: "two ACAO lines", req: checks.Request{URL: api}, act: hs("Access-Control-Allow-Origin", page, "Access-Control-Allow-Origin", page),
		wantError: "MultipleAllowOriginValues", wantParam: page + ", " + page},
	{name: "null ACAO", req: checks.Request{URL: api}, act: hs("Access-Control-Allow-Origin", "null"), wantError: "AllowOriginMismatch", wantParam: "null"},
	{name: "invalid ACAO", req: checks.Request{URL: api}, act: hs("Access-Control-Allow-Origin", "http://"), wantError: "InvalidAllowOriginValue", wantParam: "http://"},
	{name: "wildcard with credentials", req: checks.Request{URL: api, Credentials: "include"}, act: hs("Access-Control-Allow-Origin", "*", "Access-Control-Allow-Credentials", "true"),
		wantError: "WildcardOriginNotAllowed"},
	{name: "ACAC True is not true", req: checks.Request{URL: api, Credentials: "include"}, act: hs("Access-Control-Allow-Origin", page, "Access-Control-Allow-Credentials", "True"),
		wantError: "InvalidAllowCredentials", wantParam: "True"},
	{name: "expose star without credentials", req: checks.Request{URL: api}, act: hs("Access-Control-Allow-Origin", page, "Access-Control-Expose-Headers", "*", "X-Total-Count", "2"),
		readable: []string{"access-control-allow-origin", "access-control-expose-headers", "x-total-count"}},
	{name: "expose list with a bad member exposes nothing", req: checks.Request{URL: api}, act: hs("Access-Control-Allow-Origin", page, "Access-Control-Expose-Headers", "X-Total-Count X", "X-Total-Count", "2"),
		readable: []string{}},
	{name: "JSON POST is preflighted", req: checks.Request{URL: api, Method: "POST", Body: "{}", Headers: []checks.Header{{Name: "Content-Type", Value: "application/json"}}},
		pre: hs("Access-Control-Allow-Origin", page, "Access-Control-Allow-Headers", "Content-Type"), act: hs("Access-Control-Allow-Origin", page),
		preflight: true, acrh: "content-type", readable: []string{}},
	{name: "lower-case patch is not matched by PATCH", req: checks.Request{URL: api, Method: "patch"},
		pre: hs("Access-Control-Allow-Origin", page, "Access-Control-Allow-Methods", "PATCH"), preflight: true,
		wantError: "MethodDisallowedByPreflightResponse", wantParam: "patch"},
	{name: "put is normalised to PUT", req: checks.Request{URL: api, Method: "put"},
		pre: hs("Access-Control-Allow-Origin", page, "Access-Control-Allow-Methods", "put"), preflight: true,
		wantError: "MethodDisallowedByPreflightResponse", wantParam: "PUT"},
	{name: "bad preflight status after a passing CORS check", req: checks.Request{URL: api, Method: "DELETE"}, preStatus: 405,
		pre: hs("Access-Control-Allow-Origin", page), preflight: true, wantError: "PreflightInvalidStatus"},
	{name: "bad preflight status and no ACAO", req: checks.Request{URL: api, Method: "DELETE"}, preStatus: 405,
		preflight: true, wantError: "PreflightMissingAllowOriginHeader"},
	{name: "unparsable Allow-Methods", req: checks.Request{URL: api, Method: "DELETE"},
		pre: hs("Access-Control-Allow-Origin", page, "Access-Control-Allow-Methods", "PUT DELETE"), preflight: true,
		wantError: "InvalidAllowMethodsPreflightResponse"},
	{name: "star covers Authorization in Chrome 156", req: checks.Request{URL: api, Headers: []checks.Header{{Name: "Authorization", Value: "x"}}},
		pre: hs("Access-Control-Allow-Origin", page, "Access-Control-Allow-Headers", "*"), act: hs("Access-Control-Allow-Origin", page),
		preflight: true, acrh: "authorization", readable: []string{}},
	{name: "star is literal with credentials", req: checks.Request{URL: api, Credentials: "include", Headers: []checks.Header{{Name: "X-Api-Key", Value: "k"}}},
		pre:       hs("Access-Control-Allow-Origin", page, "Access-Control-Allow-Credentials", "true", "Access-Control-Allow-Headers", "*"),
		preflight: true, acrh: "x-api-key", wantError: "HeaderDisallowedByPreflightResponse", wantParam: "x-api-key"},
	{name: "long safelisted value is unsafe", req: checks.Request{URL: api, Headers: []checks.Header{{Name: "Accept-Language", Value: string(make([]byte, 0)) + "en-" + repeat("a", 126)}}},
		pre: hs("Access-Control-Allow-Origin", page), preflight: true, acrh: "accept-language",
		wantError: "HeaderDisallowedByPreflightResponse", wantParam: "accept-language"},
	{name: "forbidden header is dropped", req: checks.Request{URL: api, Headers: []checks.Header{{Name: "Cookie", Value: "a=1"}}},
		act: hs("Access-Control-Allow-Origin", page), readable: []string{}},
	{name: "same-origin mode to another origin", req: checks.Request{URL: api, Mode: "same-origin"}, wantError: "DisallowedByMode"},
	{name: "fetch to another scheme", req: checks.Request{URL: "ftp://localhost:8000/f"}, wantError: "CorsDisabledScheme", wantParam: "ftp"},
}

func repeat(s string, n int) string {
	out := ""
	for range n {
		out += s
	}
	return out
}

func TestPredict(t *testing.T) {
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st := tc.preStatus
			if st == 0 {
				st = 204
			}
			srv := &fixed{pre: cassettes.Response{Status: st, Headers: tc.pre}, act: cassettes.Response{Status: 200, Headers: tc.act}}
			res := predict.Predict(one(tc.req), srv)
			v := res.Verdicts().Last()
			assert.Equal(t, tc.wantError, v.CorsError, "cors_error (rule: %s)", res.Steps[0].Rule)
			assert.Equal(t, tc.wantParam, v.FailedParameter, "failed_parameter")
			assert.Equal(t, tc.wantError == "", v.Allowed, "allowed")
			assert.Equal(t, tc.preflight, v.Preflight, "preflight")
			if tc.wantError != "" {
				assert.NotEmpty(t, v.Console, "console")
				assert.NotEmpty(t, res.Steps[0].Rule, "rule")
			} else {
				assert.Equal(t, tc.readable, v.ReadableHeaders, "readable headers")
			}
			if tc.preflight {
				acrh, ok := srv.sent[0].Headers.Get("Access-Control-Request-Headers")
				assert.Equal(t, tc.acrh != "", ok)
				assert.Equal(t, tc.acrh, acrh, "Access-Control-Request-Headers")
			}
		})
	}
}

// TestPreflightCache: a second step within Max-Age reuses the preflight,
// one after it expires sends a new one, and a result made without
// credentials does not serve a credentialed request.
func TestPreflightCache(t *testing.T) {
	put := checks.Request{URL: api, Method: "PUT"}
	srv := &fixed{pre: cassettes.Response{Status: 204, Headers: hs("Access-Control-Allow-Origin", page, "Access-Control-Allow-Methods", "PUT", "Access-Control-Max-Age", "2")},
		act: cassettes.Response{Status: 200, Headers: hs("Access-Control-Allow-Origin", page)}}
	c := checks.Check{Page: page, Steps: []checks.Step{{Request: put}, {Request: put}, {Wait: 3e9, Request: put}}}
	res := predict.Predict(c, srv)
	var got []int
	for _, s := range res.Verdicts() {
		got = append(got, s.Preflights)
	}
	assert.Equal(t, []int{1, 0, 1}, got)
	assert.True(t, res.Steps[1].PreflightCached)
}

// TestPreflightCacheWildcardAuthorization: "Access-Control-Allow-Headers: *"
// lets Authorization through the preflight, but a cached entry made from it
// does not cover Authorization: Chrome 156 sends a new preflight.
func TestPreflightCacheWildcardAuthorization(t *testing.T) {
	get := checks.Request{URL: api, Headers: []checks.Header{{Name: "Authorization", Value: "Bearer x"}}}
	custom := checks.Request{URL: api, Headers: []checks.Header{{Name: "X-Custom", Value: "1"}}}
	srv := &fixed{pre: cassettes.Response{Status: 204, Headers: hs("Access-Control-Allow-Origin", page, "Access-Control-Allow-Headers", "*", "Access-Control-Max-Age", "600")},
		act: cassettes.Response{Status: 200, Headers: hs("Access-Control-Allow-Origin", page)}}
	for _, tc := range []struct {
		name string
		req  checks.Request
		want []int
	}{
		{name: "authorization is not covered by a cached wildcard", req: get, want: []int{1, 1}},
		{name: "another header is", req: custom, want: []int{1, 0}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := predict.Predict(checks.Check{Page: page, Steps: []checks.Step{{Request: tc.req}, {Request: tc.req}}}, srv)
			var got []int
			for _, s := range res.Verdicts() {
				assert.True(t, s.Allowed)
				got = append(got, s.Preflights)
			}
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestWithFailedParameter(t *testing.T) {
	srv := &fixed{pre: cassettes.Response{Status: 204, Headers: hs("Access-Control-Allow-Origin", page)}}
	res := predict.Predict(one(checks.Request{URL: api, Headers: []checks.Header{{Name: "X-B", Value: "1"}, {Name: "X-A", Value: "1"}}}), srv)
	st := res.Steps[0]
	assert.Equal(t, []string{"x-a", "x-b"}, st.FailedParameterCandidates)
	v, ok := st.WithFailedParameter("x-b")
	assert.True(t, ok)
	assert.Equal(t, "x-b", v.FailedParameter)
	assert.Contains(t, v.Console, "Request header field x-b is not allowed")
	_, ok = st.WithFailedParameter("x-c")
	assert.False(t, ok)
}

// TestCorsDisabledScheme: fetch() in mode cors refuses a scheme other than
// http and https before any request; data: URLs are fetched and not
// modelled.
func TestCorsDisabledScheme(t *testing.T) {
	srv := &fixed{}
	res := predict.Predict(one(checks.Request{URL: "ws://localhost:8000/socket"}), srv)
	assert.Equal(t, `Fetch API cannot load ws://localhost:8000/socket. URL scheme "ws" is not supported.`, res.Verdicts().Last().Console)
	assert.Empty(t, srv.sent, "no request goes out")
	assert.Empty(t, res.Steps[0].Unsupported)
	res = predict.Predict(one(checks.Request{URL: "data:text/plain,hi"}), srv)
	assert.Equal(t, "scheme data", res.Steps[0].Unsupported)
	assert.Empty(t, res.Verdicts().Last().CorsError)
}
