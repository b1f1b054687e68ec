package recorder

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"slices"
	"syscall"
	"time"

	"github.com/google/martian/v3"
)

// DefaultUpstreamTimeout bounds a forwarded exchange when
// Config.UpstreamTimeout is 0.
const DefaultUpstreamTimeout = 30 * time.Second

// Failure is a forwarded exchange with a recorded host that did not
// complete: the origin could not be reached (connection refused, DNS, TLS
// verification, timeout) or the connection to it failed before the
// response was complete (reset, closed in the middle of the body). The
// client saw its own connection fail the same way (see the package
// documentation), and nothing of the exchange is in Interactions.
type Failure struct {
	Method string
	URL    string // as the client named it
	Host   string // the origin's authority, "host:port" with the port written out
	// Err says what failed, naming the host and the cause, e.g.
	// `upstream localhost:9100 unreachable: dial tcp 127.0.0.1:9100:
	// connect: connection refused`.
	Err error
}

// Error renders f as "GET http://localhost:9100/x: upstream … unreachable: …".
func (f Failure) Error() string { return f.Method + " " + f.URL + ": " + f.Err.Error() }

// Unwrap returns f.Err.
func (f Failure) Unwrap() error { return f.Err }

// Failures returns the failed exchanges with a recorded host, in the order
// they failed. A failure is reported before the client sees its connection
// fail.
func (r *Recorder) Failures() []Failure {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.failures)
}

// fail reports a failed exchange.
func (r *Recorder) fail(f Failure) {
	// Reported out of band (Failures): logged for -v only.
	r.log.Debug("recorder: upstream exchange failed; not recorded; the client's connection is closed",
		"method", f.Method, "url", f.URL, "err", f.Err)
	r.mu.Lock()
	r.failures = append(r.failures, f)
	r.mu.Unlock()
}

// dialError is a failure to open a connection to an origin.
type dialError struct{ err error }

func (e *dialError) Error() string { return e.err.Error() }
func (e *dialError) Unwrap() error { return e.err }

// handshakeError is a failed TLS handshake with an origin.
type handshakeError struct{ err error }

func (e *handshakeError) Error() string { return e.err.Error() }
func (e *handshakeError) Unwrap() error { return e.err }

// upstreamError says what went wrong with the origin at host: err came from
// the round trip (body < 0) or from reading the response body after body
// bytes.
func upstreamError(host string, err error, timeout time.Duration, body int) error {
	var de *dialError
	var he *handshakeError
	var ue x509.UnknownAuthorityError
	var ce *tls.CertificateVerificationError
	switch {
	case isTimeout(err) && body < 0:
		return fmt.Errorf("upstream %s: no response within %v: %w", host, timeout, err)
	case isTimeout(err):
		return fmt.Errorf("upstream %s: response body not complete within %v (%d bytes read): %w", host, timeout, body, err)
	case body >= 0:
		return fmt.Errorf("upstream %s broke off the response body after %d bytes: %w", host, body, err)
	case errors.As(err, &de):
		return fmt.Errorf("upstream %s unreachable: %w", host, err)
	case errors.As(err, &he) || errors.As(err, &ue) || errors.As(err, &ce):
		return fmt.Errorf("upstream %s: TLS handshake failed: %w", host, err)
	case isReset(err):
		return fmt.Errorf("upstream %s reset the connection before responding: %w", host, err)
	}
	return fmt.Errorf("upstream %s failed before responding: %w", host, err)
}

// cutError is the cause of an exchange with host that Close cut.
func (r *Recorder) cutError(host string) error {
	return fmt.Errorf("upstream %s: %w (still running %v after Close began)", host, ErrCut, r.closeTimeout)
}

// isTimeout reports whether err is the end of an exchange's time: a dial
// past its deadline, or a connection the watchdog expired (deadline.go).
func isTimeout(err error) bool {
	return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded)
}

// isReset reports whether err is a connection reset by the peer.
func isReset(err error) bool { return errors.Is(err, syscall.ECONNRESET) }

// abortClient ends the client connection of req without an answer, so that
// the client sees a network error as it would talking to the origin
// directly (not martian's 502): with a reset when the origin reset its
// connection, else with a plain close. martian writes nothing more on the
// hijacked connection.
func (r *Recorder) abortClient(req *http.Request, rst bool) {
	ctx := martian.NewContext(req)
	if ctx == nil {
		return
	}
	conn, _, err := ctx.Session().Hijack()
	if err != nil {
		return
	}
	if cc, ok := conn.(*clientConn); ok {
		cc.abort(rst)
		return
	}
	conn.Close()
}

// abort closes c, with a TCP reset when rst is set.
func (c *clientConn) abort(rst bool) {
	if tc, ok := c.Conn.(*net.TCPConn); ok && rst {
		tc.SetLinger(0)
	}
	c.Close()
}

// abortAfterResponse makes c end, as abort does, when martian next reads
// from it: after it has flushed the partial response it was writing, so the
// client gets what the origin sent before its connection broke, then the
// break.
func (c *clientConn) abortAfterResponse(rst bool) {
	c.abortRST.Store(rst)
	c.aborting.Store(true)
}
