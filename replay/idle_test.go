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
	assert.Equal(t, DefaultIdleTimeout, s.srv.IdleTimeout)
	assert.Equal(t, DefaultReadHeaderTimeout, s.srv.ReadHeaderTimeout)
	s2, err := NewServer(Config{Cassette: benchCassette(1)}, "", WithReadHeaderTimeout(time.Second))
	require.NoError(t, err)
	defer s2.Close()
	assert.Equal(t, time.Second, s2.srv.ReadHeaderTimeout)
}
