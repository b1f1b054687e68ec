package replay

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/corsvcr/corsvcr/cassettes"
)

func TestMissResponse(t *testing.T) {
	t.Parallel()
	recorded := []cassettes.Interaction{
		ia("OPTIONS", api+"/items", []string{"Origin: " + app, "Access-Control-Request-Method: PUT"}, 204, ""),
		ia("PUT", api+"/items", []string{"Origin: " + app}, 200, "ok"),
	}
	tests := []struct {
		name       string
		method     string
		header     []string
		wantStatus int
		wantHeader http.Header // exact values; absent keys must be absent
		wantBody   []string    // substrings
	}{
		{
			name:       "actual request",
			method:     "PUT",
			header:     []string{"Origin: " + app, "Cookie: a=1"},
			wantStatus: MissStatus,
			wantHeader: http.Header{
				"Access-Control-Allow-Origin":      {app},
				"Access-Control-Allow-Credentials": {"true"},
				"Access-Control-Expose-Headers":    {MissHeader},
				"Vary":                             {"Origin"},
				"Content-Type":                     {"text/plain; charset=utf-8"},
				"Access-Control-Allow-Methods":     nil,
				"Date":                             nil,
			},
			wantBody: []string{
				`replay: no recorded interaction for PUT http://api.test:8000/items (Origin "http://app.test:8080"); closest #1 differs in credentials: "present" != "absent"`,
				"closest recorded interaction #1 (actual):\n  PUT http://api.test:8000/items\n",
				"credentials (Cookie or Authorization): present\n",
			},
		},
		{
			name:       "preflight",
			method:     "OPTIONS",
			header:     []string{"Origin: " + app, "Access-Control-Request-Method: PATCH", "Access-Control-Request-Headers: content-type, x-token", "Access-Control-Request-Private-Network: true"},
			wantStatus: http.StatusNoContent,
			wantHeader: http.Header{
				"Access-Control-Allow-Origin":          {app},
				"Access-Control-Allow-Credentials":     {"true"},
				"Access-Control-Allow-Methods":         {"PATCH"},
				"Access-Control-Allow-Headers":         {"content-type, x-token"},
				"Access-Control-Allow-Private-Network": {"true"},
				"Access-Control-Max-Age":               {"0"},
				"Vary":                                 {"Origin"},
				"Content-Type":                         nil,
			},
		},
		{
			name:       "no origin",
			method:     "GET",
			wantStatus: MissStatus,
			wantHeader: http.Header{
				"Access-Control-Allow-Origin":      nil,
				"Access-Control-Allow-Credentials": nil,
				"Access-Control-Expose-Headers":    {MissHeader},
			},
			wantBody: []string{"replay: no recorded interaction for GET http://api.test:8000/items; closest #1 differs in method"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := newReplayer(t, Config{Cassette: cassette(recorded...)})
			resp, body := serve(r, request(tt.method, api+"/items", tt.header...))
			e := lastEntry(t, r)
			require.NotNil(t, e.Miss)
			assert.Equal(t, tt.wantStatus, resp.StatusCode)
			assert.Equal(t, []string{e.Miss.Error()}, resp.Header.Values(MissHeader))
			for name, want := range tt.wantHeader {
				assert.Equal(t, want, resp.Header[name], "header %s", name)
			}
			for _, want := range tt.wantBody {
				assert.Contains(t, body, want)
			}
			if tt.wantStatus == http.StatusNoContent {
				assert.Empty(t, body)
			}
		})
	}
}

func TestOriginForm(t *testing.T) {
	t.Parallel()
	recorded := []cassettes.Interaction{
		ia("GET", "http://a.test:8000/x", nil, 200, "a-x"),
		ia("GET", "http://b.test/y?q=1", nil, 200, "b-y"),
		ia("GET", "https://s.test/z", nil, 200, "s-z"),
		ia("GET", "http://b.test/x", nil, 200, "b-x"),
	}
	tests := []struct {
		name      string
		host      string
		target    string
		wantHit   int
		wantURL   string // journal URL
		wantField string // for a miss
	}{
		{name: "any host", target: "/y?q=1", wantHit: 1, wantURL: "http://b.test/y?q=1"},
		{name: "any host, recorded order", target: "/x", wantHit: 0, wantURL: "http://a.test:8000/x"},
		{name: "any host miss", target: "/y", wantHit: -1, wantURL: "/y", wantField: fieldURL},
		{name: "host", host: "b.test", target: "/x", wantHit: 3, wantURL: "http://b.test/x"},
		{name: "host with default port", host: "B.test:80", target: "/x", wantHit: 3, wantURL: "http://b.test/x"},
		{name: "host with port", host: "a.test:8000", target: "/x", wantHit: 0, wantURL: "http://a.test:8000/x"},
		{name: "host miss", host: "a.test:8000", target: "/y?q=1", wantHit: -1, wantURL: "http://a.test:8000/y?q=1", wantField: fieldURL},
		{name: "https host", host: "https://s.test:443", target: "/z", wantHit: 2, wantURL: "https://s.test/z"},
		{name: "absolute form ignores host", host: "a.test:8000", target: "http://b.test/x", wantHit: 3, wantURL: "http://b.test/x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := newReplayer(t, Config{Cassette: cassette(recorded...), Host: tt.host})
			_, body, e := serveOne(t, r, request("GET", tt.target))
			assert.Equal(t, tt.wantHit, e.Hit)
			if tt.wantHit >= 0 {
				assert.Equal(t, string(recorded[tt.wantHit].Response.Body), body)
				return
			}
			require.NotNil(t, e.Miss)
			assert.Equal(t, tt.wantField, e.Miss.Field)
		})
	}
}

