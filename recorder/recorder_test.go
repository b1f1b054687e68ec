package recorder

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/corsvcr/corsvcr/cassettes"
	"github.com/corsvcr/corsvcr/internal/faulttest"
)

// corsHandler answers preflights with 204 and other requests with JSON, both
// allowing the request's Origin.
func corsHandler(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Access-Control-Allow-Origin", r.Header.Get("Origin"))
	if r.Method == http.MethodOptions {
		w.Header().Set("Access-Control-Allow-Methods", "GET, PUT")
		w.Header().Set("Access-Control-Allow-Headers", "content-type, x-token")
		w.WriteHeader(http.StatusNoContent)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprint(w, `{"ok":true}`)
}

func TestPreflightAndActualRecordedWithKinds(t *testing.T) {
	t.Parallel()
	srv := upstream(t, corsHandler)
	rec := startRecorder(t, Config{
		Hosts:     []string{"localhost:8000"},
		Upstreams: map[string]string{"localhost:8000": authority(srv)},
	})
	client := proxyClient(t, rec)

	res, _ := do(t, client, http.MethodOptions, "http://localhost:8000/api/items/1", nil,
		"Origin", "http://localhost:8080",
		"Access-Control-Request-Method", "PUT",
		"Access-Control-Request-Headers", "content-type,x-token")
	require.Equal(t, http.StatusNoContent, res.StatusCode)
	res, body := do(t, client, http.MethodPut, "http://localhost:8000/api/items/1", strings.NewReader(`{"n":1}`),
		"Origin", "http://localhost:8080", "Content-Type", "application/json", "X-Token", "t")
	require.Equal(t, http.StatusOK, res.StatusCode)
	require.Equal(t, `{"ok":true}`, string(body))
	require.NoError(t, rec.Close())

	got := rec.Interactions()
	require.Len(t, got, 2)
	pre, act := got[0], got[1]
	assert.Equal(t, cassettes.KindPreflight, pre.Kind)
	assert.Equal(t, http.MethodOptions, pre.Request.Method)
	assert.Equal(t, "http://localhost:8000/api/items/1", pre.Request.URL)
	assert.Equal(t, http.StatusNoContent, pre.Response.Status)
	assert.Equal(t, []string{"GET, PUT"}, pre.Response.Headers.Values("Access-Control-Allow-Methods"))
	assert.Equal(t, []string{"content-type,x-token"}, pre.Request.Headers.Values("Access-Control-Request-Headers"))

	assert.Equal(t, cassettes.KindActual, act.Kind)
	assert.Equal(t, http.MethodPut, act.Request.Method)
	assert.Equal(t, `{"n":1}`, string(act.Request.Body))
	assert.Equal(t, http.StatusOK, act.Response.Status)
	assert.Equal(t, `{"ok":true}`, string(act.Response.Body))
	assert.Equal(t, []string{"http://localhost:8080"}, act.Response.Headers.Values("Access-Control-Allow-Origin"))
}

func TestFailedResponsesRecorded(t *testing.T) {
	t.Parallel()
	srv := upstream(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/forbidden":
			w.Header().Set("Access-Control-Allow-Origin", "http://localhost:8080")
			http.Error(w, "no", http.StatusForbidden)
		case "/boom":
			http.Error(w, "boom", http.StatusInternalServerError)
		case "/bad-preflight":
			http.Error(w, "Disallowed CORS headers", http.StatusBadRequest)
		default:
			fmt.Fprint(w, "no cors headers here")
		}
	})
	rec := startRecorder(t, Config{Upstreams: map[string]string{"localhost:8000": authority(srv)}})
	client := proxyClient(t, rec)

	tests := []struct {
		name   string
		method string
		path   string
		hdr    []string
		kind   cassettes.Kind
		status int
		acao   bool
	}{
		{name: "403 with cors", method: "GET", path: "/forbidden", hdr: []string{"Origin", "http://localhost:8080"}, kind: cassettes.KindActual, status: 403, acao: true},
		{name: "500 without cors", method: "DELETE", path: "/boom", hdr: []string{"Origin", "http://localhost:8080"}, kind: cassettes.KindActual, status: 500},
		{name: "400 preflight", method: "OPTIONS", path: "/bad-preflight", hdr: []string{"Origin", "http://localhost:8080", "Access-Control-Request-Method", "PUT"}, kind: cassettes.KindPreflight, status: 400},
		{name: "200 missing cors headers", method: "GET", path: "/nocors", hdr: []string{"Origin", "http://localhost:8080"}, kind: cassettes.KindActual, status: 200},
		{name: "no origin", method: "GET", path: "/nocors", kind: cassettes.KindOther, status: 200},
	}
	for _, tt := range tests {
		res, _ := do(t, client, tt.method, "http://localhost:8000"+tt.path, nil, tt.hdr...)
		require.Equal(t, tt.status, res.StatusCode, tt.name)
	}
	require.NoError(t, rec.Close())
	got := rec.Interactions()
	require.Len(t, got, len(tests))
	for i, tt := range tests {
		assert.Equal(t, tt.kind, got[i].Kind, tt.name)
		assert.Equal(t, tt.method, got[i].Request.Method, tt.name)
		assert.Equal(t, tt.status, got[i].Response.Status, tt.name)
		assert.Equal(t, tt.acao, hasHeader(got[i].Response.Headers, "Access-Control-Allow-Origin"), tt.name)
	}
}

func TestDuplicateAllowOriginLinesKept(t *testing.T) {
	t.Parallel()
	srv := upstream(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header()["Access-Control-Allow-Origin"] = []string{"http://localhost:8080", "*"}
		w.Header().Set("Access-Control-Allow-Credentials", "true, true")
	})
	rec := startRecorder(t, Config{Upstreams: map[string]string{"localhost:8000": authority(srv)}})
	res, _ := do(t, proxyClient(t, rec), "GET", "http://localhost:8000/dup", nil, "Origin", "http://localhost:8080")
	assert.Equal(t, []string{"http://localhost:8080", "*"}, res.Header.Values("Access-Control-Allow-Origin"), "client")
	require.NoError(t, rec.Close())

	got := rec.Interactions()
	require.Len(t, got, 1)
	assert.Equal(t, []string{"http://localhost:8080", "*"}, got[0].Response.Headers.Values("Access-Control-Allow-Origin"))
	assert.Equal(t, []string{"true, true"}, got[0].Response.Headers.Values("Access-Control-Allow-Credentials"))
}

