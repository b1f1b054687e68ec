// Package browserchecktest provides a forward HTTP proxy for tests that run
// browsercheck against httptest servers, like net/http/httptest does for
// servers.
package browserchecktest

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"sync"

	"github.com/corsvcr/corsvcr/browsercheck"
)

// Proxy is a forward HTTP proxy on 127.0.0.1 for Chrome (give URL to
// browsercheck.Config.Proxy). It serves browsercheck check pages at every
// origin with browsercheck.Intercept and forwards every other request to the
// upstream mapped to the request's authority, keeping the Host header the
// browser sent (e.g. "localhost:8000"). An unmapped authority gets 502, so a
// test never reaches a real network service by accident. A mapped upstream
// that fails (refused, reset, closed in the middle of a body) has the
// browser's connection closed, so that the browser sees a network error as
// it would without a proxy. HTTPS (CONNECT) is not supported.
type Proxy struct {
	// URL is the proxy's address, "http://127.0.0.1:port".
	URL string

	srv       *httptest.Server
	transport *http.Transport

	mu    sync.Mutex
	hosts map[string]string
}

// NewProxy starts a proxy that forwards requests for each authority in hosts
// ("localhost:8000") to the address it maps to ("127.0.0.1:41234", or an
// httptest.Server's URL).
func NewProxy(hosts map[string]string) *Proxy {
	p := &Proxy{
		hosts:     map[string]string{},
		transport: &http.Transport{Proxy: nil, DisableCompression: true, ForceAttemptHTTP2: false},
	}
	for k, v := range hosts {
		p.Map(k, v)
	}
	rp := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.Out.URL.Scheme = "http"
			pr.Out.URL.Host = pr.In.Context().Value(upstreamKey{}).(string)
			pr.Out.Host = pr.In.Host
		},
		Transport: p.transport,
		// An upstream that fails is a network error for the browser, as
		// it would be without a proxy (and as the recorder makes it): the
		// client connection is closed without an answer. A 502 would be
		// a response without CORS headers, a CORS error for Chrome.
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			panic(http.ErrAbortHandler)
		},
	}
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if h := browsercheck.Intercept(r); h != nil {
			h.ServeHTTP(w, r)
			return
		}
		if r.Method == http.MethodConnect {
			http.Error(w, "browserchecktest proxy: CONNECT not supported", http.StatusMethodNotAllowed)
			return
		}
		host := r.Host
		if r.URL.Host != "" {
			host = r.URL.Host
		}
		if _, _, err := net.SplitHostPort(host); err != nil {
			host = net.JoinHostPort(host, "80")
		}
		p.mu.Lock()
		up, ok := p.hosts[host]
		p.mu.Unlock()
		if !ok {
			http.Error(w, fmt.Sprintf("browserchecktest proxy: no upstream for %q", host), http.StatusBadGateway)
			return
		}
		r = r.WithContext(contextWithUpstream(r, up))
		rp.ServeHTTP(w, r)
	}))
	p.URL = p.srv.URL
	return p
}

// Map forwards requests for authority ("localhost:8000") to upstream, an
// address "host:port" or a URL "http://host:port" (as httptest.Server.URL).
func (p *Proxy) Map(authority, upstream string) {
	if u, ok := cutScheme(upstream); ok {
		upstream = u
	}
	p.mu.Lock()
	p.hosts[authority] = upstream
	p.mu.Unlock()
}

// Close shuts the proxy down and waits for requests in flight.
func (p *Proxy) Close() {
	p.srv.Close()
	p.transport.CloseIdleConnections()
}

func cutScheme(s string) (string, bool) {
	for _, pre := range []string{"http://", "https://"} {
		if len(s) > len(pre) && s[:len(pre)] == pre {
			return s[len(pre):], true
		}
	}
	return s, false
}