// roundTripFunc adapts a function to http.RoundTripper.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(req *http.Request) (*http.Response, error) { return f(req) }

func TestForward(t *testing.T) {
	t.Parallel()
	recorded := []cassettes.Interaction{ia("GET", api+"/known", nil, 200, "known")}
	tests := []struct {
		name   string
		host   string
		target string
		err    error
		want   string // outbound URL
	}{
		{name: "proxy request", target: api + "/new?x=1", want: api + "/new?x=1"},
		{name: "origin form with host", host: "a.test:9000", target: "/new", want: "http://a.test:9000/new"},
		{name: "origin form without host", target: "/new", want: "http://example.com/new"},
		{name: "forward fails", target: api + "/new", err: errors.New("connection refused")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var out *http.Request
			fwd := roundTripFunc(func(req *http.Request) (*http.Response, error) {
				out = req
				if tt.err != nil {
					return nil, tt.err
				}
				return &http.Response{
					StatusCode:    201,
					Header:        http.Header{"Access-Control-Allow-Origin": {app, app}, "Keep-Alive": {"timeout=5"}},
					Body:          io.NopCloser(strings.NewReader("live")),
					ContentLength: 4,
				}, nil
			})
			r := newReplayer(t, Config{Cassette: cassette(recorded...), Forward: fwd, Host: tt.host})
			req := request("GET", tt.target, "Origin: "+app, "Proxy-Connection: keep-alive", "Connection: keep-alive, X-Hop", "X-Hop: 1", "Cookie: c=1")
			resp, body := serve(r, req)

			// A hit is never forwarded.
			_, known := serve(r, request("GET", api+"/known"))
			assert.Equal(t, "known", known)

			require.NotNil(t, out)
			assert.Empty(t, out.RequestURI)
			assert.Empty(t, out.Host)
			for _, h := range []string{"Proxy-Connection", "Connection", "X-Hop"} {
				assert.Empty(t, out.Header.Values(h), "outbound %s", h)
			}
			assert.Equal(t, app, out.Header.Get("Origin"))
			assert.Equal(t, "c=1", out.Header.Get("Cookie"))
			assert.Equal(t, "keep-alive", req.Header.Get("Proxy-Connection"), "inbound request untouched")

			j := r.Journal()
			require.Len(t, j, 1)
			e := j[0]
			if tt.err != nil {
				assert.False(t, e.Forwarded)
				require.NotNil(t, e.Miss)
				assert.ErrorIs(t, e.Miss, tt.err)
				assert.Equal(t, MissStatus, resp.StatusCode)
				assert.Contains(t, body, "; forward: connection refused")
				return
			}
			assert.Equal(t, tt.want, out.URL.String())
			assert.True(t, e.Forwarded)
			assert.Nil(t, e.Miss)
			assert.Equal(t, 201, resp.StatusCode)
			assert.Equal(t, "live", body)
			assert.Equal(t, []string{app, app}, resp.Header.Values("Access-Control-Allow-Origin"))
			assert.Empty(t, resp.Header.Values("Keep-Alive"))
			assert.Empty(t, resp.Header.Values("Content-Type"), "no sniffed Content-Type")
		})
	}
}

func TestIntercept(t *testing.T) {
	t.Parallel()
	recorded := []cassettes.Interaction{ia("GET", api+"/data", nil, 200, "data")}
	intercept := func(req *http.Request) http.Handler {
		if !strings.HasPrefix(req.URL.Path, "/__corsvcr__/") {
			return nil
		}
		return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			fmt.Fprintf(w, "check page on %s", req.URL.Host)
		})
	}
	r := newReplayer(t, Config{Cassette: cassette(recorded...), Intercept: intercept})

	_, body := serve(r, request("GET", "http://any.test:1234/__corsvcr__/check"))
	assert.Equal(t, "check page on any.test:1234", body)
	assert.Equal(t, Stats{}, r.Stats(), "intercepted requests are not journaled or counted")

	_, body = serve(r, request("GET", api+"/data"))
	assert.Equal(t, "data", body)
	assert.Equal(t, Stats{Hits: 1}, r.Stats())
}

func TestConnect(t *testing.T) {
	t.Parallel()
	r := newReplayer(t, Config{Cassette: cassette()})
	resp, body := serve(r, request("CONNECT", "api.test:443"))
	assert.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode)
	e := lastEntry(t, r)
	require.NotNil(t, e.Miss)
	const want = "replay: no recorded interaction for CONNECT api.test:443; https replay (CONNECT) is not enabled (replay.WithCA)"
	assert.EqualError(t, e.Miss, want)
	assert.Equal(t, want, resp.Header.Get(MissHeader))
	assert.Equal(t, want+"\n", body)
}