func TestHeaderOrderAndCaseFromTheWire(t *testing.T) {
	t.Parallel()
	const rawRes = "HTTP/1.1 200 OK\r\n" +
		"x-zeta: 1\r\n" +
		"Access-Control-Allow-Origin: http://a.test\r\n" +
		"content-type: text/plain\r\n" +
		"X-Alpha:   spaced  \r\n" +
		"x-zeta: 2\r\n" +
		"Content-Length: 2\r\n" +
		"\r\nok"
	srv := upstream(t, func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		c, brw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			panic(err)
		}
		defer c.Close()
		brw.WriteString(rawRes)
		brw.Flush()
	})
	rec := startRecorder(t, Config{Upstreams: map[string]string{"localhost:8000": authority(srv)}})
	rc := dialRaw(t, rec)
	rc.send("patch http://localhost:8000/order?q=1 HTTP/1.1\r\n" +
		"Host: localhost:8000\r\n" +
		"x-zeta: 1\r\n" +
		"Origin: http://a.test\r\n" +
		"accept: */*\r\n" +
		"Content-Length: 3\r\n" +
		"X-Alpha: a\r\n" +
		"x-zeta: 2\r\n" +
		"\r\nabc")
	res, body := rc.response("patch")
	require.Equal(t, 200, res.StatusCode)
	require.Equal(t, "ok", string(body))
	require.NoError(t, rec.Close())

	got := rec.Interactions()
	require.Len(t, got, 1)
	assert.Equal(t, "patch", got[0].Request.Method, "method case kept")
	assert.Equal(t, "http://localhost:8000/order?q=1", got[0].Request.URL)
	assert.Equal(t, cassettes.Headers{
		{Name: "Host", Value: "localhost:8000"},
		{Name: "x-zeta", Value: "1"},
		{Name: "Origin", Value: "http://a.test"},
		{Name: "accept", Value: "*/*"},
		{Name: "Content-Length", Value: "3"},
		{Name: "X-Alpha", Value: "a"},
		{Name: "x-zeta", Value: "2"},
	}, got[0].Request.Headers)
	assert.Equal(t, "abc", string(got[0].Request.Body))
	assert.Equal(t, cassettes.Headers{
		{Name: "x-zeta", Value: "1"},
		{Name: "Access-Control-Allow-Origin", Value: "http://a.test"},
		{Name: "content-type", Value: "text/plain"},
		{Name: "X-Alpha", Value: "spaced"},
		{Name: "x-zeta", Value: "2"},
		{Name: "Content-Length", Value: "2"},
	}, got[0].Response.Headers)
}

func TestWireOrderSurvivesChunkedAndPipelinedRequests(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var bodies []string
	srv := upstream(t, func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		bodies = append(bodies, string(b))
		mu.Unlock()
		fmt.Fprint(w, r.URL.Path)
	})
	rec := startRecorder(t, Config{Upstreams: map[string]string{"localhost:8000": authority(srv)}})
	rc := dialRaw(t, rec)
	// A chunked body that looks like a request, then two pipelined requests
	// in one write.
	const sneaky = "\r\n\r\nGET /x HTTP/1.1\r\nA: b\r\n\r\n"
	rc.send("POST http://localhost:8000/one HTTP/1.1\r\nHost: localhost:8000\r\nTransfer-Encoding: chunked\r\nzz: 1\r\n\r\n" +
		fmt.Sprintf("%x;ext=1\r\n%s\r\n0\r\nTrailing: t\r\n\r\n", len(sneaky), sneaky))
	res, body := rc.response("POST")
	require.Equal(t, "/one", string(body), res.Header.Get("Warning"))
	rc.send("GET http://localhost:8000/two HTTP/1.1\r\nHost: localhost:8000\r\nzz: 2\r\naa: 2\r\n\r\n" +
		"PUT http://localhost:8000/three HTTP/1.1\r\nHost: localhost:8000\r\nContent-Length: 4\r\nzz: 3\r\naa: 3\r\n\r\n\r\n\r\n")
	_, body = rc.response("GET")
	require.Equal(t, "/two", string(body))
	_, body = rc.response("PUT")
	require.Equal(t, "/three", string(body))
	require.NoError(t, rec.Close())

	got := rec.Interactions()
	require.Len(t, got, 3)
	assert.Equal(t, []string{"Host", "zz"}, names(got[0].Request.Headers), "Transfer-Encoding is hop-by-hop")
	assert.Equal(t, sneaky, string(got[0].Request.Body))
	assert.Equal(t, []string{"Host", "zz", "aa"}, names(got[1].Request.Headers))
	assert.Equal(t, []string{"Host", "Content-Length", "zz", "aa"}, names(got[2].Request.Headers))
	assert.Equal(t, "\r\n\r\n", string(got[2].Request.Body))
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, []string{sneaky, "", "\r\n\r\n"}, bodies, "upstream got the bodies")
}

func TestFallbackOrderWhenWireDisagrees(t *testing.T) {
	t.Parallel()
	srv := upstream(t, func(w http.ResponseWriter, r *http.Request) {})
	rec := startRecorder(t, Config{Upstreams: map[string]string{"localhost:8000": authority(srv)}})
	rc := dialRaw(t, rec)
	// Obsolete line folding: net/http joins the lines, the raw block is
	// refused, and the parsed headers are recorded Host first, then sorted.
	rc.send("GET http://localhost:8000/fold HTTP/1.1\r\nHost: localhost:8000\r\nzz: 1\r\nx-folded: a\r\n b\r\naa: 2\r\n\r\n")
	res, _ := rc.response("GET")
	require.Equal(t, 200, res.StatusCode)
	require.NoError(t, rec.Close())
	got := rec.Interactions()
	require.Len(t, got, 1)
	assert.Equal(t, cassettes.Headers{
		{Name: "Host", Value: "localhost:8000"},
		{Name: "Aa", Value: "2"},
		{Name: "X-Folded", Value: "a b"},
		{Name: "Zz", Value: "1"},
	}, got[0].Request.Headers)
}

