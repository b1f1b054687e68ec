package replay

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/corsvcr/corsvcr/ca"
)

const (
	sapi = "https://api.example.com"
	sapp = "https://app.example.com"
)

func newCA(t testing.TB) *ca.CA {
	t.Helper()
	c, err := ca.New()
	require.NoError(t, err)
	return c
}

func newTLSServer(t *testing.T, cfg Config, c *ca.CA) *Server {
	t.Helper()
	s, err := NewServer(cfg, "", WithCA(c))
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, s.Close()) })
	return s
}

// proxiedClient sends everything through s and trusts roots; h2 makes it
// offer HTTP/2 first.
func proxiedClient(t *testing.T, s *Server, roots *x509.CertPool, h2 bool) *http.Client {
	t.Helper()
	u, err := url.Parse(s.URL())
	require.NoError(t, err)
	tr := &http.Transport{
		Proxy:              http.ProxyURL(u),
		TLSClientConfig:    &tls.Config{RootCAs: roots},
		ForceAttemptHTTP2:  h2,
		DisableCompression: true,
	}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 30 * time.Second}
}

func get(t *testing.T, c *http.Client, method, rawURL string, headers ...string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, rawURL, nil)
	require.NoError(t, err)
	for _, f := range hs(headers...) {
		req.Header.Add(f.Name, f.Value)
	}
	res, err := c.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return res, string(b)
}

func TestHTTPSReplay(t *testing.T) {
	t.Parallel()
	cas := cassette(
		ia("OPTIONS", sapi+"/items", []string{"Origin: " + sapp, "Access-Control-Request-Method: PUT"}, 204, "",
			"Access-Control-Allow-Origin: "+sapp, "Access-Control-Allow-Credentials: true", "Access-Control-Allow-Methods: PUT"),
		ia("PUT", sapi+"/items", []string{"Origin: " + sapp, "Cookie: sid=1"}, 200, `{"ok":true}`,
			"Access-Control-Allow-Origin: "+sapp, "Access-Control-Allow-Credentials: true",
			"Set-Cookie: sid=2; Path=/; Secure; SameSite=None; HttpOnly"),
	)
	tests := []struct {
		name string
		h2   bool
	}{
		{name: "http/1.1 client"},
		{name: "client offering h2 gets http/1.1", h2: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := newCA(t)
			s := newTLSServer(t, Config{Cassette: cas}, c)
			client := proxiedClient(t, s, c.Pool(), tt.h2)

			res, _ := get(t, client, "OPTIONS", sapi+"/items", "Origin: "+sapp, "Access-Control-Request-Method: PUT")
			assert.Equal(t, 204, res.StatusCode)
			assert.Equal(t, 1, res.ProtoMajor)
			require.NotNil(t, res.TLS)
			assert.NotEqual(t, "h2", res.TLS.NegotiatedProtocol)
			assert.Equal(t, []string{"api.example.com"}, res.TLS.PeerCertificates[0].DNSNames)
			res, body := get(t, client, "PUT", sapi+"/items", "Origin: "+sapp, "Cookie: sid=1")
			assert.Equal(t, 200, res.StatusCode)
			assert.Equal(t, `{"ok":true}`, body)
			assert.Equal(t, "sid=2; Path=/; Secure; SameSite=None; HttpOnly", res.Header.Get("Set-Cookie"))

			assert.Equal(t, []int{1, 1}, s.Uses())
			assert.Empty(t, s.Journal())
		})
	}
}

func TestHTTPSMissAndIntercept(t *testing.T) {
	t.Parallel()
	c := newCA(t)
	s := newTLSServer(t, Config{
		Cassette: cassette(ia("GET", sapi+"/a", nil, 200, "a")),
		Intercept: func(r *http.Request) http.Handler {
			if !strings.HasPrefix(r.URL.Path, "/__corsvcr__/") {
				return nil
			}
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				fmt.Fprintf(w, "%s %v", r.URL.String(), r.TLS != nil)
			})
		},
	}, c)
	client := proxiedClient(t, s, c.Pool(), false)
	_, body := get(t, client, "GET", sapp+"/__corsvcr__/page")
	assert.Equal(t, sapp+"/__corsvcr__/page true", body, "intercepted at the https origin")

	res, _ := get(t, client, "GET", sapi+":8443/a", "Origin: "+sapp)
	assert.Equal(t, MissStatus, res.StatusCode)
	assert.Contains(t, res.Header.Get(MissHeader), "no recorded interaction for GET "+sapi+":8443/a")
	j := s.Journal()
	require.Len(t, j, 1)
	require.NotNil(t, j[0].Miss)
	assert.Equal(t, "URL", j[0].Miss.Field)
	assert.Equal(t, sapi+"/a", j[0].Miss.Want)
}

