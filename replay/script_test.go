package replay

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/corsvcr/corsvcr/cassettes"
)

// sreq is a request of a script-part test: what the page sends and the
// status its own recorded answer has.
type sreq struct {
	name    string
	method  string
	headers []string // script-set headers; the browser's are added
	body    string
	status  int
}

// browserLines are headers Chrome adds to every request; they differ
// between recording and replay and must not matter.
func browserLines(run string) []string {
	return []string{
		"Origin: " + app,
		"User-Agent: HeadlessChrome/" + run,
		"Accept: */*",
		"Accept-Encoding: gzip, deflate, br, zstd",
		"Accept-Language: en-US",
		"Sec-Fetch-Mode: cors",
		"Referer: " + app + "/" + run,
		"Priority: u=1, i",
		"Cache-Control: no-cache",
		"Pragma: no-cache",
	}
}

// scriptCases are requests to one URL that share a match key and differ
// only in what the page script set: the server answers each differently.
var scriptCases = []struct {
	name string
	reqs []sreq
}{
	{"Range", []sreq{
		{name: "plain", method: "GET", status: 200},
		{name: "bytes=0-3", method: "GET", headers: []string{"Range: bytes=0-3"}, status: 206},
		{name: "bytes=4-", method: "GET", headers: []string{"Range: bytes=4-"}, status: 207},
	}},
	{"Content-Type", []sreq{
		{name: "json", method: "POST", headers: []string{"Content-Type: application/json"}, body: "a=1", status: 400},
		{name: "form", method: "POST", headers: []string{"Content-Type: application/x-www-form-urlencoded"}, body: "a=1", status: 200},
		{name: "text", method: "POST", headers: []string{"Content-Type: text/plain;charset=UTF-8"}, body: "a=1", status: 415},
	}},
	{"body", []sreq{
		{name: "a=1", method: "POST", headers: []string{"Content-Type: application/json"}, body: `{"a":1}`, status: 200},
		{name: "a=2", method: "POST", headers: []string{"Content-Type: application/json"}, body: `{"a":2}`, status: 409},
		{name: "empty", method: "POST", headers: []string{"Content-Type: application/json"}, status: 422},
	}},
	{"custom header", []sreq{
		{name: "token a", method: "GET", headers: []string{"X-Token: a"}, status: 200},
		{name: "token b", method: "GET", headers: []string{"x-token: b"}, status: 403},
		{name: "no token", method: "GET", status: 401},
		{name: "two tokens", method: "GET", headers: []string{"X-Token: a", "X-Token: b"}, status: 400},
	}},
}

const scriptURL = api + "/obj"

// scriptCassette records reqs in order, each answered by its status.
func scriptCassette(reqs []sreq) *cassettes.Cassette {
	var ints []cassettes.Interaction
	for _, q := range reqs {
		in := ia(q.method, scriptURL, append(browserLines("rec"), q.headers...), q.status, q.name,
			"Access-Control-Allow-Origin: "+app)
		in.Request.Body = cassettes.Body(q.body)
		ints = append(ints, in)
	}
	return cassette(ints...)
}

// asker sends one request and returns the status of the answer; 599 for a
// miss.
type asker func(q sreq) int

func httpAsker(r *Replayer) asker {
	return func(q sreq) int {
		req := httptest.NewRequest(q.method, scriptURL, strings.NewReader(q.body))
		for _, f := range hs(append(browserLines("replay"), q.headers...)...) {
			req.Header.Add(f.Name, f.Value)
		}
		resp, _ := serve(r, req)
		return resp.StatusCode
	}
}

func sessionAsker(s *Session) asker {
	return func(q sreq) int {
		a := s.RoundTrip(cassettes.Request{Method: q.method, URL: scriptURL,
			Headers: hs(append(browserLines("replay"), q.headers...)...), Body: cassettes.Body(q.body)})
		if a.Miss != nil {
			return MissStatus
		}
		return a.Response.Status
	}
}

// permutations returns every order of 0..n-1.
func permutations(n int) [][]int {
	if n == 0 {
		return [][]int{nil}
	}
	var out [][]int
	for _, p := range permutations(n - 1) {
		for i := 0; i <= len(p); i++ {
			q := append(append(append([]int{}, p[:i]...), n-1), p[i:]...)
			out = append(out, q)
		}
	}
	return out
}