func TestGzipBodyStaysRaw(t *testing.T) {
	t.Parallel()
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	io.WriteString(zw, strings.Repeat("hello ", 100))
	require.NoError(t, zw.Close())
	var mu sync.Mutex
	var acceptEncodings [][]string
	srv := upstream(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		acceptEncodings = append(acceptEncodings, r.Header.Values("Accept-Encoding"))
		mu.Unlock()
		w.Header().Set("Content-Encoding", "gzip")
		w.Header().Set("Content-Type", "text/plain")
		w.Write(gz.Bytes())
	})
	rec := startRecorder(t, Config{Upstreams: map[string]string{"localhost:8000": authority(srv)}})
	client := proxyClient(t, rec)

	res, body := do(t, client, "GET", "http://localhost:8000/gz", nil, "Accept-Encoding", "gzip, deflate, br, zstd")
	assert.Equal(t, gz.Bytes(), body, "client got the gzip bytes")
	assert.Equal(t, "gzip", res.Header.Get("Content-Encoding"))
	do(t, client, "GET", "http://localhost:8000/plain", nil)
	require.NoError(t, rec.Close())

	got := rec.Interactions()
	require.Len(t, got, 2)
	assert.Equal(t, gz.Bytes(), []byte(got[0].Response.Body))
	assert.Equal(t, []string{"gzip"}, got[0].Response.Headers.Values("Content-Encoding"))
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, [][]string{{"gzip, deflate, br, zstd"}, nil}, acceptEncodings, "no Accept-Encoding added upstream")
}

func TestRequestBodyCapturedAndDelivered(t *testing.T) {
	t.Parallel()
	srv := upstream(t, func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		fmt.Fprintf(w, "got %d: %s", len(b), b)
	})
	rec := startRecorder(t, Config{Upstreams: map[string]string{"localhost:8000": authority(srv)}})
	client := proxyClient(t, rec)

	big := strings.Repeat("0123456789", 10000)
	tests := []struct {
		name string
		body io.Reader
		want string
	}{
		{name: "content-length", body: strings.NewReader(`{"a":1}`), want: `{"a":1}`},
		{name: "chunked", body: io.MultiReader(strings.NewReader("chunk"), strings.NewReader("ed")), want: "chunked"},
		{name: "large", body: strings.NewReader(big), want: big},
	}
	for _, tt := range tests {
		_, body := do(t, client, "POST", "http://localhost:8000/echo", tt.body, "Origin", "http://a.test")
		assert.Equal(t, fmt.Sprintf("got %d: %s", len(tt.want), tt.want), string(body), tt.name)
	}
	require.NoError(t, rec.Close())
	got := rec.Interactions()
	require.Len(t, got, len(tests))
	for i, tt := range tests {
		assert.Equal(t, tt.want, string(got[i].Request.Body), tt.name)
		assert.Equal(t, fmt.Sprintf("got %d: %s", len(tt.want), tt.want), string(got[i].Response.Body), tt.name)
	}
}

func TestHopByHopAndProxyHeadersNeverRecorded(t *testing.T) {
	t.Parallel()
	var seen http.Header
	var mu sync.Mutex
	srv := upstream(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = r.Header.Clone()
		mu.Unlock()
		c, brw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			panic(err)
		}
		defer c.Close()
		brw.WriteString("HTTP/1.1 200 OK\r\n" +
			"Connection: keep-alive, X-Up-Secret\r\n" +
			"X-Up-Secret: u\r\n" +
			"Keep-Alive: timeout=5\r\n" +
			"Access-Control-Allow-Origin: *\r\n" +
			"Transfer-Encoding: chunked\r\n" +
			"Proxy-Authenticate: Basic\r\n" +
			"\r\n2\r\nok\r\n0\r\n\r\n")
		brw.Flush()
	})
	rec := startRecorder(t, Config{Upstreams: map[string]string{"localhost:8000": authority(srv)}})
	rc := dialRaw(t, rec)
	rc.send("GET http://localhost:8000/hop HTTP/1.1\r\n" +
		"Host: localhost:8000\r\n" +
		"Connection: keep-alive, X-Secret\r\n" +
		"X-Secret: s\r\n" +
		"Keep-Alive: timeout=5\r\n" +
		"Proxy-Connection: keep-alive\r\n" +
		"Proxy-Authorization: Basic Zm9vOmJhcg==\r\n" +
		"TE: trailers\r\n" +
		"Upgrade: websocket\r\n" +
		"Origin: http://a.test\r\n" +
		"\r\n")
	res, body := rc.response("GET")
	require.Equal(t, "ok", string(body))
	for _, h := range []string{"X-Up-Secret", "Keep-Alive", "Via", "Warning", "Proxy-Authenticate"} {
		assert.Empty(t, res.Header.Values(h), "client got %s", h)
	}
	require.NoError(t, rec.Close())

	mu.Lock()
	for _, h := range []string{"Connection", "X-Secret", "Keep-Alive", "Proxy-Connection", "Proxy-Authorization", "Te", "Upgrade", "Via", "Warning", "X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Proto", "Forwarded"} {
		assert.Empty(t, seen.Values(h), "upstream got %s", h)
	}
	assert.Equal(t, "http://a.test", seen.Get("Origin"))
	mu.Unlock()

	got := rec.Interactions()
	require.Len(t, got, 1)
	assert.Equal(t, cassettes.Headers{{Name: "Host", Value: "localhost:8000"}, {Name: "Origin", Value: "http://a.test"}}, got[0].Request.Headers)
	assert.Equal(t, cassettes.Headers{{Name: "Access-Control-Allow-Origin", Value: "*"}}, got[0].Response.Headers)
	assert.Equal(t, "ok", string(got[0].Response.Body))
}

