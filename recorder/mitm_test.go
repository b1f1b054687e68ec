package recorder

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/corsvcr/corsvcr/ca"
	"github.com/corsvcr/corsvcr/cassettes"
)

// newCA returns an in-memory certificate authority.
func newCA(t testing.TB) *ca.CA {
	t.Helper()
	c, err := ca.New()
	require.NoError(t, err)
	return c
}

// tlsUpstream starts an HTTPS origin on 127.0.0.1 whose certificate, for
// names, is signed by the returned authority (not the recorder's).
func tlsUpstream(t testing.TB, h http.HandlerFunc) (*httptest.Server, *x509.CertPool) {
	t.Helper()
	upCA := newCA(t)
	srv := httptest.NewUnstartedServer(h)
	srv.TLS = &tls.Config{GetCertificate: func(hi *tls.ClientHelloInfo) (*tls.Certificate, error) {
		return upCA.Leaf(hi.ServerName)
	}}
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // handshake failures are expected in some tests
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv, upCA.Pool()
}

// httpsClient sends everything through rec and trusts roots; h2 makes it
// offer HTTP/2 first in ALPN.
func httpsClient(t testing.TB, rec *Recorder, roots *x509.CertPool, h2 bool) *http.Client {
	t.Helper()
	u, err := url.Parse(rec.URL())
	require.NoError(t, err)
	tr := &http.Transport{
		Proxy:              http.ProxyURL(u),
		DisableCompression: true,
		TLSClientConfig:    &tls.Config{RootCAs: roots},
		ForceAttemptHTTP2:  h2,
	}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 30 * time.Second}
}

func TestHTTPSRecordedThroughMITM(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		h2   bool // the client offers h2 first
	}{
		{name: "http/1.1 client"},
		{name: "client offering h2 still gets http/1.1 and is recorded", h2: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var mu sync.Mutex
			var seen []string
			srv, upRoots := tlsUpstream(t, func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				seen = append(seen, r.Host+" "+r.TLS.ServerName)
				mu.Unlock()
				corsHandler(w, r)
			})
			authCA := newCA(t)
			rec := startRecorder(t, Config{
				Hosts:           []string{"api.example.com"},
				Upstreams:       map[string]string{"api.example.com": authority(srv)[len("https://"):]},
				CA:              authCA,
				UpstreamRootCAs: upRoots,
			})
			client := httpsClient(t, rec, authCA.Pool(), tt.h2)

			res, _ := do(t, client, http.MethodOptions, "https://api.example.com/items", nil,
				"Origin", "https://app.example.com",
				"Access-Control-Request-Method", "PUT",
				"Access-Control-Request-Headers", "x-token")
			require.Equal(t, http.StatusNoContent, res.StatusCode)
			assert.Equal(t, 1, res.ProtoMajor, "HTTP/1.1 toward the client")
			require.NotNil(t, res.TLS)
			if tt.h2 {
				assert.Equal(t, "http/1.1", res.TLS.NegotiatedProtocol)
			}
			assert.Equal(t, authCA.Cert.Raw, res.TLS.PeerCertificates[len(res.TLS.PeerCertificates)-1].Raw, "leaf chained to the corsvcr CA")

			res, body := do(t, client, http.MethodPut, "https://api.example.com/items", strings.NewReader(`{"n":1}`),
				"Origin", "https://app.example.com", "X-Token", "t", "Cookie", "sid=1")
			require.Equal(t, http.StatusOK, res.StatusCode)
			assert.Equal(t, `{"ok":true}`, string(body))
			require.NoError(t, rec.Close())

			mu.Lock()
			assert.Equal(t, []string{"api.example.com api.example.com", "api.example.com api.example.com"}, seen,
				"the origin saw the browser's Host and SNI")
			mu.Unlock()
			got := rec.Interactions()
			require.Len(t, got, 2)
			assert.Equal(t, cassettes.KindPreflight, got[0].Kind)
			assert.Equal(t, "https://api.example.com/items", got[0].Request.URL)
			assert.Equal(t, []string{"https://app.example.com"}, got[0].Response.Headers.Values("Access-Control-Allow-Origin"))
			assert.Equal(t, cassettes.KindActual, got[1].Kind)
			assert.Equal(t, "https://api.example.com/items", got[1].Request.URL)
			assert.Equal(t, `{"n":1}`, string(got[1].Request.Body))
			assert.Equal(t, []string{"sid=1"}, got[1].Request.Headers.Values("Cookie"))
			assert.Equal(t, `{"ok":true}`, string(got[1].Response.Body))
		})
	}
}

func TestHTTPSResponseHeaderWireOrderKept(t *testing.T) {
	t.Parallel()
	upCA := newCA(t)
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{GetCertificate: func(hi *tls.ClientHelloInfo) (*tls.Certificate, error) {
		return upCA.Leaf(hi.ServerName)
	}})
	require.NoError(t, err)
	done := make(chan struct{})
	go func() {
		defer close(done)
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		if _, err := http.ReadRequest(bufio.NewReader(c)); err != nil {
			return
		}
		io.WriteString(c, "HTTP/1.1 200 OK\r\nx-zed: 1\r\naccess-control-allow-origin: *\r\nAccess-Control-Allow-Origin: https://app.example.com\r\nContent-Length: 2\r\n\r\nok")
	}()
	t.Cleanup(func() { ln.Close(); <-done })
	authCA := newCA(t)
	rec := startRecorder(t, Config{
		Upstreams:       map[string]string{"api.example.com:443": ln.Addr().String()},
		CA:              authCA,
		UpstreamRootCAs: upCA.Pool(),
	})
	res, body := do(t, httpsClient(t, rec, authCA.Pool(), false), "GET", "https://api.example.com/", nil)
	require.Equal(t, 200, res.StatusCode)
	assert.Equal(t, "ok", string(body))
	require.NoError(t, rec.Close())
	got := rec.Interactions()
	require.Len(t, got, 1)
	assert.Equal(t, []string{"x-zed", "access-control-allow-origin", "Access-Control-Allow-Origin", "Content-Length"},
		names(got[0].Response.Headers), "read from the decrypted wire")
}

