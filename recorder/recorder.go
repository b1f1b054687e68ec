// Package recorder is a recording HTTP proxy built on martian/v3.
//
// A Recorder is a forward proxy on loopback. A browser (or any HTTP client)
// configured to use it has every plain-HTTP exchange forwarded to the origin
// and, for the configured hosts, recorded as a cassettes.Interaction:
// preflights and actual requests alike, failures (4xx, 5xx, missing CORS
// headers) included, exactly as the client sent them and the origin answered.
//
// # What is recorded
//
//   - Method and URL as the client sent them (case kept; absolute-form
//     request targets verbatim).
//   - Headers in wire order and original case, duplicates kept, read from the
//     raw bytes of the connection. The raw header block is recorded only
//     when it says exactly what net/http parsed from it; otherwise (obsolete
//     line folding, a stream the recorder could not follow) the parsed
//     headers are recorded in a fixed order: requests with Host first, then
//     the other names sorted; responses with names sorted, which is also the
//     order martian writes them to the client. Names are then in net/http's
//     canonical case. Values of one name always keep their order.
//   - Hop-by-hop headers (fetch.IsHopByHop in internal/fetch: Connection
//     and the names it lists, Keep-Alive, Proxy-Connection,
//     Proxy-Authenticate, Proxy-Authorization, TE, Trailer,
//     Transfer-Encoding, Upgrade) are neither recorded nor forwarded. Nothing martian adds to traffic is recorded: it adds no Via
//     or X-Forwarded-* by default, and its error Warning headers appear only
//     on responses it makes itself, which are never recorded.
//   - Bodies as raw bytes: the upstream transport never asks for or
//     decompresses gzip on its own, so a gzip body stays gzip, with its
//     Content-Encoding. Chunked trailers are not recorded.
//
// The client receives the origin's header lines re-serialised by martian
// (net/http order: sorted, canonical case); the cassette keeps the origin's.
//
// # Redirect hops
//
// Every hop of a redirect chain that starts at a recorded exchange is
// recorded, also on a host Config.Hosts does not list: the recorder
// remembers the URL each recorded 3xx's Location names (resolved against
// the request's URL) and records the requests for exactly that URL, the
// preflight of the redirected request included; their own redirects are
// followed in turn, so a loop ends where the browser stops following
// (Chrome: 20 redirects). Other requests to such a host are not recorded.
// An https hop is recorded like any https request: with Config.CA set
// (without it, CONNECT is refused, hop or not).
//
// # Failed exchanges
//
// When the origin cannot be reached (connection refused, DNS, TLS
// verification, no response within Config.UpstreamTimeout) or its
// connection fails before the response is complete (a reset, a close in the
// middle of the body), the client sees its own connection fail, not a
// proxy-made answer: with nothing sent, the client connection is closed
// (Chrome: net::ERR_EMPTY_RESPONSE), or reset when the origin reset
// (net::ERR_CONNECTION_RESET); in the middle of a body, the client gets the
// bytes the origin sent, then the same close or reset
// (net::ERR_CONTENT_LENGTH_MISMATCH, net::ERR_INCOMPLETE_CHUNKED_ENCODING).
// A browser behind the proxy therefore reports a network error, never a
// CORS error on a 502 without CORS headers. Nothing of such an exchange is
// recorded; for a recorded host it is reported out of band, with the host
// and the cause, by Failures. A caller that saves a cassette should check
// Failures first: the cassette lacks those exchanges.
//
// martian logs through a package-global logger; the first Start silences
// it for the whole process. The recorder reports what matters (failed round
// trips, refused CONNECTs, failing Intercept handlers) to Config.Logger.
//
// # HTTPS
//
// With Config.CA set, the recorder terminates the TLS of every CONNECT
// tunnel with a leaf certificate for the tunnel's host signed by that
// authority (the client must trust it; Chrome does with
// --ignore-certificate-errors-spki-list=<CA.SPKIPin>) and records the
// requests inside like plain-HTTP ones, with https URLs. Toward the client
// only HTTP/1.1 is offered (ALPN), because martian would carry an HTTP/2
// connection past the recording. Upstream, the recorder opens its own TLS
// connection to the origin (or to its Config.Upstreams address) and
// verifies the origin's certificate for the host the client named, against
// Config.UpstreamRootCAs or the system roots; it never skips verification.
// Request headers inside TLS are recorded in the fallback order (Host, then
// sorted); response headers keep their wire order.
//
// Without Config.CA, CONNECT is refused (502): a blind tunnel would let
// traffic to a recorded host bypass the recording unnoticed.
package recorder

