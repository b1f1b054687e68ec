package replay

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"
)

// shutdownTimeout bounds how long Close waits for in-flight requests before
// closing their connections.
const shutdownTimeout = 5 * time.Second

// DefaultIdleTimeout is how long a Server keeps an idle keep-alive
// connection open by default: a client that keeps many connections (a
// browser, a load test) does not hold them, and their goroutines, for as
// long as the server runs.
const DefaultIdleTimeout = 60 * time.Second

// DefaultReadHeaderTimeout is how long a Server waits by default for a
// request's header once a connection has a request to read.
const DefaultReadHeaderTimeout = time.Minute

// Server is a Replayer listening as an HTTP proxy on loopback. It closes a
// keep-alive connection idle for DefaultIdleTimeout (WithIdleTimeout), and
// one whose request header takes longer than DefaultReadHeaderTimeout to
// arrive (WithReadHeaderTimeout); HTTPS tunnels (WithCA) alike. Plain
// connections are closed by a periodic sweep, within a quarter of the
// timeout after it passes, which costs a request far less than per-request
// read deadlines.
type Server struct {
	*Replayer

	idleTimeout       time.Duration
	readHeaderTimeout time.Duration

	srv     *http.Server
	ln      net.Listener
	done    chan struct{} // closed when Serve has returned
	tunnels *tunnels      // HTTPS replay (WithCA); nil: CONNECT is a miss
	track   *connTracker  // the idle and read-header timeouts of plain connections

	closeOnce sync.Once
	closeErr  error
}

// WithIdleTimeout makes the Server close a keep-alive connection once it
// has been idle, between requests, for d. d <= 0 means DefaultIdleTimeout.
func WithIdleTimeout(d time.Duration) ServerOption {
	return func(s *Server) {
		if d > 0 {
			s.idleTimeout = d
		}
	}
}

// WithReadHeaderTimeout makes the Server close a connection whose request
// header has not arrived within d. d <= 0 means DefaultReadHeaderTimeout.
func WithReadHeaderTimeout(d time.Duration) ServerOption {
	return func(s *Server) {
		if d > 0 {
			s.readHeaderTimeout = d
		}
	}
}

// ErrNotLoopback is the error (wrapped) of a listen address beyond
// loopback: a replay server answers anyone who reaches it with the recorded
// exchanges (an open proxy of recorded data), so it never listens there.
var ErrNotLoopback = errors.New("not a loopback address")

// ListenAddr returns the address NewServer binds for addr: "" means
// "127.0.0.1:0", an empty host (":8080") means 127.0.0.1, and any other
// host must be "localhost" or a loopback IP (127.0.0.0/8, ::1); else the
// error wraps ErrNotLoopback.
func ListenAddr(addr string) (string, error) {
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("replay: listen address %q: %w", addr, err)
	}
	switch host {
	case "":
		host = "127.0.0.1"
	case "localhost":
	default:
		if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
			return "", fmt.Errorf("replay: listen address %q: %w", addr, ErrNotLoopback)
		}
	}
	return net.JoinHostPort(host, port), nil
}

// NewServer starts a Replayer on addr ("" means "127.0.0.1:0"). addr must
// be a loopback address ("localhost", 127.0.0.0/8, ::1); an empty host, as
// in ":8080", means 127.0.0.1. In record-missing mode the server forwards
// requests, so it is never exposed beyond the machine. WithCA enables HTTPS
// replay; WithIdleTimeout and WithReadHeaderTimeout change the timeouts.
func NewServer(cfg Config, addr string, opts ...ServerOption) (*Server, error) {
	r, err := New(cfg)
	if err != nil {
		return nil, err
	}
	bind, err := ListenAddr(addr)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", bind)
	if err != nil {
		return nil, fmt.Errorf("replay: listen: %w", err)
	}
	s := &Server{
		Replayer: r,
		ln:       ln,
		done:     make(chan struct{}),

		idleTimeout:       DefaultIdleTimeout,
		readHeaderTimeout: DefaultReadHeaderTimeout,
	}
	for _, o := range opts {
		o(s)
	}
	var h http.Handler = r
	if s.tunnels != nil {
		s.tunnels.start(ln.Addr(), s.idleTimeout, s.readHeaderTimeout)
		h = http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			if req.Method == http.MethodConnect {
				s.tunnels.serveConnect(w, req)
				return
			}
			r.ServeHTTP(w, req)
		})
	}
	// The timeouts are the tracker's sweep, not http.Server's per-request
	// deadlines (see connTracker).
	s.track = newConnTracker(s.idleTimeout, s.readHeaderTimeout)
	s.srv = &http.Server{Handler: h, ConnState: s.track.connState}
	tracked := s.track.listener(ln)
	go func() {
		defer close(s.done)
		_ = s.srv.Serve(tracked) // always ErrServerClosed or a listener error after Close
	}()
	return s, nil
}

// URL is the proxy URL, e.g. "http://127.0.0.1:41234".
func (s *Server) URL() string { return "http://" + s.ln.Addr().String() }

// Close stops the server and waits for in-flight requests, HTTPS tunnels
// included. Requests still running after a bounded wait (5 s) have their
// connections closed, which cancels their contexts. Close may be called more
// than once.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
		defer cancel()
		err := s.srv.Shutdown(ctx)
		if errors.Is(err, context.DeadlineExceeded) {
			err = s.srv.Close()
		}
		<-s.done
		s.track.close()
		if s.tunnels != nil {
			if terr := s.tunnels.close(ctx); err == nil {
				err = terr
			}
		}
		if err != nil {
			s.closeErr = fmt.Errorf("replay: close: %w", err)
		}
	})
	return s.closeErr
}
