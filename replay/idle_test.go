package replay

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestServerClosesIdleConnections: keep-alive connections left idle are
// closed by the server after the idle timeout (the client sees EOF), not
// held for as long as the server runs.
func TestServerClosesIdleConnections(t *testing.T) {
	t.Parallel()
	s, err := NewServer(Config{Cassette: benchCassette(1)}, "", WithIdleTimeout(100*time.Millisecond))
	require.NoError(t, err)
	defer s.Close()
	addr := s.URL()[len("http://"):]
	const conns = 5
	var cs []net.Conn
	for range conns {
		c, err := net.Dial("tcp", addr)
		require.NoError(t, err)
		defer c.Close()
		cs = append(cs, c)
	}
	for _, c := range cs {
		// One request, keep-alive: the connection is then idle.
		_, err := io.WriteString(c, "PUT "+api+"/api/v1/items/0?page=2 HTTP/1.1\r\nHost: localhost:8000\r\nOrigin: "+app+"\r\nCookie: s=1\r\nContent-Type: application/json\r\nContent-Length: 0\r\n\r\n")
		require.NoError(t, err)
		br := bufio.NewReader(c)
		resp, err := http.ReadResponse(br, nil)
		require.NoError(t, err)
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		assert.Equal(t, 200, resp.StatusCode)
		// The server closes it: EOF well before the deadline, which only
		// bounds a failing test.
		require.NoError(t, c.SetReadDeadline(time.Now().Add(10*time.Second)))
		n, err := br.ReadByte()
		assert.ErrorIs(t, err, io.EOF, "idle connection still open (read %q)", n)
	}
}

// TestServerIdleTimeoutDefault: the timeouts default to the documented
// values, and a non-positive option keeps them.
func TestServerIdleTimeoutDefault(t *testing.T) {
	t.Parallel()
	s, err := NewServer(Config{Cassette: benchCassette(1)}, "", WithIdleTimeout(0), WithReadHeaderTimeout(-1))
	require.NoError(t, err)
	defer s.Close()
	assert.Equal(t, DefaultIdleTimeout, s.track.idle)
	assert.Equal(t, DefaultReadHeaderTimeout, s.track.header)
	s2, err := NewServer(Config{Cassette: benchCassette(1)}, "", WithReadHeaderTimeout(time.Second))
	require.NoError(t, err)
	defer s2.Close()
	assert.Equal(t, time.Second, s2.track.header)
}

// TestServerReadHeaderTimeout: a request header that does not arrive in
// full within the read-header timeout gets its connection closed, on a new
// connection and on a kept-alive one whose idle timeout is far off (its
// next request's first bytes start the header timeout).
func TestServerReadHeaderTimeout(t *testing.T) {
	t.Parallel()
	s, err := NewServer(Config{Cassette: benchCassette(1)}, "", WithIdleTimeout(time.Hour), WithReadHeaderTimeout(100*time.Millisecond))
	require.NoError(t, err)
	defer s.Close()
	addr := s.URL()[len("http://"):]
	const req = "PUT " + api + "/api/v1/items/0?page=2 HTTP/1.1\r\nHost: localhost:8000\r\nOrigin: " + app + "\r\nCookie: s=1\r\nContent-Type: application/json\r\nContent-Length: 0\r\n\r\n"
	const partial = "GET " + api + "/x HTTP/1.1\r\nHost: localhost:8000\r\n"
	closed := func(t *testing.T, c net.Conn, br *bufio.Reader) {
		t.Helper()
		// EOF well before the deadline, which only bounds a failing test.
		require.NoError(t, c.SetReadDeadline(time.Now().Add(10*time.Second)))
		n, err := br.ReadByte()
		assert.ErrorIs(t, err, io.EOF, "connection with a stalled header still open (read %q)", n)
	}
	t.Run("new connection", func(t *testing.T) {
		c, err := net.Dial("tcp", addr)
		require.NoError(t, err)
		defer c.Close()
		_, err = io.WriteString(c, partial)
		require.NoError(t, err)
		closed(t, c, bufio.NewReader(c))
	})
	t.Run("kept-alive connection", func(t *testing.T) {
		c, err := net.Dial("tcp", addr)
		require.NoError(t, err)
		defer c.Close()
		br := bufio.NewReader(c)
		_, err = io.WriteString(c, req)
		require.NoError(t, err)
		resp, err := http.ReadResponse(br, nil)
		require.NoError(t, err)
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		require.Equal(t, 200, resp.StatusCode)
		_, err = io.WriteString(c, partial)
		require.NoError(t, err)
		closed(t, c, br)
	})
}

// TestServerKeepsActiveConnections: a connection serving a request is not
// closed by the timeouts however long the request takes.
func TestServerKeepsActiveConnections(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	started := make(chan struct{})
	s, err := NewServer(Config{
		Cassette: benchCassette(1),
		Intercept: func(r *http.Request) http.Handler {
			if r.URL.Path != "/slow" {
				return nil
			}
			return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				close(started)
				<-release
				_, _ = io.WriteString(w, "done")
			})
		},
	}, "", WithIdleTimeout(time.Hour), WithReadHeaderTimeout(20*time.Millisecond))
	require.NoError(t, err)
	defer s.Close()
	c, err := net.Dial("tcp", s.URL()[len("http://"):])
	require.NoError(t, err)
	defer c.Close()
	_, err = io.WriteString(c, "GET http://a.test/slow HTTP/1.1\r\nHost: a.test\r\n\r\n")
	require.NoError(t, err)
	<-started
	// A sweep an hour later, while the request is served, leaves it be.
	tc := func() *trackedConn {
		s.track.mu.Lock()
		defer s.track.mu.Unlock()
		for c := range s.track.conns {
			return c
		}
		return nil
	}()
	require.NotNil(t, tc)
	assert.Equal(t, phaseActive, tc.phase.Load())
	s.track.sweepAt(s.track.now() + int64(time.Hour))
	close(release)
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	require.NoError(t, err)
	b, _ := io.ReadAll(resp.Body)
	assert.Equal(t, "done", string(b))
}