// TestScriptPartOwnAnswer replays requests that share a match key and
// differ only in Range, Content-Type, the body or a custom header, in
// every order and one at a time, through ServeHTTP and through a Session,
// strict and not: each gets its own recorded answer.
func TestScriptPartOwnAnswer(t *testing.T) {
	t.Parallel()
	for _, tc := range scriptCases {
		for _, strict := range []bool{false, true} {
			cfg := Config{Cassette: scriptCassette(tc.reqs), Strict: strict}
			orders := permutations(len(tc.reqs))
			for i := range tc.reqs {
				orders = append(orders, []int{i})
			}
			for _, via := range []string{"ServeHTTP", "Session"} {
				t.Run(fmt.Sprintf("%s/strict=%v/%s", tc.name, strict, via), func(t *testing.T) {
					t.Parallel()
					for _, order := range orders {
						var ask asker
						if via == "ServeHTTP" {
							ask = httpAsker(newReplayer(t, cfg))
						} else {
							s, err := NewSession(cfg)
							require.NoError(t, err)
							ask = sessionAsker(s)
						}
						for _, i := range order {
							q := tc.reqs[i]
							assert.Equal(t, q.status, ask(q), "order %v: request %q", order, q.name)
						}
					}
				})
			}
		}
	}
}

// TestScriptPartRepeats: the n-th request matching a variant gets its n-th
// answer; then the last repeats, or, strict, a use-count miss.
func TestScriptPartRepeats(t *testing.T) {
	t.Parallel()
	plain := sreq{name: "plain", method: "GET", status: 200}
	ranged := sreq{name: "ranged", method: "GET", headers: []string{"Range: bytes=0-3"}, status: 206}
	ranged2 := ranged
	ranged2.status = 216
	c := scriptCassette([]sreq{ranged, plain, ranged2})
	for _, strict := range []bool{false, true} {
		r := newReplayer(t, Config{Cassette: c, Strict: strict})
		ask := httpAsker(r)
		assert.Equal(t, 200, ask(plain))
		assert.Equal(t, 206, ask(ranged))
		assert.Equal(t, 216, ask(ranged))
		if strict {
			assert.Equal(t, MissStatus, ask(ranged))
			me := lastEntry(t, r).Miss
			require.NotNil(t, me)
			assert.Equal(t, fieldUseCount, me.Field)
			assert.Equal(t, 2, me.Closest)
			assert.Equal(t, MissStatus, ask(plain))
		} else {
			assert.Equal(t, 216, ask(ranged))
			assert.Equal(t, 200, ask(plain))
		}
	}
}

// TestScriptPartNoMatch: a request whose script part matches none of its
// key's recordings is a miss naming the closest interaction and the field
// (strict), or gets the closest one's answer without using it up.
func TestScriptPartNoMatch(t *testing.T) {
	t.Parallel()
	json := sreq{name: "json", method: "POST", headers: []string{"Content-Type: application/json"}, body: `{"a":1}`, status: 400}
	form := sreq{name: "form", method: "POST", headers: []string{"Content-Type: application/x-www-form-urlencoded"}, body: "a=1", status: 200}
	c := scriptCassette([]sreq{json, form})
	tests := []struct {
		name             string
		q                sreq
		closest          int
		field, got, want string
		nonStrict        int
	}{
		{name: "unrecorded JSON body", q: sreq{method: "POST", headers: []string{"Content-Type: application/json"}, body: `{"a":3}`},
			closest: 0, field: "body", got: `{"a":3}`, want: `{"a":1}`, nonStrict: 400},
		{name: "unrecorded form body", q: sreq{method: "POST", headers: []string{"Content-Type: application/x-www-form-urlencoded"}, body: "a=2"},
			closest: 1, field: "body", got: "a=2", want: "a=1", nonStrict: 200},
		{name: "JSON body sent as text", q: sreq{method: "POST", headers: []string{"Content-Type: text/plain"}, body: `{"a":1}`},
			closest: 0, field: "Content-Type", got: "text/plain", want: "application/json", nonStrict: 400},
		{name: "extra header", q: sreq{method: "POST", headers: []string{"Content-Type: application/x-www-form-urlencoded", "X-Token: t"}, body: "a=1"},
			closest: 1, field: "X-Token", got: "t", want: "", nonStrict: 200},
		{name: "long binary body", q: sreq{method: "POST", headers: []string{"Content-Type: application/json"}, body: strings.Repeat("\xff", 100)},
			closest: 0, field: "body", got: "... (100 bytes)", want: `{"a":1}`, nonStrict: 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := newReplayer(t, Config{Cassette: c, Strict: true})
			resp, body := serve(r, func() *http.Request {
				req := httptest.NewRequest(tt.q.method, scriptURL, strings.NewReader(tt.q.body))
				for _, f := range hs(append(browserLines("x"), tt.q.headers...)...) {
					req.Header.Add(f.Name, f.Value)
				}
				return req
			}())
			assert.Equal(t, MissStatus, resp.StatusCode)
			me := lastEntry(t, r).Miss
			require.NotNil(t, me)
			assert.Equal(t, tt.closest, me.Closest)
			assert.Equal(t, tt.field, me.Field)
			assert.Equal(t, tt.got, me.Got)
			assert.Equal(t, tt.want, me.Want)
			assert.Contains(t, me.Error(), fmt.Sprintf("closest #%d differs in %s", tt.closest, tt.field))
			assert.Contains(t, body, "closest recorded interaction #")

			s, err := NewSession(Config{Cassette: c, Strict: true})
			require.NoError(t, err)
			a := s.RoundTrip(cassettes.Request{Method: tt.q.method, URL: scriptURL, Headers: hs(append(browserLines("y"), tt.q.headers...)...), Body: cassettes.Body(tt.q.body)})
			require.NotNil(t, a.Miss)
			assert.Equal(t, *me, *a.Miss, "Session and ServeHTTP miss alike")

			// Not strict: the closest one's answer, which stays for the
			// request that matches it.
			r = newReplayer(t, Config{Cassette: c})
			ask := httpAsker(r)
			assert.Equal(t, tt.nonStrict, ask(tt.q))
			assert.Equal(t, 1, r.Uses()[tt.closest], "answered by the closest")
			assert.Equal(t, 1, r.Stats().Hits)
			own := []sreq{json, form}[tt.closest]
			assert.Equal(t, own.status, ask(own))
		})
	}
}

