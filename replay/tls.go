package replay

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/corsvcr/corsvcr/ca"
	"github.com/corsvcr/corsvcr/internal/fetch"
)

// handshakeTimeout bounds the TLS handshake inside a CONNECT tunnel.
const handshakeTimeout = 10 * time.Second

// ServerOption configures a Server.
type ServerOption func(*Server)

// WithCA makes the Server replay HTTPS: a CONNECT is answered "200
// Connection established", the tunnel's TLS is terminated with a leaf
// certificate for the tunnel's host signed by c (HTTP/1.1 only), and the
// requests inside are served like proxy requests with https URLs at the
// CONNECT authority: matched, journaled, intercepted and, in record-missing
// mode, forwarded (with https URLs) exactly like plain-HTTP ones. The client
// must trust c (Chrome: --ignore-certificate-errors-spki-list=<c.SPKIPin>).
// A handshake the client rejects (a TLS alert, such as an untrusted
// certificate) or that is not TLS at all is journaled as a miss naming the
// reason. Without WithCA a CONNECT is a miss answered 405.
func WithCA(c *ca.CA) ServerOption {
	return func(s *Server) {
		if c != nil {
			s.tunnels = &tunnels{ca: c, r: s.Replayer}
		}
	}
}

// tunnels serves the decrypted connections of CONNECT tunnels with one
// http.Server, fed by a listener that yields each tunnel once its TLS
// handshake is done.
type tunnels struct {
	ca *ca.CA
	r  *Replayer

	srv  *http.Server
	ln   *connListener
	done chan struct{} // closed when srv.Serve has returned

	wg      sync.WaitGroup // hijacked CONNECTs not yet handed to srv
	mu      sync.Mutex
	closed  bool
	pending map[net.Conn]struct{} // hijacked, handshake under way
}

// start runs the inner server, with the Server's timeouts.
func (t *tunnels) start(addr net.Addr, idle, readHeader time.Duration) {
	t.pending = map[net.Conn]struct{}{}
	t.ln = &connListener{ch: make(chan net.Conn), closed: make(chan struct{}), addr: addr}
	t.done = make(chan struct{})
	t.srv = &http.Server{
		Handler:           http.HandlerFunc(t.serveTunneled),
		ReadHeaderTimeout: readHeader,
		IdleTimeout:       idle,
		ConnContext: func(ctx context.Context, c net.Conn) context.Context {
			if tc, ok := c.(*tunnelConn); ok {
				ctx = context.WithValue(ctx, tunnelKey{}, tc)
			}
			return ctx
		},
	}
	go func() {
		defer close(t.done)
		_ = t.srv.Serve(t.ln) // ErrServerClosed or net.ErrClosed after close
	}()
}

// tunnelKey is the context key of the request's *tunnelConn.
type tunnelKey struct{}

// tunnelConn is the decrypted side of one CONNECT tunnel.
type tunnelConn struct {
	net.Conn        // the *tls.Conn
	host     string // the CONNECT authority, default port 443 removed
	state    tls.ConnectionState
}

// serveConnect answers a CONNECT, terminates its TLS and hands the tunnel
// to the inner server.
func (t *tunnels) serveConnect(w http.ResponseWriter, req *http.Request) {
	authority := req.Host
	host, port, err := net.SplitHostPort(authority)
	if err != nil || host == "" || port == "" {
		http.Error(w, fmt.Sprintf("replay: CONNECT %q: want host:port", authority), http.StatusBadRequest)
		return
	}
	hj, ok := w.(http.Hijacker)
	if !ok {
		http.Error(w, "replay: CONNECT: connection cannot be taken over", http.StatusInternalServerError)
		return
	}
	conn, brw, err := hj.Hijack()
	if err != nil {
		return // the client went away
	}
	if !t.add(conn) {
		conn.Close()
		return
	}
	defer t.wg.Done()

	var c net.Conn = conn
	if n := brw.Reader.Buffered(); n > 0 { // the client did not wait for 200
		c = &prefixConn{Conn: conn, r: io.MultiReader(io.LimitReader(brw.Reader, int64(n)), conn)}
	}
	_ = conn.SetDeadline(time.Now().Add(handshakeTimeout))
	if _, err := io.WriteString(conn, "HTTP/1.1 200 Connection established\r\n\r\n"); err != nil {
		t.remove(conn)
		conn.Close()
		return
	}
	tc := tls.Server(c, &tls.Config{
		GetCertificate: func(hi *tls.ClientHelloInfo) (*tls.Certificate, error) {
			if hi.ServerName != "" {
				return t.ca.Leaf(hi.ServerName)
			}
			return t.ca.Leaf(host)
		},
		NextProtos: []string{"http/1.1"},
		MinVersion: tls.VersionTLS12,
	})
	err = tc.Handshake()
	t.remove(conn)
	if err != nil {
		t.handshakeFailed(authority, err)
		conn.Close()
		return
	}
	_ = conn.SetDeadline(time.Time{})
	name := authority
	if port == fetch.DefaultPort("https") {
		name = host
		if strings.Contains(host, ":") {
			name = "[" + host + "]"
		}
	}
	if !t.ln.push(&tunnelConn{Conn: tc, host: name, state: tc.ConnectionState()}) {
		tc.Close()
	}
}