func TestHTTPSHostFilterAndIntercept(t *testing.T) {
	t.Parallel()
	srv, upRoots := tlsUpstream(t, func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, r.Host) })
	addr := strings.TrimPrefix(srv.URL, "https://")
	authCA := newCA(t)
	rec := startRecorder(t, Config{
		Hosts: []string{"api.example.com:443", "app.example.com"},
		Upstreams: map[string]string{
			"api.example.com":   addr,
			"other.example.com": addr,
			"app.example.com":   addr,
		},
		CA:              authCA,
		UpstreamRootCAs: upRoots,
		Intercept: func(r *http.Request) http.Handler {
			if !strings.HasPrefix(r.URL.Path, "/__corsvcr__/") {
				return nil
			}
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				fmt.Fprint(w, r.URL.Scheme+"://"+r.Host)
			})
		},
	})
	client := httpsClient(t, rec, authCA.Pool(), false)
	res, body := do(t, client, "GET", "https://app.example.com/__corsvcr__/page", nil)
	require.Equal(t, 200, res.StatusCode)
	assert.Equal(t, "https://app.example.com", string(body), "intercepted at the https origin")
	for _, u := range []string{"https://api.example.com/a", "https://other.example.com/b", "https://app.example.com/c"} {
		res, body := do(t, client, "GET", u, nil)
		require.Equal(t, 200, res.StatusCode, u)
		assert.Equal(t, strings.TrimPrefix(u, "https://")[:strings.Index(strings.TrimPrefix(u, "https://"), "/")], string(body))
	}
	require.NoError(t, rec.Close())
	var urls []string
	for _, in := range rec.Interactions() {
		urls = append(urls, in.Request.URL)
	}
	assert.Equal(t, []string{"https://api.example.com/a", "https://app.example.com/c"}, urls)
}

func TestHTTPSClientNotTrustingTheCA(t *testing.T) {
	t.Parallel()
	srv, upRoots := tlsUpstream(t, corsHandler)
	logs := &logSink{}
	authCA := newCA(t)
	rec := startRecorder(t, Config{
		Upstreams:       map[string]string{"api.example.com": strings.TrimPrefix(srv.URL, "https://")},
		CA:              authCA,
		UpstreamRootCAs: upRoots,
		Logger:          slog.New(logs),
	})
	req, err := http.NewRequest("GET", "https://api.example.com/", nil)
	require.NoError(t, err)
	_, err = httpsClient(t, rec, newCA(t).Pool(), false).Do(req)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "certificate signed by unknown authority")
	require.NoError(t, rec.Close())
	assert.Empty(t, rec.Interactions())
	assert.Contains(t, strings.Join(logs.messages(), "\n"), "does it trust the corsvcr CA")
}

func TestHTTPSCloseLeavesNoTunnel(t *testing.T) {
	t.Parallel()
	srv, upRoots := tlsUpstream(t, corsHandler)
	authCA := newCA(t)
	rec, err := Start(Config{
		Upstreams:       map[string]string{"api.example.com": strings.TrimPrefix(srv.URL, "https://")},
		CA:              authCA,
		UpstreamRootCAs: upRoots,
	})
	require.NoError(t, err)
	// An idle keep-alive tunnel must not keep Close waiting.
	res, _ := do(t, httpsClient(t, rec, authCA.Pool(), false), "GET", "https://api.example.com/", nil)
	require.Equal(t, 200, res.StatusCode)
	closed := make(chan error, 1)
	go func() { closed <- rec.Close() }()
	select {
	case err := <-closed:
		require.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("Close blocked on an idle HTTPS tunnel")
	}
	_, err = net.Dial("tcp", strings.TrimPrefix(rec.URL(), "http://"))
	assert.Error(t, err, "listener closed")
}

// TestNoContentLengthAddedToBodylessResponses: martian writes responses
// with net/http, which adds "Content-Length: 0" to a 204 answering a POST;
// the browser must see the origin's headers only, as in replay.
func TestNoContentLengthAddedToBodylessResponses(t *testing.T) {
	t.Parallel()
	srv := upstream(t, func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	rec := startRecorder(t, Config{Upstreams: map[string]string{"localhost:8000": authority(srv)}})
	tests := []struct {
		name, method string
	}{
		{name: "POST 204", method: "POST"},
		{name: "PUT 204", method: "PUT"},
		{name: "PATCH 204", method: "PATCH"},
		{name: "DELETE 204", method: "DELETE"},
		{name: "GET 204", method: "GET"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rc := dialRaw(t, rec)
			rc.send(tt.method + " http://localhost:8000/ HTTP/1.1\r\nHost: localhost:8000\r\nContent-Length: 1\r\n\r\nx")
			res, _ := rc.response(tt.method)
			assert.Equal(t, http.StatusNoContent, res.StatusCode)
			assert.NotContains(t, res.Header, "Content-Length", "the origin sent none")
		})
	}
}
