package replay

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func newServer(t *testing.T, cfg Config) *Server {
	t.Helper()
	s, err := NewServer(cfg, "")
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, s.Close()) })
	return s
}

// rawExchange sends a raw request to the server and returns the raw
// response head (status line and header lines, without the blank line) and
// body. The request must ask for Connection: close.
func rawExchange(t *testing.T, s *Server, rawReq string) (head []string, body []byte) {
	t.Helper()
	c, err := net.Dial("tcp", strings.TrimPrefix(s.URL(), "http://"))
	require.NoError(t, err)
	defer c.Close()
	_, err = io.WriteString(c, rawReq)
	require.NoError(t, err)
	all, err := io.ReadAll(c)
	require.NoError(t, err)
	h, b, ok := bytes.Cut(all, []byte("\r\n\r\n"))
	require.True(t, ok, "no end of header in %q", all)
	return strings.Split(string(h), "\r\n"), b
}

func gzipped(t *testing.T, s string) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	_, err := io.WriteString(zw, s)
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	return b.Bytes()
}

func TestServerWire(t *testing.T) {
	t.Parallel()
	gz := gzipped(t, `{"items":[]}`)
	in := ia("GET", api+"/data", []string{"Origin: " + app}, 200, "",
		"Access-Control-Allow-Origin: "+app,
		"Access-Control-Allow-Origin: "+app,
		"vary: Origin",
		"Vary: Accept-Encoding",
		"content-encoding: gzip",
		"X-Thing: 1",
	)
	in.Response.Body = gz
	s := newServer(t, Config{Cassette: cassette(in)})

	head, body := rawExchange(t, s, "GET "+api+"/data HTTP/1.1\r\nHost: api.test:8000\r\nOrigin: "+app+"\r\n"+
		"Proxy-Connection: keep-alive\r\nConnection: close\r\n\r\n")
	assert.Equal(t, "HTTP/1.1 200 OK", head[0])
	count := func(line string) int {
		n := 0
		for _, l := range head[1:] {
			if l == line {
				n++
			}
		}
		return n
	}
	assert.Equal(t, 2, count("Access-Control-Allow-Origin: "+app), "duplicate ACAO lines kept:\n%s", strings.Join(head, "\n"))
	// "vary" then "Vary": served in sorted spellings they would join as
	// "Accept-Encoding, Origin"; one field in the first spelling keeps the
	// recorded order.
	assert.Equal(t, 1, count("vary: Origin"))
	assert.Equal(t, 1, count("vary: Accept-Encoding"))
	assert.Less(t, slices.Index(head, "vary: Origin"), slices.Index(head, "vary: Accept-Encoding"), "recorded order")
	assert.Equal(t, 1, count("content-encoding: gzip"))
	assert.Equal(t, 1, count("Content-Length: "+strconv.Itoa(len(gz))))
	for _, l := range head[1:] {
		name, _, _ := strings.Cut(l, ":")
		assert.NotContains(t, []string{"date", "content-type", "transfer-encoding"}, strings.ToLower(name), "added header %q", l)
	}
	assert.Equal(t, gz, body, "gzip body served untouched")
	zr, err := gzip.NewReader(bytes.NewReader(body))
	require.NoError(t, err)
	plain, err := io.ReadAll(zr)
	require.NoError(t, err)
	assert.Equal(t, `{"items":[]}`, string(plain))

	assert.Equal(t, []int{1}, s.Uses())
	assert.Empty(t, s.Journal(), "hits are counted, not journaled")
}

func TestServerAsProxy(t *testing.T) {
	t.Parallel()
	s := newServer(t, Config{Cassette: cassette(
		ia("OPTIONS", api+"/items", []string{"Origin: " + app, "Access-Control-Request-Method: PUT"}, 204, "",
			"Access-Control-Allow-Origin: "+app, "Access-Control-Allow-Methods: PUT"),
		ia("PUT", api+"/items", []string{"Origin: " + app}, 200, "saved", "Access-Control-Allow-Origin: "+app),
	)})
	proxy, err := url.Parse(s.URL())
	require.NoError(t, err)
	tr := &http.Transport{Proxy: http.ProxyURL(proxy)}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}

	do := func(method string, h ...string) (*http.Response, string) {
		req, err := http.NewRequest(method, api+"/items", nil)
		require.NoError(t, err)
		for _, f := range hs(h...) {
			req.Header.Add(f.Name, f.Value)
		}
		resp, err := client.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return resp, string(b)
	}
	resp, _ := do("OPTIONS", "Origin: "+app, "Access-Control-Request-Method: PUT")
	assert.Equal(t, 204, resp.StatusCode)
	assert.Equal(t, "PUT", resp.Header.Get("Access-Control-Allow-Methods"))
	resp, body := do("PUT", "Origin: "+app)
	assert.Equal(t, 200, resp.StatusCode)
	assert.Equal(t, "saved", body)
	resp, body = do("DELETE", "Origin: "+app)
	assert.Equal(t, MissStatus, resp.StatusCode)
	assert.Equal(t, app, resp.Header.Get("Access-Control-Allow-Origin"))
	assert.Contains(t, body, `closest #1 differs in method: "DELETE" != "PUT"`)
	assert.Equal(t, Stats{Hits: 2, Misses: 1}, s.Stats())
	assert.Len(t, s.Journal(), 1)
}

func TestServerCloseWaits(t *testing.T) {
	t.Parallel()
	entered, release := make(chan struct{}), make(chan struct{})
	var finished atomic.Bool
	s, err := NewServer(Config{
		Cassette: cassette(),
		Intercept: func(*http.Request) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				close(entered)
				<-release
				_, _ = io.WriteString(w, "late")
				finished.Store(true)
			})
		},
	}, "")
	require.NoError(t, err)
	addr := strings.TrimPrefix(s.URL(), "http://")

	c, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	defer c.Close()
	_, err = io.WriteString(c, "GET http://a.test/slow HTTP/1.1\r\nHost: a.test\r\n\r\n")
	require.NoError(t, err)
	<-entered

	closed := make(chan bool)
	go func() {
		assert.NoError(t, s.Close())
		closed <- finished.Load()
	}()
	// Close stops accepting before it waits: poll until dialing fails.
	for {
		c2, err := net.Dial("tcp", addr)
		if err != nil {
			break
		}
		c2.Close()
	}
	close(release)
	assert.True(t, <-closed, "Close returned before the in-flight request finished")

	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	require.NoError(t, err)
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	assert.Equal(t, "late", string(b))
	assert.NoError(t, s.Close(), "second Close")
}

func TestNewServerAddr(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		addr    string
		wantErr string
	}{
		{name: "default", addr: ""},
		{name: "empty host", addr: ":0"},
		{name: "localhost", addr: "localhost:0"},
		{name: "ipv4 loopback", addr: "127.0.0.1:0"},
		{name: "all interfaces", addr: "0.0.0.0:0", wantErr: `replay: listen address "0.0.0.0:0": not a loopback address`},
		{name: "no port", addr: "127.0.0.1", wantErr: `replay: listen address "127.0.0.1": address 127.0.0.1: missing port in address`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, err := NewServer(Config{Cassette: cassette()}, tt.addr)
			if tt.wantErr != "" {
				require.EqualError(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			host, _, err := net.SplitHostPort(strings.TrimPrefix(s.URL(), "http://"))
			require.NoError(t, err)
			assert.True(t, net.ParseIP(host).IsLoopback(), "listening on %s", host)
			assert.NoError(t, s.Close())
		})
	}
	_, err := NewServer(Config{}, "")
	assert.EqualError(t, err, "replay: config: nil cassette")
}