// Exchanges the recorder forwards without recording, and answers its
// Intercept handler gives, lose their hop-by-hop fields too.
func TestHopByHopDroppedWhenNotRecorded(t *testing.T) {
	t.Parallel()
	var seen http.Header
	var mu sync.Mutex
	hop := func(h http.Header) {
		h.Set("Connection", "X-Up-Secret")
		h.Set("X-Up-Secret", "u")
		h.Set("Keep-Alive", "timeout=5")
		h.Set("Proxy-Authenticate", "Basic")
		h.Set("Access-Control-Allow-Origin", "*")
	}
	srv := upstream(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = r.Header.Clone()
		mu.Unlock()
		hop(w.Header())
		io.WriteString(w, "ok")
	})
	rec := startRecorder(t, Config{
		Hosts:     []string{"recorded.test:80"},
		Upstreams: map[string]string{"localhost:8000": authority(srv)},
		Intercept: func(r *http.Request) http.Handler {
			if r.URL.Path != "/local" {
				return nil
			}
			return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				hop(w.Header())
				io.WriteString(w, "ok")
			})
		},
	})
	for _, path := range []string{"/forwarded", "/local"} {
		rc := dialRaw(t, rec)
		rc.send("GET http://localhost:8000" + path + " HTTP/1.1\r\n" +
			"Host: localhost:8000\r\n" +
			"Connection: keep-alive, X-Secret\r\n" +
			"X-Secret: s\r\n" +
			"Proxy-Authorization: Basic Zm9vOmJhcg==\r\n" +
			"Origin: http://a.test\r\n" +
			"\r\n")
		res, body := rc.response("GET")
		require.Equal(t, "ok", string(body), path)
		for _, h := range []string{"X-Up-Secret", "Keep-Alive", "Proxy-Authenticate"} {
			assert.Empty(t, res.Header.Values(h), "%s: client got %s", path, h)
		}
		assert.Equal(t, "*", res.Header.Get("Access-Control-Allow-Origin"), path)
	}
	require.NoError(t, rec.Close())
	mu.Lock()
	for _, h := range []string{"Connection", "X-Secret", "Proxy-Authorization"} {
		assert.Empty(t, seen.Values(h), "upstream got %s", h)
	}
	assert.Equal(t, "http://a.test", seen.Get("Origin"))
	mu.Unlock()
	assert.Empty(t, rec.Interactions())
}

// What net/http's reader does to an origin's response is undone before it
// is forwarded and recorded, recorded host or not: a Connection header that
// says "close" still makes the names it lists hop-by-hop (net/http deletes
// it whole), the "Cache-Control: no-cache" net/http adds next to
// "Pragma: no-cache" is not sent, and a line whose name is not a token
// (which net/http does not send on) is neither sent nor recorded, so the
// cassette still saves. The client reads the raw response head.
func TestForwardedAsTheOriginSent(t *testing.T) {
	t.Parallel()
	srv := upstream(t, func(w http.ResponseWriter, r *http.Request) {
		c, brw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			panic(err)
		}
		defer c.Close()
		brw.WriteString("HTTP/1.1 200 OK\r\n" +
			"access-control-allow-origin: http://a.test\r\n" +
			"Connection: close, X-Foo\r\n" +
			"X-Foo: hop\r\n" +
			"Pragma: no-cache\r\n" +
			"X-Sp : v\r\n" +
			"Content-Length: 2\r\n" +
			"\r\nok")
		brw.Flush()
	})
	rec := startRecorder(t, Config{
		Hosts:     []string{"localhost:8000"},
		Upstreams: map[string]string{"localhost:8000": authority(srv), "localhost:8001": authority(srv)},
	})
	for _, host := range []string{"localhost:8000", "localhost:8001"} { // recorded, forwarded
		rc := dialRaw(t, rec)
		rc.send("GET http://" + host + "/x HTTP/1.1\r\nHost: " + host + "\r\nOrigin: http://a.test\r\n\r\n")
		var head strings.Builder
		for {
			line, err := rc.br.ReadString('\n')
			require.NoError(t, err)
			if line == "\r\n" {
				break
			}
			head.WriteString(line)
		}
		got := strings.ToLower(head.String())
		assert.Contains(t, got, "access-control-allow-origin: http://a.test", host)
		assert.Contains(t, got, "pragma: no-cache", host)
		for _, leak := range []string{"x-foo", "cache-control", "x-sp"} {
			assert.NotContains(t, got, leak, "%s: the client got %s", host, leak)
		}
	}
	require.NoError(t, rec.Close())
	got := rec.Interactions()
	require.Len(t, got, 1)
	assert.Equal(t, cassettes.Headers{
		{Name: "access-control-allow-origin", Value: "http://a.test"},
		{Name: "Pragma", Value: "no-cache"},
		{Name: "Content-Length", Value: "2"},
	}, got[0].Response.Headers, "the origin's lines in wire order, less the ones not forwarded")
	c := &cassettes.Cassette{Version: cassettes.FormatVersion, Interactions: got}
	assert.NoError(t, c.Validate())
}

// A request with "Pragma: no-cache" and no Cache-Control reaches the origin
// without the "Cache-Control: no-cache" net/http's reader adds, recorded
// host or not. The origin reads the raw request head (a net/http origin
// would add the line itself).
func TestRequestPragmaAsSent(t *testing.T) {
	t.Parallel()
	heads := make(chan string, 2)
	origin := faulttest.Raw(t, func(c *net.TCPConn, br *bufio.Reader, _ <-chan struct{}) {
		for {
			var head strings.Builder
			for {
				line, err := br.ReadString('\n')
				if err != nil {
					return
				}
				if line == "\r\n" {
					break
				}
				head.WriteString(line)
			}
			heads <- strings.ToLower(head.String())
			if _, err := io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"); err != nil {
				return
			}
		}
	})
	rec := startRecorder(t, Config{
		Hosts:     []string{"localhost:8000"},
		Upstreams: map[string]string{"localhost:8000": origin, "localhost:8001": origin},
	})
	for _, host := range []string{"localhost:8000", "localhost:8001"} { // recorded, forwarded
		rc := dialRaw(t, rec)
		rc.send("GET http://" + host + "/x HTTP/1.1\r\nHost: " + host + "\r\nPragma: no-cache\r\nOrigin: http://a.test\r\n\r\n")
		_, body := rc.response("GET")
		require.Equal(t, "ok", string(body))
		head := <-heads
		assert.Contains(t, head, "pragma: no-cache", host)
		assert.NotContains(t, head, "cache-control", "%s: the origin got a Cache-Control the client did not send", host)
	}
	require.NoError(t, rec.Close())
	got := rec.Interactions()
	require.Len(t, got, 1)
	assert.Equal(t, []string{"Host", "Pragma", "Origin"}, names(got[0].Request.Headers), "recorded from the wire")
}