import (
	"cmp"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/martian/v3"
	mlog "github.com/google/martian/v3/log"
	"github.com/google/martian/v3/mitm"

	"github.com/corsvcr/corsvcr/ca"
	"github.com/corsvcr/corsvcr/cassettes"
	"github.com/corsvcr/corsvcr/internal/fetch"
)

// Config configures a Recorder. The zero value records every host and
// listens on an ephemeral loopback port.
type Config struct {
	// Addr is the listen address; "" means "127.0.0.1:0". It must be a
	// loopback address.
	Addr string
	// Hosts lists the authorities ("localhost:8000", scheme default ports
	// written out) whose exchanges are recorded. Requests to other hosts are
	// forwarded but not recorded, except redirect hops: a request for the
	// URL that a recorded response redirected to (a 3xx Location, relative
	// ones resolved) is recorded whatever its host, and so is the chain of
	// redirects from there. Empty means record every host. Host names
	// compare case-insensitively; an entry without a port stands for both
	// host:80 and host:443.
	Hosts []string
	// Upstreams maps an authority as the browser names it
	// ("localhost:8000") to the address to dial instead ("127.0.0.1:41234").
	// Unmapped authorities are dialed as named. The recorded URL and Host
	// stay the browser's. A key without a port maps both default ports
	// (host:80 for http URLs, host:443 for https ones). An https origin's
	// address must speak TLS with a certificate valid for the name the
	// browser used.
	Upstreams map[string]string
	// CA, when non-nil, enables HTTPS recording: CONNECT tunnels are
	// terminated with certificates signed by CA (see the package
	// documentation). nil refuses CONNECT.
	CA *ca.CA
	// UpstreamRootCAs verifies the certificates of https origins; nil means
	// the system roots.
	UpstreamRootCAs *x509.CertPool
	// Intercept, when non-nil and returning a non-nil handler for a request,
	// serves that request locally: it is neither forwarded nor recorded.
	// The handler runs in memory and its response is sent when it returns.
	Intercept func(*http.Request) http.Handler
	// UpstreamTimeout bounds each forwarded exchange, from sending the
	// request to the end of the response body; an exchange still running
	// then fails (see Failure). Exchanges are checked every eighth of the
	// timeout (at most every second), so one may run up to that much
	// longer. 0 means DefaultUpstreamTimeout. Give a
	// browser check's timeout a margin over it, so that the browser sees the
	// failure before its check gives up.
	UpstreamTimeout time.Duration
	// CloseTimeout bounds how long Close waits for exchanges still in
	// flight before it cuts them (see Close). 0 means DefaultCloseTimeout.
	CloseTimeout time.Duration
	// Logger receives proxy diagnostics; nil discards them.
	Logger *slog.Logger
}

// Recorder is a running recording proxy.
type Recorder struct {
	cfg       resolvedConfig
	intercept func(*http.Request) http.Handler
	log       *slog.Logger
	dialer    net.Dialer
	transport *http.Transport
	proxy     *martian.Proxy
	ln        *listener
	url       string
	served    chan struct{} // closed when martian's Serve returns

	upstreamRoots *x509.CertPool // Config.UpstreamRootCAs

	seq     atomic.Uint64
	pending sync.WaitGroup // recorded exchanges not yet stored

	lastAuthority atomic.Pointer[authorityMemo] // authority's memo

	upstreamTimeout time.Duration // Config.UpstreamTimeout, defaulted
	closeTimeout    time.Duration // Config.CloseTimeout, defaulted

	// up tracks the origin connections and ends overdue exchanges
	// (deadline.go).
	up *upstreams
	// cutCtx bounds every dial to an origin: Close cancels it (cut) to
	// end the exchanges still running past closeTimeout, and expires
	// every origin connection. cutting is set just before.
	cutCtx  context.Context
	cut     context.CancelFunc
	cutting atomic.Bool

	// redirects are the URLs recorded responses redirected to: recorded
	// whatever their host (redirects.go).
	redirects redirectTargets

	mu       sync.Mutex
	recs     recordStore
	failures []Failure

	closeOnce sync.Once
	closeErr  error
}

