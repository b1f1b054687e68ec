package vcr

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRelay: the relay pipes bytes both ways to its target, and Close ends
// the connections still open instead of waiting for their clients.
func TestRelay(t *testing.T) {
	t.Parallel()
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "hello from "+r.URL.Path)
	}))
	defer target.Close()
	rl, err := startRelay("127.0.0.2:0", strings.TrimPrefix(target.URL, "http://"))
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(rl.URL(), "http://127.0.0.2:"), rl.URL())

	resp, err := http.Get(rl.URL() + "/x")
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, "hello from /x", string(body))

	idle, err := net.Dial("tcp", strings.TrimPrefix(rl.URL(), "http://"))
	require.NoError(t, err)
	defer idle.Close()
	idle.Write([]byte("GET /y HTTP/1.1\r\nHost: x\r\n\r\n")) // keep-alive: the connection stays open
	buf := make([]byte, 512)
	n, err := idle.Read(buf)
	require.NoError(t, err)
	assert.Contains(t, string(buf[:n]), "hello from /y")

	rl.Close() // must not wait for the idle client
	_, err = io.ReadAll(idle)
	assert.NoError(t, err, "the relayed connection ends at Close")
	_, err = net.Dial("tcp", strings.TrimPrefix(rl.URL(), "http://"))
	assert.Error(t, err, "the relay still accepts after Close")
	http.DefaultClient.CloseIdleConnections()
}

func TestListenConfig(t *testing.T) {
	t.Parallel()
	tests := []struct {
		addr     string
		wantErr  string
		loopback bool
	}{
		{addr: "127.0.0.1:0", loopback: true},
		{addr: "localhost:9000", loopback: true},
		{addr: "[::1]:0", loopback: true},
		{addr: "192.168.1.5:0"},
		{addr: "ci-runner.internal:8080"},
		{addr: "0.0.0.0:9000", wantErr: `vcr: config: listen "0.0.0.0:9000": an unspecified host is no address to give the browser`},
		{addr: "[::]:9000", wantErr: "an unspecified host"},
		{addr: ":9000", wantErr: "an unspecified host"},
		{addr: "192.168.1.5", wantErr: `vcr: config: listen "192.168.1.5": want HOST:PORT`},
	}
	for _, tt := range tests {
		_, err := New(Config{Listen: tt.addr})
		if tt.wantErr != "" {
			require.Error(t, err, tt.addr)
			assert.Contains(t, err.Error(), tt.wantErr)
			assert.ErrorIs(t, err, ErrListenAddr)
			continue
		}
		require.NoError(t, err, tt.addr)
		assert.Equal(t, tt.loopback, IsLoopback(tt.addr), tt.addr)
	}
	assert.True(t, IsLoopback(""))
}