// closedAddr returns a loopback address nothing listens on.
func closedAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())
	return addr
}

func TestHostFilter(t *testing.T) {
	t.Parallel()
	srv := upstream(t, func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, r.Host) })
	rec := startRecorder(t, Config{
		Hosts: []string{"localhost:8000", "Example.TEST"},
		Upstreams: map[string]string{
			"localhost:8000": authority(srv),
			"localhost:8001": authority(srv),
			"example.test":   authority(srv),
			"other.test:80":  authority(srv),
		},
	})
	client := proxyClient(t, rec)
	for _, u := range []string{
		"http://localhost:8000/a",
		"http://localhost:8001/b",
		"http://example.test/c",
		"http://other.test/d",
		"http://EXAMPLE.test:80/e",
	} {
		res, _ := do(t, client, "GET", u, nil)
		require.Equal(t, 200, res.StatusCode, u)
	}
	require.NoError(t, rec.Close())
	var urls []string
	for _, in := range rec.Interactions() {
		urls = append(urls, in.Request.URL)
	}
	assert.Equal(t, []string{"http://localhost:8000/a", "http://example.test/c", "http://EXAMPLE.test:80/e"}, urls)
}

func TestUpstreamsKeepTheBrowserURL(t *testing.T) {
	t.Parallel()
	var seenHost atomic.Value
	srv := upstream(t, func(w http.ResponseWriter, r *http.Request) { seenHost.Store(r.Host) })
	rec := startRecorder(t, Config{Upstreams: map[string]string{"localhost:8000": authority(srv)}})
	res, _ := do(t, proxyClient(t, rec), "GET", "http://localhost:8000/x?y=1", nil)
	require.Equal(t, 200, res.StatusCode)
	require.NoError(t, rec.Close())
	assert.Equal(t, "localhost:8000", seenHost.Load(), "upstream saw the browser's Host")
	got := rec.Interactions()
	require.Len(t, got, 1)
	assert.Equal(t, "http://localhost:8000/x?y=1", got[0].Request.URL)
	host, _ := got[0].Request.Headers.Get("Host")
	assert.Equal(t, "localhost:8000", host)
}

func TestInterceptServedLocallyNotRecorded(t *testing.T) {
	t.Parallel()
	var hits atomic.Int32
	srv := upstream(t, func(w http.ResponseWriter, r *http.Request) { hits.Add(1) })
	page := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/__corsvcr__/panic" {
			panic("boom")
		}
		w.Header().Set("X-Check", r.Host)
		fmt.Fprint(w, "<!doctype html><title>check</title>")
	})
	logs := &logSink{}
	rec := startRecorder(t, Config{
		Upstreams: map[string]string{"localhost:8000": authority(srv)},
		Intercept: func(r *http.Request) http.Handler {
			if strings.HasPrefix(r.URL.Path, "/__corsvcr__/") {
				return page
			}
			return nil
		},
		Logger: slog.New(logs),
	})
	client := proxyClient(t, rec)

	res, body := do(t, client, "GET", "http://any-origin.test:8080/__corsvcr__/page", nil)
	assert.Equal(t, 200, res.StatusCode)
	assert.Equal(t, "<!doctype html><title>check</title>", string(body))
	assert.Equal(t, "text/html; charset=utf-8", res.Header.Get("Content-Type"), "sniffed like net/http")
	assert.Equal(t, "any-origin.test:8080", res.Header.Get("X-Check"))
	res, _ = do(t, client, "GET", "http://localhost:8000/__corsvcr__/panic", nil)
	assert.Equal(t, http.StatusBadGateway, res.StatusCode)
	assert.Zero(t, hits.Load(), "intercepted requests are not forwarded")

	do(t, client, "GET", "http://localhost:8000/api", nil)
	require.NoError(t, rec.Close())
	assert.EqualValues(t, 1, hits.Load())
	got := rec.Interactions()
	require.Len(t, got, 1)
	assert.Equal(t, "http://localhost:8000/api", got[0].Request.URL)
}

func TestInteractionsInArrivalOrder(t *testing.T) {
	t.Parallel()
	slowArrived, release := make(chan struct{}), make(chan struct{})
	srv := upstream(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			close(slowArrived)
			<-release
		}
		fmt.Fprint(w, r.URL.Path)
	})
	rec := startRecorder(t, Config{Upstreams: map[string]string{"localhost:8000": authority(srv)}})
	client := proxyClient(t, rec)

	slowDone := make(chan []byte)
	go func() {
		_, b := do(t, client, "GET", "http://localhost:8000/slow", nil)
		slowDone <- b
	}()
	<-slowArrived
	_, b := do(t, client, "GET", "http://localhost:8000/fast", nil)
	require.Equal(t, "/fast", string(b))
	close(release)
	require.Equal(t, "/slow", string(<-slowDone))
	require.NoError(t, rec.Close())

	got := rec.Interactions()
	require.Len(t, got, 2)
	assert.Equal(t, "http://localhost:8000/slow", got[0].Request.URL, "arrived first, answered last")
	assert.Equal(t, "http://localhost:8000/fast", got[1].Request.URL)
}