// options are the unexported knobs of start; the seam for HTTPS recording.
type options struct {
	// mitm, when set, makes martian terminate TLS of CONNECT tunnels with
	// certificates from this authority and record the requests inside. Raw
	// header order is not available inside TLS: such requests are recorded
	// in the fallback order.
	mitm *mitm.Config
}

var silenceMartian sync.Once

// maxIdleUpstreamPerHost bounds the idle connections kept per origin: at
// least as many as the exchanges that run at once (a browser opens at most
// a few dozen connections through a proxy); idle ones close after
// IdleConnTimeout.
const maxIdleUpstreamPerHost = 1024

// Start listens and serves the proxy in the background.
func Start(cfg Config) (*Recorder, error) { return start(cfg, options{}) }

func start(cfg Config, opts options) (*Recorder, error) {
	rc, err := resolve(cfg)
	if err != nil {
		return nil, err
	}
	r := &Recorder{
		cfg:           rc,
		intercept:     cfg.Intercept,
		log:           cfg.Logger,
		dialer:        net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second},
		upstreamRoots: cfg.UpstreamRootCAs,
		served:        make(chan struct{}),

		upstreamTimeout: cmp.Or(cfg.UpstreamTimeout, DefaultUpstreamTimeout),
		closeTimeout:    cmp.Or(cfg.CloseTimeout, DefaultCloseTimeout),
	}
	r.cutCtx, r.cut = context.WithCancel(context.Background())
	if r.log == nil {
		r.log = slog.New(slog.DiscardHandler)
	}
	if cfg.CA != nil && opts.mitm == nil {
		if opts.mitm, err = r.mitmConfig(cfg.CA); err != nil {
			return nil, err
		}
	}
	// martian logs through a package-global logger to the standard log
	// package; none of it is wanted on stdout or stderr. The recorder logs
	// what matters (failed round trips, refused CONNECTs) itself.
	silenceMartian.Do(func() {
		mlog.SetLogger(nopLogger{})
		mlog.SetLevel(mlog.Silent)
	})
	l, err := net.Listen("tcp", rc.addr)
	if err != nil {
		return nil, fmt.Errorf("recorder: listen %q: %w", rc.addr, err)
	}
	r.ln = newListener(l, opts.mitm != nil)
	r.up = newUpstreams(r.upstreamTimeout)
	r.url = "http://" + l.Addr().String()
	r.transport = &http.Transport{
		Proxy:              nil, // never an environment proxy
		DialContext:        r.dialUpstream,
		DialTLSContext:     r.dialUpstreamTLS,
		DisableCompression: true, // bodies as on the wire, no Accept-Encoding added
		TLSNextProto:       map[string]func(string, *tls.Conn) http.RoundTripper{},
		// Every connection an exchange used goes back to the pool: a
		// smaller per-host limit closes the surplus after each burst and
		// dials again for the next (at 64 concurrent clients, 16 idle
		// connections per host meant ~250 new connections a second).
		MaxIdleConnsPerHost:   maxIdleUpstreamPerHost,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
	}

	p := martian.NewProxy()
	p.SetRoundTripper(&roundTripper{r: r, tr: r.transport})
	p.SetDial(r.refuseConnect)
	if opts.mitm != nil {
		p.SetMITM(opts.mitm)
	}
	p.SetRequestModifier(martian.RequestModifierFunc(func(req *http.Request) error {
		r.arrive(req)
		return nil
	}))
	p.SetResponseModifier(martian.ResponseModifierFunc(func(res *http.Response) error {
		// martian answers a failed round trip with a 502; only then is the
		// arrival looked up again.
		if res.StatusCode == http.StatusBadGateway {
			if a := r.arrivalOf(res.Request); a != nil && a.failed {
				// The client gets its connection closed instead, as
				// from the origin.
				r.abortClient(res.Request, a.reset)
				return nil
			}
		}
		keepNoBodyLength(res) // hop-by-hop fields: RoundTrip dropped them
		return nil
	}))
	r.proxy = p

	go func() {
		defer close(r.served)
		if err := p.Serve(r.ln); err != nil && !errors.Is(err, net.ErrClosed) {
			r.log.Error("recorder: serve stopped", "err", err)
		}
	}()
	return r, nil
}

