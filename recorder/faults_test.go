package recorder

import (
	"bufio"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/corsvcr/corsvcr/internal/faulttest"
)

// faults are the ways an origin fails, each with what the recorder says
// about it.
var faults = []struct {
	name string
	// origin returns the address of a failing origin for "localhost:8000".
	origin func(t testing.TB) string
	// midBody: the client gets the response head, then a broken body.
	midBody bool
	cause   string // in Failure.Err
}{
	{
		name:   "connection refused",
		origin: func(t testing.TB) string { return closedAddr(t.(*testing.T)) },
		cause:  "upstream localhost:8000 unreachable: dial tcp",
	},
	{
		name: "reset before responding",
		origin: func(t testing.TB) string {
			return faulttest.Origin(t, func(c *net.TCPConn, _ <-chan struct{}) { faulttest.Reset(c) })
		},
		cause: "connection reset by peer",
	},
	{
		name: "hangs",
		origin: func(t testing.TB) string {
			return faulttest.Origin(t, func(c *net.TCPConn, done <-chan struct{}) { <-done })
		},
		cause: "upstream localhost:8000: no response within 300ms",
	},
	{
		name: "closes in the middle of a body with Content-Length",
		origin: func(t testing.TB) string {
			return faulttest.Origin(t, func(c *net.TCPConn, _ <-chan struct{}) {
				io.WriteString(c, "HTTP/1.1 200 OK\r\nAccess-Control-Allow-Origin: *\r\nContent-Length: 100\r\n\r\n0123456789")
			})
		},
		midBody: true,
		cause:   "upstream localhost:8000 broke off the response body after 10 bytes: unexpected EOF",
	},
	{
		name: "closes in the middle of a chunked body",
		origin: func(t testing.TB) string {
			return faulttest.Origin(t, func(c *net.TCPConn, _ <-chan struct{}) {
				io.WriteString(c, "HTTP/1.1 200 OK\r\nAccess-Control-Allow-Origin: *\r\nTransfer-Encoding: chunked\r\n\r\na\r\n0123456789\r\n")
			})
		},
		midBody: true,
		cause:   "upstream localhost:8000 broke off the response body after 10 bytes: unexpected EOF",
	},
	{
		name: "hangs in the middle of a body",
		origin: func(t testing.TB) string {
			return faulttest.Origin(t, func(c *net.TCPConn, done <-chan struct{}) {
				io.WriteString(c, "HTTP/1.1 200 OK\r\nAccess-Control-Allow-Origin: *\r\nContent-Length: 100\r\n\r\n0123456789")
				<-done
			})
		},
		midBody: true,
		cause:   "upstream localhost:8000: response body not complete within 300ms (10 bytes read)",
	},
	{
		name: "resets in the middle of a body",
		origin: func(t testing.TB) string {
			return faulttest.Origin(t, func(c *net.TCPConn, _ <-chan struct{}) {
				io.WriteString(c, "HTTP/1.1 200 OK\r\nAccess-Control-Allow-Origin: *\r\nContent-Length: 100\r\n\r\n0123456789")
				faulttest.Reset(c)
			})
		},
		midBody: true,
		cause:   "upstream localhost:8000 broke off the response body after",
	},
}

// faultClient sends through rec with a transport of its own: its first
// request opens a new connection, so no retry on a reused connection
// repeats a failure. It keeps connections alive, as browsers do: the
// proxy must end a connection that the client would keep.
func faultClient(t testing.TB, rec *Recorder) *http.Client {
	t.Helper()
	u, err := url.Parse(rec.URL())
	require.NoError(t, err)
	tr := &http.Transport{Proxy: http.ProxyURL(u), DisableCompression: true}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 10 * time.Second}
}

// TestOriginFaultsAreClientNetworkErrors: whatever way the origin fails,
// the client sees its connection fail (never martian's 502, never a hang),
// nothing is recorded, and Failures names the host and the cause.
func TestOriginFaultsAreClientNetworkErrors(t *testing.T) {
	t.Parallel()
	for _, tt := range faults {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			logs := &logSink{}
			rec := startRecorder(t, Config{
				Upstreams:       map[string]string{"localhost:8000": tt.origin(t)},
				UpstreamTimeout: 300 * time.Millisecond,
				Logger:          slog.New(logs),
			})
			res, err := faultClient(t, rec).Get("http://localhost:8000/api")
			if tt.midBody {
				require.NoError(t, err, "the response head arrives")
				assert.Equal(t, 200, res.StatusCode)
				b, err := io.ReadAll(res.Body)
				res.Body.Close()
				require.Error(t, err, "the body breaks off as the origin's did")
				assert.Equal(t, "0123456789", string(b), "the client gets the bytes the origin sent")
			} else {
				if err == nil {
					res.Body.Close()
					t.Fatalf("got %s (Warning %q), want a transport error", res.Status, res.Header.Get("Warning"))
				}
			}
			require.NoError(t, rec.Close())
			assert.Empty(t, rec.Interactions(), "a failed exchange is not recorded")
			fs := rec.Failures()
			require.Len(t, fs, 1)
			t.Log(fs[0])
			assert.Equal(t, "GET", fs[0].Method)
			assert.Equal(t, "http://localhost:8000/api", fs[0].URL)
			assert.Equal(t, "localhost:8000", fs[0].Host)
			assert.Contains(t, fs[0].Error(), tt.cause)
			assert.True(t, strings.HasPrefix(fs[0].Error(), "GET http://localhost:8000/api: upstream localhost:8000"), fs[0].Error())
			assert.Contains(t, strings.Join(logs.messages(), "\n"), "upstream exchange failed") // at debug level
		})
	}
}