func TestConcurrentClients(t *testing.T) {
	t.Parallel()
	srv := upstream(t, func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.Header().Set("Access-Control-Allow-Origin", r.Header.Get("Origin"))
		w.Write(b)
	})
	rec := startRecorder(t, Config{Upstreams: map[string]string{"localhost:8000": authority(srv)}})
	const clients, each = 16, 10
	var wg sync.WaitGroup
	for c := range clients {
		client := proxyClient(t, rec)
		wg.Go(func() {
			for i := range each {
				id := fmt.Sprintf("c%02d-%02d", c, i)
				req, _ := http.NewRequest("POST", "http://localhost:8000/"+id, strings.NewReader(id))
				req.Header.Set("Origin", "http://"+id+".test")
				res, err := client.Do(req)
				if !assert.NoError(t, err) {
					return
				}
				b, _ := io.ReadAll(res.Body)
				res.Body.Close()
				assert.Equal(t, id, string(b))
			}
		})
	}
	wg.Wait()
	require.NoError(t, rec.Close())

	got := rec.Interactions()
	require.Len(t, got, clients*each)
	next := map[string]int{}
	for _, in := range got {
		id := strings.TrimPrefix(in.Request.URL, "http://localhost:8000/")
		assert.Equal(t, id, string(in.Request.Body), "request paired with its body")
		assert.Equal(t, id, string(in.Response.Body), "request paired with its response")
		origin, _ := in.Request.Headers.Get("Origin")
		assert.Equal(t, "http://"+id+".test", origin)
		client, n := id[:3], 0
		fmt.Sscanf(id[4:], "%d", &n)
		assert.Equal(t, next[client], n, "a client's requests stay in order")
		next[client] = n + 1
	}
}

func TestConnectRefused(t *testing.T) {
	t.Parallel()
	logs := &logSink{}
	rec := startRecorder(t, Config{Logger: slog.New(logs)})
	rc := dialRaw(t, rec)
	rc.send("CONNECT localhost:8443 HTTP/1.1\r\nHost: localhost:8443\r\n\r\n")
	res, _ := rc.response("CONNECT")
	assert.Equal(t, http.StatusBadGateway, res.StatusCode)
	require.NoError(t, rec.Close())
	assert.Empty(t, rec.Interactions())
	assert.Contains(t, strings.Join(logs.messages(), "\n"), "recorder: CONNECT refused")
}

func TestStartRejectsBadConfig(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		cfg  Config
		want []string
	}{
		{name: "not loopback", cfg: Config{Addr: "0.0.0.0:0"}, want: []string{`recorder: addr "0.0.0.0:0": not a loopback address`}},
		{name: "bad addr", cfg: Config{Addr: "nope"}, want: []string{`recorder: addr "nope": `}},
		{
			name: "every problem at once",
			cfg: Config{
				Hosts:     []string{"http://localhost:8000/", "", "localhost:99999"},
				Upstreams: map[string]string{"localhost:8000": "127.0.0.1", "a b": "127.0.0.1:1"},
			},
			want: []string{
				`recorder: host "": empty`,
				`recorder: host "http://localhost:8000/": not a host or host:port`,
				`recorder: host "localhost:99999": port is not a number`,
				`recorder: upstream "a b": not a host or host:port`,
				`recorder: upstream "localhost:8000": address "127.0.0.1": missing port`,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec, err := Start(tt.cfg)
			require.Error(t, err)
			assert.Nil(t, rec)
			lines := strings.Split(err.Error(), "\n")
			require.Len(t, lines, len(tt.want), err.Error())
			for i, w := range tt.want {
				assert.True(t, strings.HasPrefix(lines[i], w), "line %d: %q does not start with %q", i, lines[i], w)
			}
		})
	}
}

// TestCloseWaitsForInFlightAndLeaksNothing must not run in parallel: it
// counts goroutines.
func TestCloseWaitsForInFlightAndLeaksNothing(t *testing.T) {
	base := runtime.NumGoroutine()

	arrived, release := make(chan struct{}), make(chan struct{})
	srv := upstream(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			close(arrived)
			<-release
		}
		fmt.Fprint(w, "done "+r.URL.Path)
	})
	rec, err := Start(Config{Upstreams: map[string]string{"localhost:8000": authority(srv)}})
	require.NoError(t, err)
	client := proxyClient(t, rec)
	do(t, client, "GET", "http://localhost:8000/warm", nil) // leaves an idle connection

	type result struct {
		body []byte
		err  error
	}
	resc := make(chan result, 1)
	go func() {
		res, err := client.Get("http://localhost:8000/slow")
		if err != nil {
			resc <- result{err: err}
			return
		}
		defer res.Body.Close()
		b, err := io.ReadAll(res.Body)
		resc <- result{b, err}
	}()
	<-arrived

	var released atomic.Bool
	closed := make(chan error, 1)
	go func() {
		err := rec.Close()
		if !released.Load() {
			err = errors.Join(err, errors.New("Close returned before the in-flight exchange finished"))
		}
		closed <- err
	}()
	// Close has stopped accepting once a new connection is refused.
	proxyAddr := strings.TrimPrefix(rec.URL(), "http://")
	require.Eventually(t, func() bool {
		c, err := net.Dial("tcp", proxyAddr)
		if err == nil {
			c.Close()
		}
		return err != nil
	}, 10*time.Second, time.Millisecond)
	released.Store(true)
	close(release)

	require.NoError(t, <-closed)
	r := <-resc
	require.NoError(t, r.err)
	assert.Equal(t, "done /slow", string(r.body))
	got := rec.Interactions()
	require.Len(t, got, 2, "the in-flight exchange is recorded by the time Close returns")
	assert.Equal(t, "done /slow", string(got[1].Response.Body))
	require.NoError(t, rec.Close(), "Close is idempotent")

	client.CloseIdleConnections()
	srv.Close()
	if n := waitGoroutines(base, time.Now().Add(10*time.Second)); n > base {
		buf := make([]byte, 1<<20)
		t.Fatalf("%d goroutines, want at most %d:\n%s", n, base, buf[:runtime.Stack(buf, true)])
	}
}

// waitGoroutines polls the goroutine count until it is at most want or the
// deadline passes, and returns the last count. (testify's Eventually runs
// its condition in a goroutine of its own, which would be counted.)
func waitGoroutines(want int, deadline time.Time) int {
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for {
		n := runtime.NumGoroutine()
		if n <= want || time.Now().After(deadline) {
			return n
		}
		<-tick.C
	}
}