// refuseConnect is martian's dial function, which it uses only to open
// CONNECT tunnels (forwarded requests go through the roundTripper).
func (r *Recorder) refuseConnect(_, addr string) (net.Conn, error) {
	r.log.Warn("recorder: CONNECT refused: HTTPS recording needs a CA (recorder.Config.CA), which is not set", "authority", addr)
	return nil, fmt.Errorf("recorder: CONNECT %q refused: HTTPS recording is not enabled", addr)
}

// arrive runs for every request martian reads, before anything changes
// it: it numbers the request, takes its raw header block and drops its
// hop-by-hop fields (first: the raw lines are compared to what is
// forwarded).
func (r *Recorder) arrive(req *http.Request) {
	a := &arrival{req: req, seq: r.seq.Add(1), client: r.ln.conn(req.RemoteAddr)}
	var blk rawBlock
	var ok bool
	if a.client != nil {
		blk, ok = a.client.rawRequest()
		ok = ok && isBlockOf(blk, req)
	}
	var u string
	if req.Method != http.MethodConnect {
		u = requestURL(req)
		a.record = r.recordable(req) || r.isRedirectTarget(u)
	}
	var connection []string // for undoWireDrop
	if a.record && ok && blk.may&mayOddName == 0 {
		// By the block's names; checked by requestHeaders below.
		connection = dropWireHopByHop(&blk, req.Header)
	} else {
		dropHopByHop(req.Header)
	}
	if ok {
		undoPragma(blk.enc, req.Header)
	}
	if a.record {
		a.url = u
		a.host = r.authority(req.URL.Scheme, req.URL.Host)
		a.headers = requestHeaders(blk, ok, req)
		if !a.headers.wire {
			r.log.Debug("recorder: request header order not read from the wire; recording Host then sorted", "url", a.url)
			// The block was not what net/http parsed after all: the
			// drop by its names may have missed some.
			undoWireDrop(req.Header, connection)
			a.headers = requestHeaders(blk, false, req) // the fallback, of what is forwarded
		}
	}
	if a.client != nil {
		a.client.cur.Store(a)
	}
}

// recordable reports whether req's authority is one of Config.Hosts.
func (r *Recorder) recordable(req *http.Request) bool {
	return r.cfg.hosts == nil || r.cfg.hosts[r.authority(req.URL.Scheme, req.URL.Host)]
}

// authority is normAuthority(scheme, a), remembered for the last
// authority asked: a proxy sees few, and normalising one costs more than
// comparing it.
func (r *Recorder) authority(scheme, a string) string {
	if m := r.lastAuthority.Load(); m != nil && m.a == a && m.scheme == scheme {
		return m.norm
	}
	norm := normAuthority(scheme, a)
	r.lastAuthority.Store(&authorityMemo{scheme: scheme, a: a, norm: norm})
	return norm
}

type authorityMemo struct{ scheme, a, norm string }

// requestURL is the absolute URL of req as the client named it.
func requestURL(req *http.Request) string {
	u := req.RequestURI
	if fetch.HasPrefixFold(u, "http://") || fetch.HasPrefixFold(u, "https://") {
		return u
	}
	if strings.HasPrefix(u, "/") {
		return req.URL.Scheme + "://" + req.Host + u
	}
	return req.URL.String()
}