// TestScriptPartClosestAcrossKeys: when no key matches, the script part
// breaks ties between equally close interactions.
func TestScriptPartClosestAcrossKeys(t *testing.T) {
	t.Parallel()
	c := scriptCassette([]sreq{
		{name: "json", method: "POST", headers: []string{"Content-Type: application/json"}, body: `{}`, status: 400},
		{name: "form", method: "POST", headers: []string{"Content-Type: application/x-www-form-urlencoded"}, body: "a=1", status: 200},
	})
	r := newReplayer(t, Config{Cassette: c})
	req := httptest.NewRequest("POST", api+"/other", strings.NewReader("a=1"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", app)
	resp, _ := serve(r, req)
	require.Equal(t, MissStatus, resp.StatusCode)
	me := lastEntry(t, r).Miss
	require.NotNil(t, me)
	assert.Equal(t, 1, me.Closest)
	assert.Equal(t, fieldURL, me.Field)
}

// TestScriptPartSingleVariantNotStrict: a key with one script part is not
// compared when not strict (the hot path): any request with the key hits.
func TestScriptPartSingleVariantNotStrict(t *testing.T) {
	t.Parallel()
	c := scriptCassette([]sreq{{name: "json", method: "POST", headers: []string{"Content-Type: application/json"}, body: `{}`, status: 201}})
	ask := httpAsker(newReplayer(t, Config{Cassette: c}))
	assert.Equal(t, 201, ask(sreq{method: "POST", body: "other"}))
	ask = httpAsker(newReplayer(t, Config{Cassette: c, Strict: true}))
	assert.Equal(t, MissStatus, ask(sreq{method: "POST", body: "other"}))
	assert.Equal(t, 201, ask(sreq{method: "POST", headers: []string{"content-type: application/json"}, body: `{}`}))
}

// TestScriptPartRedacted: a redaction placeholder in a recorded header value
// or body matches any text, so a redacted cassette replays strictly.
func TestScriptPartRedacted(t *testing.T) {
	t.Parallel()
	ph := cassettes.RedactedPrefix
	c := scriptCassette([]sreq{
		{name: "alice", method: "POST", headers: []string{"Authorization: Bearer " + ph + "1"}, body: `{"user":"alice","password":"` + ph + `2"}`, status: 200},
		{name: "bob", method: "POST", headers: []string{"Authorization: Bearer " + ph + "1"}, body: `{"user":"bob","password":"` + ph + `3"}`, status: 403},
	})
	for _, via := range []string{"ServeHTTP", "Session"} {
		ask := askerVia(t, via, Config{Cassette: c, Strict: true})
		assert.Equal(t, 403, ask(sreq{method: "POST", headers: []string{"Authorization: Bearer eyJ.secret"}, body: `{"user":"bob","password":"hunter2"}`}), via)
		assert.Equal(t, 200, ask(sreq{method: "POST", headers: []string{"Authorization: Bearer eyJ.secret"}, body: `{"user":"alice","password":"pw"}`}), via)
		assert.Equal(t, MissStatus, ask(sreq{method: "POST", headers: []string{"Authorization: Basic eyJ"}, body: `{"user":"alice","password":"pw"}`}), via)
	}
}

// TestScriptPartRedactedFirst: when the first recorded variant of a key
// holds a placeholder and a later one matches the request exactly, the
// n-th request still gets the n-th answer: the placeholder's first (it was
// recorded first), then the exact one; none is a miss while an answer is
// unused.
func TestScriptPartRedactedFirst(t *testing.T) {
	t.Parallel()
	ph := cassettes.RedactedPrefix
	c := scriptCassette([]sreq{
		{name: "redacted", method: "POST", headers: []string{"content-type: application/json"}, body: `{"p":"` + ph + `1"}`, status: 200},
		{name: "plain", method: "POST", headers: []string{"content-type: application/json"}, body: `{"p":"abc"}`, status: 201},
	})
	for _, strict := range []bool{false, true} {
		for _, via := range []string{"ServeHTTP", "Session"} {
			ask := askerVia(t, via, Config{Cassette: c, Strict: strict})
			req := sreq{method: "POST", headers: []string{"content-type: application/json"}, body: `{"p":"abc"}`}
			assert.Equal(t, 200, ask(req), "%s, strict %v: first request", via, strict)
			assert.Equal(t, 201, ask(req), "%s, strict %v: second request", via, strict)
		}
	}
}

func TestWildEqual(t *testing.T) {
	t.Parallel()
	ph := cassettes.RedactedPrefix
	tests := []struct {
		rec, got string
		want     bool
	}{
		{"abc", "abc", true},
		{"abc", "abd", false},
		{ph + "1", "", true},
		{ph + "1", "anything", true},
		{"Bearer " + ph + "12", "Bearer x", true},
		{"Bearer " + ph + "12", "Basic x", false},
		{`{"a":"` + ph + `1","b":"` + ph + `2"}`, `{"a":"x","b":"y"}`, true},
		{`{"a":"` + ph + `1","b":"` + ph + `2"}`, `{"a":"x","c":"y"}`, false},
		{"x" + ph + "1" + "x", "x", false}, // the literals may not overlap
		{ph, ph, true},                     // no digits: literal text
		{ph, "x", false},
		{ph + "y" + ph + "1", ph + "yz", true},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, wildEqual(tt.rec, tt.got), "%q vs %q", tt.rec, tt.got)
	}
}

// TestScriptPartForwardsBody: a body read to compare it still reaches
// Config.Forward whole, also when longer than MaxBodyCompare.
func TestScriptPartForwardsBody(t *testing.T) {
	t.Parallel()
	c := scriptCassette([]sreq{
		{name: "a", method: "POST", body: "a", status: 200},
		{name: "b", method: "POST", body: "b", status: 201},
	})
	for _, body := range []string{"c", strings.Repeat("z", MaxBodyCompare+10)} {
		var got string
		fwd := roundTripFunc(func(req *http.Request) (*http.Response, error) {
			b, err := io.ReadAll(req.Body)
			require.NoError(t, err)
			got = string(b)
			return &http.Response{StatusCode: 202, Header: http.Header{}, Body: http.NoBody, ContentLength: 0}, nil
		})
		r := newReplayer(t, Config{Cassette: c, Strict: true, Forward: fwd})
		resp, _ := serve(r, httptest.NewRequest("POST", scriptURL, strings.NewReader(body)))
		assert.Equal(t, 202, resp.StatusCode)
		assert.Equal(t, len(body), len(got))
		assert.True(t, body == got, "forwarded body differs")
	}
}

// askerVia returns an asker of a new Replayer built from cfg, through its
// ServeHTTP ("ServeHTTP") or a Session ("Session").
func askerVia(t *testing.T, via string, cfg Config) asker {
	t.Helper()
	if via == "ServeHTTP" {
		return httpAsker(newReplayer(t, cfg))
	}
	s, err := NewSession(cfg)
	require.NoError(t, err)
	return sessionAsker(s)
}