// Every response Date is stored as cassettes.RecordedDate, so recording an
// unchanged server again gives the same cassette; the client still gets the
// server's own Date.
func TestDateRecordedAsFixedValue(t *testing.T) {
	t.Parallel()
	srv := upstream(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Date", "Tue, 03 Mar 2026 10:11:12 GMT")
		w.Header().Set("Access-Control-Allow-Origin", "*")
	})
	rec := startRecorder(t, Config{Upstreams: map[string]string{"localhost:8000": authority(srv)}})
	res, _ := do(t, proxyClient(t, rec), "GET", "http://localhost:8000/d", nil, "Origin", "http://localhost:8080")
	assert.Equal(t, "Tue, 03 Mar 2026 10:11:12 GMT", res.Header.Get("Date"), "client")
	require.NoError(t, rec.Close())
	got := rec.Interactions()
	require.Len(t, got, 1)
	assert.Equal(t, []string{cassettes.RecordedDate}, got[0].Response.Headers.Values("Date"))
}

// A request line whose name has a space before the colon, which net/http
// keeps as a key of its own (go.dev/issue/34540) and its Transport refuses
// to send, is dropped: the exchange is forwarded and recorded, recorded or
// not, as before the by-name hop-by-hop drop.
func TestNameWithSpaceBeforeColon(t *testing.T) {
	t.Parallel()
	seen := make(chan http.Header, 2)
	srv := upstream(t, func(w http.ResponseWriter, r *http.Request) {
		seen <- r.Header.Clone()
		w.Header().Set("Access-Control-Allow-Origin", "*")
		w.Write([]byte("ok"))
	})
	rec := startRecorder(t, Config{
		Hosts:     []string{"localhost:8000"},
		Upstreams: map[string]string{"localhost:8000": authority(srv), "localhost:8001": authority(srv)},
	})
	for _, host := range []string{"localhost:8000", "localhost:8001"} { // recorded, forwarded
		rc := dialRaw(t, rec)
		rc.send("GET http://" + host + "/x HTTP/1.1\r\nHost: " + host + "\r\nX-Sp : v\r\nProxy-Connection: keep-alive\r\nOrigin: http://a.test\r\n\r\n")
		res, body := rc.response("GET")
		require.Equal(t, 200, res.StatusCode, host)
		require.Equal(t, "ok", string(body), host)
		h := <-seen
		assert.Equal(t, "http://a.test", h.Get("Origin"), host)
		assert.Empty(t, h.Values("Proxy-Connection"), host)
	}
	require.NoError(t, rec.Close())
	got := rec.Interactions()
	require.Len(t, got, 1)
	assert.Equal(t, cassettes.Headers{{Name: "Host", Value: "localhost:8000"}, {Name: "Origin", Value: "http://a.test"}}, got[0].Request.Headers)
	assert.Empty(t, rec.Failures())
}

// rawOrigin answers every request with a 204 whose header lines are in a
// fixed, unsorted order; the request's X-N is echoed and its parity
// decides which header the Connection line names.
func rawOrigin(t *testing.T) string {
	return faulttest.Raw(t, func(c *net.TCPConn, br *bufio.Reader, _ <-chan struct{}) {
		for {
			req, err := http.ReadRequest(br)
			if err != nil {
				return
			}
			n, _ := strconv.Atoi(req.Header.Get("X-N"))
			hop := "x-even"
			if n%2 == 1 {
				hop = "x-odd"
			}
			fmt.Fprintf(c, "HTTP/1.1 204 No Content\r\nZ-N: %d\r\nConnection: %s\r\nX-Odd: 1\r\nX-Even: 1\r\nAccess-Control-Allow-Origin: *\r\n\r\n", n, hop)
		}
	})
}