func (r *Recorder) store(seq uint64, rec *recording) {
	r.mu.Lock()
	r.recs.add(seq, rec)
	r.mu.Unlock()
}

// URL is the proxy URL to give a browser, e.g. "http://127.0.0.1:41234".
func (r *Recorder) URL() string { return r.url }

// Interactions returns a copy of the recorded exchanges in the order their
// requests arrived. Exchanges still in flight are not included; after Close
// every exchange that completed is (an exchange Close cut is a Failure).
func (r *Recorder) Interactions() []cassettes.Interaction {
	// A copy of the store as it is: the recordings it locates are not
	// written again, only after them.
	r.mu.Lock()
	s := recordStore{refs: slices.Clone(r.recs.refs), chunks: slices.Clone(r.recs.chunks), encs: slices.Clone(r.recs.encs)}
	r.mu.Unlock()
	slices.SortFunc(s.refs, func(a, b recordRef) int {
		switch {
		case a.seq < b.seq:
			return -1
		case a.seq > b.seq:
			return 1
		}
		return 0
	})
	out := make([]cassettes.Interaction, len(s.refs))
	for i, ref := range s.refs {
		u := s.recording(ref)
		out[i] = u.interaction()
	}
	return out
}

// DefaultCloseTimeout is how long Close waits for exchanges in flight when
// Config.CloseTimeout is 0.
const DefaultCloseTimeout = 5 * time.Second

// ErrCut is the cause (wrapped, in Failure.Err) of an exchange that Close
// cut because it was still running after Config.CloseTimeout.
var ErrCut = errors.New("cut: the recorder closed before the exchange ended")

// Close stops accepting connections and waits for in-flight exchanges: their
// responses are written to the clients and recorded. Idle client
// connections are closed. The wait is bounded by Config.CloseTimeout: past
// it, Close cuts what still runs, cancelling the exchanges with the origins
// and closing the client connections, so that an origin that never answers
// or a client that never reads cannot hold it. A cut exchange with a
// recorded host is not recorded and is reported by Failures (its Err wraps
// ErrCut); every cut is logged at level Warn. Close returns once every
// connection is closed and every goroutine of the proxy has ended. Close is
// idempotent.
func (r *Recorder) Close() error {
	r.closeOnce.Do(func() {
		defer r.cut()
		if err := r.ln.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
			r.closeErr = fmt.Errorf("recorder: close %q: %w", r.url, err)
		}
		<-r.served // no more Accept, so no more ln.wg.Add
		drained := make(chan struct{})
		go func() {
			defer close(drained)
			r.proxy.Close()  // idle connections end; in-flight ones finish
			r.ln.wg.Wait()   // every accepted connection closed
			r.pending.Wait() // every recorded exchange stored
		}()
		timer := time.NewTimer(r.closeTimeout)
		defer timer.Stop()
		select {
		case <-drained:
		case <-timer.C:
			r.cutInFlight()
			<-drained // cut ends every exchange and connection promptly
		}
		r.transport.CloseIdleConnections()
		r.up.close()
	})
	return r.closeErr
}

// cutInFlight ends what still runs: the dials to origins, the exchanges
// on origin connections (expired) and the client connections.
func (r *Recorder) cutInFlight() {
	r.cutting.Store(true)
	r.cut()
	r.up.expireAll()
	r.ln.mu.Lock()
	conns := make([]*clientConn, 0, len(r.ln.conns))
	for _, c := range r.ln.conns {
		conns = append(conns, c)
	}
	r.ln.mu.Unlock()
	r.log.Warn("recorder: close: exchanges still running were cut", "after", r.closeTimeout, "client_connections", len(conns))
	for _, c := range conns {
		c.Close()
	}
}

// nopLogger discards martian's global log.
type nopLogger struct{}

func (nopLogger) Infof(string, ...any)  {}
func (nopLogger) Debugf(string, ...any) {}
func (nopLogger) Errorf(string, ...any) {}
