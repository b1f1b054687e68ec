package recorder

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/google/martian/v3/mitm"

	"github.com/corsvcr/corsvcr/ca"
)

// mitmConfig returns martian's MITM configuration for c: leaf certificates
// signed by c, HTTP/1.1 only toward the client. martian would proxy an
// HTTP/2 connection past the request and response modifiers, so nothing on
// it would be recorded; without an h2 configuration it offers only
// http/1.1 in ALPN.
func (r *Recorder) mitmConfig(c *ca.CA) (*mitm.Config, error) {
	mc, err := mitm.NewConfig(c.Cert, c.Key)
	if err != nil {
		return nil, fmt.Errorf("recorder: MITM: %w", err)
	}
	mc.SetOrganization("corsvcr")
	mc.SetHandshakeErrorCallback(func(req *http.Request, err error) {
		r.log.Warn("recorder: TLS handshake with the client failed; does it trust the corsvcr CA? (Chrome: --ignore-certificate-errors-spki-list="+c.SPKIPin()+")",
			"authority", req.Host, "err", err)
	})
	return mc, nil
}

// dialUpstreamTLS dials an https origin (through Config.Upstreams like
// dialUpstream) and completes the TLS handshake itself, so that the
// responseCapture of the upstreamConn reads the plaintext response headers.
// The origin's certificate must be valid for the host the browser named,
// under Config.UpstreamRootCAs (nil: the system roots); only HTTP/1.1 is
// offered.
func (r *Recorder) dialUpstreamTLS(ctx context.Context, network, addr string) (net.Conn, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("recorder: dial %q: %w", addr, err)
	}
	ctx, cancel, err := r.dialContext(ctx)
	if err != nil {
		return nil, &dialError{err}
	}
	defer cancel()
	raw, err := r.dialRaw(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	tc := tls.Client(raw, &tls.Config{
		ServerName: host,
		RootCAs:    r.upstreamRoots,
		NextProtos: []string{"http/1.1"},
		MinVersion: tls.VersionTLS12,
	})
	hctx, cancelHandshake := context.WithTimeout(ctx, 10*time.Second)
	defer cancelHandshake()
	if err := tc.HandshakeContext(hctx); err != nil {
		raw.Close()
		return nil, &handshakeError{err}
	}
	uc := &upstreamConn{Conn: tc}
	r.up.add(uc)
	return uc, nil
}