// TestOriginFaultsWithoutRecordingStillCloseTheClient: a host that is not
// recorded fails the client's connection the same way, and is no Failure.
func TestOriginFaultsWithoutRecordingStillCloseTheClient(t *testing.T) {
	t.Parallel()
	rec := startRecorder(t, Config{
		Hosts:     []string{"localhost:9999"},
		Upstreams: map[string]string{"localhost:8000": closedAddr(t)},
	})
	res, err := faultClient(t, rec).Get("http://localhost:8000/api")
	if err == nil {
		res.Body.Close()
		t.Fatalf("got %s, want a transport error", res.Status)
	}
	require.NoError(t, rec.Close())
	assert.Empty(t, rec.Failures())
}

// TestHTTPSUntrustedOriginIsAFailure: an https origin whose certificate
// the recorder cannot verify fails the client's TLS connection and is a
// Failure with the x509 cause.
func TestHTTPSUntrustedOriginIsAFailure(t *testing.T) {
	t.Parallel()
	srv, _ := tlsUpstream(t, corsHandler)
	authCA := newCA(t)
	rec := startRecorder(t, Config{
		Upstreams: map[string]string{"api.example.com": strings.TrimPrefix(srv.URL, "https://")},
		CA:        authCA,
		// UpstreamRootCAs nil: the system roots do not know the origin's CA.
	})
	client := httpsClient(t, rec, authCA.Pool(), false)
	res, err := client.Get("https://api.example.com/")
	if err == nil {
		res.Body.Close()
		t.Fatalf("got %s, want a transport error", res.Status)
	}
	require.NoError(t, rec.Close())
	assert.Empty(t, rec.Interactions())
	fs := rec.Failures()
	require.Len(t, fs, 1)
	assert.Equal(t, "api.example.com:443", fs[0].Host)
	assert.Contains(t, fs[0].Error(), "GET https://api.example.com/: upstream api.example.com:443: TLS handshake failed: ")
	assert.Contains(t, fs[0].Error(), "x509: certificate signed by unknown authority")
}

// TestOriginFaultsLeakNothing must not run in parallel: it counts
// goroutines after every fault has gone through one recorder.
func TestOriginFaultsLeakNothing(t *testing.T) {
	origins := map[string]string{}
	for i, tt := range faults {
		origins["host"+string(rune('a'+i))+".test:80"] = tt.origin(t)
	}
	base := runtime.NumGoroutine()

	rec, err := Start(Config{Upstreams: origins, UpstreamTimeout: 300 * time.Millisecond})
	require.NoError(t, err)
	u, err := url.Parse(rec.URL())
	require.NoError(t, err)
	tr := &http.Transport{Proxy: http.ProxyURL(u), DisableKeepAlives: true}
	client := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	for h := range origins {
		res, err := client.Get("http://" + strings.TrimSuffix(h, ":80") + "/")
		if err == nil {
			io.Copy(io.Discard, res.Body)
			res.Body.Close()
		}
	}
	require.NoError(t, rec.Close())
	assert.Len(t, rec.Failures(), len(faults))
	tr.CloseIdleConnections()

	// The hanging origins still hold their connections until the test
	// ends.
	want := base
	for _, tt := range faults {
		if strings.HasPrefix(tt.name, "hangs") {
			want++
		}
	}
	if n := waitGoroutines(want, time.Now().Add(10*time.Second)); n > want {
		buf := make([]byte, 1<<20)
		t.Fatalf("%d goroutines, want at most %d:\n%s", n, want, buf[:runtime.Stack(buf, true)])
	}
}

// An origin that hangs on a pooled connection, after answering on it:
// the exchange fails at its deadline as a timeout, and net/http does not
// send the request again on another connection (the watchdog ends the
// exchange's context before it expires the connection).
func TestHangOnPooledConnection(t *testing.T) {
	t.Parallel()
	var hangs atomic.Int32
	origin := faulttest.Raw(t, func(c *net.TCPConn, br *bufio.Reader, done <-chan struct{}) {
		for {
			req, err := http.ReadRequest(br)
			if err != nil {
				return
			}
			if req.URL.Path == "/hang" {
				hangs.Add(1)
				<-done
				return
			}
			io.WriteString(c, "HTTP/1.1 200 OK\r\nAccess-Control-Allow-Origin: *\r\nContent-Length: 2\r\n\r\nok")
		}
	})
	rec := startRecorder(t, Config{
		Upstreams:       map[string]string{"localhost:8000": origin},
		UpstreamTimeout: 300 * time.Millisecond,
	})
	res, body := do(t, faultClient(t, rec), "GET", "http://localhost:8000/ok", nil)
	require.Equal(t, "ok", string(body))
	require.Equal(t, 200, res.StatusCode)
	// A client connection of its own (a client retries a request on a
	// reused connection that closes unanswered), the origin connection
	// the first exchange left in the pool.
	if res, err := faultClient(t, rec).Get("http://localhost:8000/hang"); err == nil {
		res.Body.Close()
		t.Fatalf("got %s, want a transport error", res.Status)
	}
	require.NoError(t, rec.Close())
	fs := rec.Failures()
	require.Len(t, fs, 1)
	assert.Contains(t, fs[0].Error(), "upstream localhost:8000: no response within 300ms")
	assert.NotContains(t, fs[0].Error(), "dial")
	assert.Equal(t, int32(1), hangs.Load(), "the origin got the request once")
}