func TestHTTPSHandshakeFailuresJournaled(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		send func(t *testing.T, conn net.Conn) // returns once the server is done with conn, or hangs up
		want string
	}{
		{
			name: "client does not trust the CA",
			send: func(t *testing.T, conn net.Conn) {
				err := tls.Client(conn, &tls.Config{ServerName: "api.example.com", RootCAs: newCA(t).Pool()}).Handshake()
				assert.ErrorContains(t, err, "certificate signed by unknown authority")
				io.Copy(io.Discard, conn) // until the server, done with the handshake, hangs up
			},
			want: "TLS handshake failed: remote error: tls: bad certificate; the client must trust the corsvcr CA (Chrome: --ignore-certificate-errors-spki-list=",
		},
		{
			name: "plain HTTP inside the tunnel",
			send: func(t *testing.T, conn net.Conn) {
				io.WriteString(conn, "GET / HTTP/1.1\r\nHost: api.example.com\r\n\r\n")
				io.Copy(io.Discard, conn)
			},
			want: "only TLS is replayed inside CONNECT",
		},
		{
			name: "client hangs up",
			send: func(t *testing.T, conn net.Conn) {},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newTLSServer(t, Config{Cassette: cassette()}, newCA(t))
			conn := connect(t, s, "api.example.com:443")
			tt.send(t, conn)
			conn.Close()
			require.NoError(t, s.Close()) // waits for the tunnel
			j := s.Journal()
			if tt.want == "" {
				assert.Empty(t, j)
				return
			}
			require.Len(t, j, 1)
			require.NotNil(t, j[0].Miss)
			assert.Equal(t, "CONNECT", j[0].Method)
			assert.Equal(t, "api.example.com:443", j[0].URL)
			assert.Contains(t, j[0].Miss.Error(), tt.want)
		})
	}
}

// connect opens a CONNECT tunnel through s by hand.
func connect(t *testing.T, s *Server, authority string) net.Conn {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(s.URL(), "http://"))
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() })
	require.NoError(t, conn.SetDeadline(time.Now().Add(30*time.Second)))
	_, err = fmt.Fprintf(conn, "CONNECT %s HTTP/1.1\r\nHost: %s\r\n\r\n", authority, authority)
	require.NoError(t, err)
	br := bufio.NewReader(conn)
	res, err := http.ReadResponse(br, &http.Request{Method: "CONNECT"})
	require.NoError(t, err)
	require.Equal(t, 200, res.StatusCode)
	require.Zero(t, br.Buffered())
	return conn
}

func TestHTTPSForwardsMissesWithHTTPSURLs(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var got []string
	fwd := roundTripFunc(func(req *http.Request) (*http.Response, error) {
		mu.Lock()
		got = append(got, req.Method+" "+req.URL.String()+" host="+req.Host)
		mu.Unlock()
		return &http.Response{StatusCode: 200, Header: http.Header{"X-Live": {"1"}}, Body: io.NopCloser(strings.NewReader("live")), ContentLength: 4}, nil
	})
	c := newCA(t)
	s := newTLSServer(t, Config{Cassette: cassette(), Forward: fwd}, c)
	res, body := get(t, proxiedClient(t, s, c.Pool(), false), "GET", sapi+"/new?q=1", "Origin: "+sapp)
	assert.Equal(t, 200, res.StatusCode)
	assert.Equal(t, "live", body)
	assert.Equal(t, []string{"GET " + sapi + "/new?q=1 host="}, got, "outbound URL is https at the CONNECT host, default port dropped")
	j := s.Journal()
	require.Len(t, j, 1)
	assert.True(t, j[0].Forwarded)
}

func TestHTTPSCloseCutsStalledHandshakes(t *testing.T) {
	t.Parallel()
	c := newCA(t)
	s, err := NewServer(Config{Cassette: cassette(ia("GET", sapi+"/a", nil, 200, "a"))}, "", WithCA(c))
	require.NoError(t, err)
	// An idle keep-alive tunnel and a tunnel that never starts TLS.
	client := proxiedClient(t, s, c.Pool(), false)
	_, body := get(t, client, "GET", sapi+"/a")
	require.Equal(t, "a", body)
	stalled := connect(t, s, "api.example.com:443")

	start := time.Now()
	require.NoError(t, s.Close())
	assert.Less(t, time.Since(start), handshakeTimeout, "Close did not wait for the stalled handshake")
	require.NoError(t, stalled.SetReadDeadline(time.Now().Add(5*time.Second)))
	_, err = stalled.Read(make([]byte, 1))
	assert.ErrorIs(t, err, io.EOF, "stalled tunnel closed by Close")
}

func TestWithoutCAConnectIsAMiss(t *testing.T) {
	t.Parallel()
	s := newServer(t, Config{Cassette: cassette()})
	_, err := proxiedClient(t, s, newCA(t).Pool(), false).Get(sapi + "/a")
	require.Error(t, err)
	j := s.Journal()
	require.Len(t, j, 1)
	assert.Contains(t, j[0].Miss.Error(), "not enabled (replay.WithCA)")
}