// handshakeFailed journals a handshake the client rejected (it sends an
// alert, e.g. for an untrusted certificate) or that was not TLS. A client
// that hangs up or times out (a speculative connection Chrome does not use)
// is not a miss.
func (t *tunnels) handshakeFailed(authority string, err error) {
	var rh tls.RecordHeaderError
	var ne net.Error
	var reason string
	switch {
	case errors.Is(err, io.EOF), errors.Is(err, net.ErrClosed), errors.Is(err, syscall.ECONNRESET),
		errors.As(err, &ne) && ne.Timeout():
		return
	case errors.As(err, &rh):
		reason = fmt.Sprintf("TLS handshake failed: %v; only TLS is replayed inside CONNECT", err)
	case strings.HasPrefix(err.Error(), "remote error: "): // the alert type is not exported
		reason = fmt.Sprintf("TLS handshake failed: %v; the client must trust the corsvcr CA (Chrome: --ignore-certificate-errors-spki-list=%s)", err, t.ca.SPKIPin())
	default:
		reason = fmt.Sprintf("TLS handshake failed: %v", err)
	}
	me := &MissError{Method: http.MethodConnect, URL: authority, Closest: -1, Reason: reason}
	t.r.j.record(Entry{Method: me.Method, URL: me.URL, Miss: me})
}

// serveTunneled serves a request read from a tunnel: its URL becomes
// https://<CONNECT authority><path>, whatever its Host header says.
func (t *tunnels) serveTunneled(w http.ResponseWriter, req *http.Request) {
	tc, _ := req.Context().Value(tunnelKey{}).(*tunnelConn)
	if tc == nil {
		http.Error(w, "replay: request outside a tunnel", http.StatusInternalServerError)
		return
	}
	req.URL.Scheme, req.URL.Host = "https", tc.host
	req.TLS = &tc.state
	t.r.ServeHTTP(w, req)
}

// add registers a hijacked connection; false once closing.
func (t *tunnels) add(c net.Conn) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return false
	}
	t.pending[c] = struct{}{}
	t.wg.Add(1)
	return true
}

func (t *tunnels) remove(c net.Conn) {
	t.mu.Lock()
	delete(t.pending, c)
	t.mu.Unlock()
}

// close stops the tunnels: handshakes under way are cut, requests in
// flight finish until ctx ends, idle tunnels are closed.
func (t *tunnels) close(ctx context.Context) error {
	t.mu.Lock()
	t.closed = true
	for c := range t.pending {
		c.Close()
	}
	t.mu.Unlock()
	t.wg.Wait() // no more push
	err := t.srv.Shutdown(ctx)
	if errors.Is(err, context.DeadlineExceeded) {
		err = t.srv.Close()
	}
	t.ln.Close()
	<-t.done
	return err
}

// connListener yields the connections pushed to it.
type connListener struct {
	ch     chan net.Conn
	closed chan struct{}
	once   sync.Once
	addr   net.Addr
}

func (l *connListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.ch:
		return c, nil
	case <-l.closed:
		return nil, net.ErrClosed
	}
}

// push hands c to Accept; false when the listener is closed.
func (l *connListener) push(c net.Conn) bool {
	select {
	case l.ch <- c:
		return true
	case <-l.closed:
		return false
	}
}

func (l *connListener) Close() error {
	l.once.Do(func() { close(l.closed) })
	return nil
}

func (l *connListener) Addr() net.Addr { return l.addr }

// prefixConn is a connection whose first bytes come from r.
type prefixConn struct {
	net.Conn
	r io.Reader
}

func (c *prefixConn) Read(p []byte) (int, error) { return c.r.Read(p) }