func TestRecordedResponse(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		method     string
		recorded   cassettes.Interaction
		wantHeader http.Header
		wantBody   string
	}{
		{
			name:   "case, duplicates and no additions",
			method: "GET",
			recorded: ia("GET", api+"/a", nil, 200, "{}",
				"access-control-allow-origin: *", "Access-Control-Allow-Origin: *", "Access-Control-Allow-Origin: http://x.test",
				"content-type: application/json", "Transfer-Encoding: chunked"),
			// Served in sorted spellings ("Access…" first), the lines
			// of one name would join in another order than recorded:
			// they are one field, in the first spelling.
			wantHeader: http.Header{
				"access-control-allow-origin": {"*", "*", "http://x.test"},
				"Access-Control-Allow-Origin": nil,
				"content-type":                {"application/json"},
				"Content-Type":                nil,
				"Date":                        nil,
				"Content-Length":              {"2"},
				"Transfer-Encoding":           nil,
			},
			wantBody: "{}",
		},
		{
			name:   "one name in different case keeps its order",
			method: "GET",
			recorded: ia("GET", api+"/a", nil, 200, "",
				"access-control-allow-origin: http://other.test", "Access-Control-Allow-Origin: http://app.test",
				"X-A: 1", "x-a: 2", "X-A: 3", "Vary: Origin", "vary: Accept"),
			wantHeader: http.Header{
				"access-control-allow-origin": {"http://other.test", "http://app.test"},
				"Access-Control-Allow-Origin": nil,
				"X-A":                         {"1", "2", "3"},
				"x-a":                         nil,
				"Vary":                        {"Origin"}, // sorted, still in recorded order: case kept
				"vary":                        {"Accept"},
			},
		},
		{
			name:       "recorded content length kept",
			method:     "GET",
			recorded:   ia("GET", api+"/a", nil, 200, "abc", "content-length: 3", "Content-Type: text/plain"),
			wantHeader: http.Header{"Content-Length": {"3"}, "content-length": nil, "Content-Type": {"text/plain"}},
			wantBody:   "abc",
		},
		{
			name:       "no body for 204",
			method:     "OPTIONS",
			recorded:   ia("OPTIONS", api+"/a", nil, 204, "ignored"),
			wantHeader: http.Header{"Content-Length": nil},
		},
		{
			name:       "head",
			method:     "HEAD",
			recorded:   ia("HEAD", api+"/a", nil, 200, "", "Content-Length: 1234"),
			wantHeader: http.Header{"Content-Length": {"1234"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := newReplayer(t, Config{Cassette: cassette(tt.recorded)})
			resp, body := serve(r, request(tt.method, api+"/a"))
			assert.Equal(t, tt.recorded.Response.Status, resp.StatusCode)
			for name, want := range tt.wantHeader {
				assert.Equal(t, want, resp.Header[name], "header %s", name)
			}
			assert.Equal(t, tt.wantBody, body)
		})
	}
}

func TestConcurrent(t *testing.T) {
	t.Parallel()
	const goroutines, perG = 16, 25
	var ints []cassettes.Interaction
	for _, p := range []string{"/a", "/b"} {
		for i := range 3 {
			ints = append(ints, ia("GET", api+p, []string{"Origin: " + app}, 200, fmt.Sprint(p, i)))
		}
	}
	r := newReplayer(t, Config{Cassette: cassette(ints...)})
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			for i := range perG {
				p := []string{"/a", "/b"}[(g+i)%2]
				resp, _ := serve(r, request("GET", api+p, "Origin: "+app))
				assert.Equal(t, 200, resp.StatusCode)
				_, _, _ = r.Journal(), r.Stats(), r.Mark()
			}
		})
	}
	wg.Wait()
	total := goroutines * perG
	assert.Equal(t, []int{1, 1, total/2 - 2, 1, 1, total/2 - 2}, r.Uses())
	assert.Equal(t, Stats{Hits: total}, r.Stats())
}

// A recorded Date is served as the time of serving, in the recorded case.
func TestRecordedDateServedAsNow(t *testing.T) {
	t.Parallel()
	cas := &cassettes.Cassette{Interactions: []cassettes.Interaction{
		ia("GET", api+"/a", nil, 200, "{}", "date: "+cassettes.RecordedDate),
	}}
	r, err := New(Config{Cassette: cas})
	require.NoError(t, err)
	before := time.Now().Add(-time.Second)
	rec := httptest.NewRecorder()
	r.ServeHTTP(rec, httptest.NewRequest("GET", api+"/a", nil))
	got, err := http.ParseTime(rec.Header()["date"][0])
	require.NoError(t, err)
	assert.False(t, got.Before(before.Truncate(time.Second)), "served Date %v is not the time of serving", got)
	assert.Len(t, rec.Header()["date"], 1)
}
