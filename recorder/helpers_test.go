package recorder

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/corsvcr/corsvcr/cassettes"
)

// startRecorder starts a Recorder that is closed when the test ends.
func startRecorder(t testing.TB, cfg Config) *Recorder {
	t.Helper()
	rec, err := Start(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, rec.Close()) })
	return rec
}

// proxyClient returns a client that sends everything through rec and leaves
// Accept-Encoding and bodies to the caller.
func proxyClient(t testing.TB, rec *Recorder) *http.Client {
	t.Helper()
	u, err := url.Parse(rec.URL())
	require.NoError(t, err)
	tr := &http.Transport{Proxy: http.ProxyURL(u), DisableCompression: true}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 30 * time.Second}
}

// upstream starts an origin server on 127.0.0.1 closed when the test ends.
func upstream(t testing.TB, h http.HandlerFunc) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

// authority is the host:port of an httptest server.
func authority(srv *httptest.Server) string {
	return strings.TrimPrefix(srv.URL, "http://")
}

// do sends a request through client and returns the response with its body
// read.
func do(t testing.TB, client *http.Client, method, rawURL string, body io.Reader, hdr ...string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, rawURL, body)
	require.NoError(t, err)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Add(hdr[i], hdr[i+1])
	}
	res, err := client.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return res, b
}

// rawConn is a client connection to the proxy written byte for byte.
type rawConn struct {
	t  testing.TB
	c  net.Conn
	br *bufio.Reader
}

func dialRaw(t testing.TB, rec *Recorder) *rawConn {
	t.Helper()
	c, err := net.Dial("tcp", strings.TrimPrefix(rec.URL(), "http://"))
	require.NoError(t, err)
	require.NoError(t, c.SetDeadline(time.Now().Add(30*time.Second)))
	t.Cleanup(func() { c.Close() })
	return &rawConn{t: t, c: c, br: bufio.NewReader(c)}
}

// send writes raw bytes.
func (rc *rawConn) send(raw string) {
	rc.t.Helper()
	_, err := io.WriteString(rc.c, raw)
	require.NoError(rc.t, err)
}

// response reads one response to a request with the given method.
func (rc *rawConn) response(method string) (*http.Response, []byte) {
	rc.t.Helper()
	res, err := http.ReadResponse(rc.br, &http.Request{Method: method})
	require.NoError(rc.t, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	require.NoError(rc.t, err)
	return res, b
}

// logSink collects log records.
type logSink struct {
	mu   sync.Mutex
	msgs []string
}

func (s *logSink) Enabled(context.Context, slog.Level) bool { return true }
func (s *logSink) WithAttrs([]slog.Attr) slog.Handler       { return s }
func (s *logSink) WithGroup(string) slog.Handler            { return s }
func (s *logSink) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	b.WriteString(r.Message)
	r.Attrs(func(a slog.Attr) bool {
		b.WriteString(" " + a.String())
		return true
	})
	s.mu.Lock()
	s.msgs = append(s.msgs, b.String())
	s.mu.Unlock()
	return nil
}

func (s *logSink) messages() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.msgs)
}

// names lists header names in order.
func names(h cassettes.Headers) []string {
	var out []string
	for _, f := range h {
		out = append(out, f.Name)
	}
	return out
}

// hasHeader reports whether h has a line named name (any case).
func hasHeader(h cassettes.Headers, name string) bool {
	_, ok := h.Get(name)
	return ok
}