// Responses without a body (preflights) on pooled origin connections:
// net/http puts a connection back in its pool before the round trip that
// used it returns, and another exchange may take it at once. Each exchange
// still records its own response's header block, in wire order, and no
// field its own Connection line names reaches the client or the cassette.
func TestPooledConnectionCapture(t *testing.T) {
	t.Parallel()
	origin := rawOrigin(t)
	rec := startRecorder(t, Config{Hosts: []string{"localhost:8000"}, Upstreams: map[string]string{"localhost:8000": origin}})
	client := proxyClient(t, rec)
	client.Transport.(*http.Transport).MaxIdleConnsPerHost = 64
	var wg sync.WaitGroup
	var leaked atomic.Int32
	const workers, each = 24, 100
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				n := w*each + i
				res, _ := do(t, client, "OPTIONS", "http://localhost:8000/x", nil, "X-N", strconv.Itoa(n), "Origin", "http://a.test")
				if res.Header.Get("Z-N") != strconv.Itoa(n) {
					t.Errorf("Z-N %q for %d", res.Header.Get("Z-N"), n)
				}
				mine := "X-Even"
				if n%2 == 1 {
					mine = "X-Odd"
				}
				if res.Header.Get(mine) != "" {
					leaked.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	got := rec.Interactions()
	sorted, leakedRec := 0, 0
	for _, in := range got {
		h := in.Response.Headers
		if len(h) > 0 && h[0].Name != "Z-N" {
			sorted++
		}
		n, _ := strconv.Atoi(in.Request.Headers.Values("X-N")[0])
		mine := "X-Even"
		if n%2 == 1 {
			mine = "X-Odd"
		}
		if len(h.Values(mine)) > 0 {
			leakedRec++
		}
	}
	require.Len(t, got, workers*each)
	assert.Zero(t, sorted, "interactions recorded in the fallback (sorted) order")
	assert.Zero(t, leaked.Load(), "responses forwarded with the field their Connection named")
	assert.Zero(t, leakedRec, "interactions recorded with the field their Connection named")
}

// Header blocks that repeat on a connection, as a browser's and an
// origin's do, are recorded for each exchange as that exchange's bytes
// said: a value, a name's case or the order changing between alike blocks
// shows in the recording of that exchange and of no other (blockMemo).
func TestRepeatedBlocksRecordedExactly(t *testing.T) {
	t.Parallel()
	srv := upstream(t, func(w http.ResponseWriter, r *http.Request) {
		// The response's x-r line as the query says: name and value.
		name, value, _ := strings.Cut(r.URL.RawQuery, "=")
		w.Header()[name] = []string{value}
		w.Header().Set("Access-Control-Allow-Origin", "*")
		fmt.Fprint(w, r.URL.Path)
	})
	rec := startRecorder(t, Config{Upstreams: map[string]string{"localhost:8000": authority(srv)}})
	rc := dialRaw(t, rec)
	a := []string{"Origin: http://a.test", "sec-ch-ua-mobile: ?0", "Accept: */*", "X-V: 1"}
	changedValue := []string{"Origin: http://a.test", "sec-ch-ua-mobile: ?0", "Accept: */*", "X-V: 2"}
	changedCase := []string{"Origin: http://a.test", "Sec-Ch-Ua-Mobile: ?0", "Accept: */*", "X-V: 1"}
	reordered := []string{"sec-ch-ua-mobile: ?0", "Origin: http://a.test", "Accept: */*", "X-V: 1"}
	steps := []struct {
		lines []string
		query string // the response's x-r line
	}{
		{a, "x-r=1"}, {a, "x-r=1"}, {a, "x-r=1"}, {a, "x-r=1"},
		{changedValue, "x-r=2"},
		{a, "x-r=1"}, {a, "x-r=1"}, {a, "x-r=1"},
		{changedCase, "X-R=1"},
		{a, "x-r=1"}, {a, "x-r=1"}, {a, "x-r=1"},
		{reordered, "x-r=3"},
		{a, "x-r=1"},
	}
	for i, s := range steps {
		rc.send(fmt.Sprintf("GET http://localhost:8000/%d?%s HTTP/1.1\r\nHost: localhost:8000\r\nProxy-Connection: keep-alive\r\n%s\r\n\r\n",
			i, s.query, strings.Join(s.lines, "\r\n")))
		_, body := rc.response("GET")
		require.Equal(t, fmt.Sprintf("/%d", i), string(body))
	}
	require.NoError(t, rec.Close())
	got := rec.Interactions()
	require.Len(t, got, len(steps))
	for i, s := range steps {
		want := cassettes.Headers{{Name: "Host", Value: "localhost:8000"}}
		for _, l := range s.lines {
			name, value, _ := strings.Cut(l, ": ")
			want = append(want, cassettes.Header{Name: name, Value: value})
		}
		assert.Equal(t, want, got[i].Request.Headers, "exchange %d: request", i)
		name, value, _ := strings.Cut(s.query, "=")
		var r []cassettes.Header
		for _, f := range got[i].Response.Headers {
			if strings.EqualFold(f.Name, "x-r") {
				r = append(r, f)
			}
		}
		assert.Equal(t, []cassettes.Header{{Name: name, Value: value}}, r, "exchange %d: response", i)
		lower := func(h cassettes.Headers) string { return strings.ToLower(strings.Join(names(h), ",")) }
		assert.Equal(t, lower(got[0].Response.Headers), lower(got[i].Response.Headers), "exchange %d: response order", i)
	}
}

// Interactions may be read while the proxy records: each read sees whole
// recordings, their shared header fields and bodies intact, across the
// store's chunks (run with -race).
func TestInteractionsWhileRecording(t *testing.T) {
	t.Parallel()
	pad := strings.Repeat("b", 8<<10)
	srv := upstream(t, func(w http.ResponseWriter, r *http.Request) {
		// Fields alike on every response, shared in the store; the
		// body names the request.
		w.Header().Set("Access-Control-Allow-Origin", "http://a.test")
		w.Header().Set("Content-Type", "text/plain")
		fmt.Fprint(w, r.URL.Path+pad)
	})
	rec := startRecorder(t, Config{Upstreams: map[string]string{"localhost:8000": authority(srv)}})
	const clients, each = 8, 50
	check := func(in cassettes.Interaction) {
		path := strings.TrimPrefix(in.Request.URL, "http://localhost:8000")
		assert.Equal(t, cassettes.Headers{{Name: "Host", Value: "localhost:8000"}, {Name: "Origin", Value: "http://a.test"}, {Name: "Accept", Value: "*/*"}},
			in.Request.Headers, path)
		acao, _ := in.Response.Headers.Get("Access-Control-Allow-Origin")
		assert.Equal(t, "http://a.test", acao, path)
		assert.Equal(t, path+pad, string(in.Response.Body), path)
	}
	done := make(chan struct{})
	reads := make(chan int, 1)
	go func() {
		n := 0
		defer func() { reads <- n }()
		for {
			select {
			case <-done:
				return
			default:
			}
			for _, in := range rec.Interactions() {
				check(in)
			}
			n++
		}
	}()
	stop := sync.OnceFunc(func() { close(done) })
	t.Cleanup(stop)
	var wg sync.WaitGroup
	for c := range clients {
		conn, err := net.Dial("tcp", strings.TrimPrefix(rec.URL(), "http://"))
		require.NoError(t, err)
		t.Cleanup(func() { conn.Close() })
		require.NoError(t, conn.SetDeadline(time.Now().Add(30*time.Second)))
		br := bufio.NewReader(conn)
		wg.Go(func() {
			for i := range each {
				path := fmt.Sprintf("/c%d/%d", c, i)
				if _, err := fmt.Fprintf(conn, "GET http://localhost:8000%s HTTP/1.1\r\nHost: localhost:8000\r\nOrigin: http://a.test\r\nAccept: */*\r\n\r\n", path); !assert.NoError(t, err) {
					return
				}
				res, err := http.ReadResponse(br, nil)
				if !assert.NoError(t, err) {
					return
				}
				b, err := io.ReadAll(res.Body)
				res.Body.Close()
				if !assert.NoError(t, err) || !assert.Equal(t, path+pad, string(b)) {
					return
				}
			}
		})
	}
	wg.Wait()
	stop()
	assert.Positive(t, <-reads, "Interactions read while recording")
	require.NoError(t, rec.Close())
	got := rec.Interactions()
	require.Len(t, got, clients*each)
	for _, in := range got {
		check(in)
	}
}
