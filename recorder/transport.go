package recorder

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/corsvcr/corsvcr/cassettes"
)

// arrival is what the request modifier learns when a request arrives, before
// martian or net/http change it.
type arrival struct {
	req     *http.Request // the request it is of
	seq     uint64
	client  *clientConn // the connection it arrived on; nil if closed since
	record  bool
	url     string // when recorded: the URL as the client named it
	host    string // when recorded: its authority (normAuthority)
	headers recHeaders
	// failed: the round trip to the origin failed, so the response
	// modifier ends the client connection instead of letting martian
	// answer 502; reset: with a TCP reset, as the origin did.
	failed, reset bool
}

// arrivalOf returns the arrival the request modifier made for req: the
// current one of the connection req arrived on (martian serves one request
// at a time per connection; the requests inside a CONNECT tunnel come after
// the CONNECT), or nil if that connection has closed since.
func (r *Recorder) arrivalOf(req *http.Request) *arrival {
	if c := r.ln.conn(req.RemoteAddr); c != nil {
		if a := c.cur.Load(); a != nil && a.req == req {
			return a
		}
	}
	return nil
}

// roundTripper is the http.RoundTripper given to martian: it serves
// intercepted requests locally and forwards the rest through an
// http.Transport that dials Config.Upstreams, capturing what it records.
type roundTripper struct {
	r  *Recorder
	tr *http.Transport
}

func (rt *roundTripper) RoundTrip(req *http.Request) (*http.Response, error) {
	r := rt.r
	if r.intercept != nil {
		if h := r.intercept(req); h != nil {
			res, err := serveLocal(h, req)
			if err != nil {
				r.log.Error("recorder: intercept failed", "method", req.Method, "url", req.URL.String(), "err", err)
				return nil, err
			}
			dropHopByHop(res.Header)
			return res, nil
		}
	}
	// Every forwarded exchange has a deadline: a hanging origin becomes a
	// failure the client sees, not a client waiting forever (deadline.go).
	// Close cuts it too (Recorder.cutInFlight).
	start := r.up.now()
	a := r.arrivalOf(req)
	var client *clientConn
	if a != nil {
		client = a.client
	} else if r.cutting.Load() && req.Method != http.MethodConnect && (r.recordable(req) || r.isRedirectTarget(requestURL(req))) {
		// Close cut the client connection between the request's arrival
		// and here: the exchange is a cut one, as it would be a moment
		// later.
		host := r.authority(req.URL.Scheme, req.URL.Host)
		r.fail(Failure{Method: req.Method, URL: requestURL(req), Host: host, Err: r.cutError(host)})
		return nil, ErrCut
	}
	if a == nil || !a.record {
		// The response's raw header block is captured here too:
		// forwarding needs it (forwardedHeader).
		hc := &headCapture{start: start}
		res, err := rt.tr.RoundTrip(req.WithContext(hc.context(req.Context())))
		if err != nil {
			hc.ended()
			r.log.Warn("recorder: upstream round trip failed; the client's connection is closed", "method", req.Method, "url", req.URL.String(), "err", err)
			if a != nil {
				a.failed, a.reset = true, isReset(err)
			}
			return nil, err
		}
		forwardedHeader(hc.raw(), res.Header, false)
		res.Body = &originBody{rc: res.Body, head: hc, onErr: func(err error, _ int) {
			r.log.Warn("recorder: upstream response body failed; the client's connection is closed", "method", req.Method, "url", req.URL.String(), "err", err)
			if client != nil {
				client.abortAfterResponse(isReset(err))
			}
		}}
		return res, nil
	}

	x := &exchange{r: r, seq: a.seq, host: a.host, client: client}
	x.refs.Store(2) // request body, response body
	x.rec = recording{method: req.Method, url: a.url, reqHeaders: a.headers}
	r.pending.Add(1)

	x.head.start = start
	out := req.WithContext(x.head.context(req.Context()))
	if req.Body != nil && req.Body != http.NoBody {
		out.Body = &teeBody{rc: req.Body, x: x, into: &x.rec.reqBody}
	} else {
		x.release()
	}

	res, err := rt.tr.RoundTrip(out)
	if err != nil {
		x.head.ended()
		x.fail(err, -1)
		a.failed, a.reset = true, isReset(err)
		x.release()
		return nil, err
	}
	raw := x.head.raw()
	r.followRedirect(a.url, res)                         // before the client can follow it
	connection := forwardedHeader(raw, res.Header, true) // responseHeaders compares to what is forwarded
	h := responseHeaders(raw, res)
	if !h.wire {
		r.log.Debug("recorder: response header order not read from the wire; recording sorted", "url", a.url)
		undoWireDrop(res.Header, connection) // raw was not what net/http parsed: see forwardedHeader
		h = responseHeaders(nil, res)
	}
	x.mu.Lock()
	x.rec.status, x.rec.respHeaders = res.StatusCode, h
	x.contentLength = res.ContentLength
	if req.Method == http.MethodHead || res.StatusCode == http.StatusNoContent || res.StatusCode == http.StatusNotModified {
		x.contentLength = -1 // Content-Length describes a body not sent
		x.noBody = true
	}
	if res.ContentLength == 0 || res.Body == nil || res.Body == http.NoBody {
		x.noBody = true // martian need not read a body to its end
	}
	if res.ContentLength > 0 && !x.noBody {
		x.rec.respBody = make(cassettes.Body, 0, min(res.ContentLength, maxPresize))
	}
	x.mu.Unlock()
	x.body.rc, x.body.head, x.body.x = res.Body, &x.head, x
	res.Body = &x.body
	return res, nil
}

// headCapture captures the raw header block of the response to one
// forwarded request, and keeps the exchange's time (deadline.go): the
// origin connection the request gets is armed when net/http hands it over
// (GotConn), the block is handed to it as soon as it is read, and the
// connection is idle for the watchdog once net/http puts it back in its
// pool (PutIdleConn) or the response body is closed.
//
// It is also the context the request is sent with, around the request's
// own: dialContext finds the exchange's start in it, without a context
// value (an allocation) of its own.
type headCapture struct {
	context.Context
	trace httptrace.ClientTrace
	start int64  // when the exchange started (upstreams.now)
	gen   uint64 // the exchange's number on conn (upstreamConn.arm)
	conn  atomic.Pointer[upstreamConn]
	got   atomic.Pointer[rawBlock] // the response's block, once read

	// The context's own end (cancel): the watchdog's, or Close's cut.
	// net/http registers the request's context with its parent through
	// AfterFunc, so it stops the round trip, and never retries it on
	// another connection, once the exchange's time is up.
	mu         sync.Mutex
	doneCh     chan struct{} // made by Done
	err        error
	after      func()       // registered by AfterFunc; nil once run or stopped
	more       []*afterFunc // registered after it
	stopParent func() bool  // context.AfterFunc's on a parent that can end
}

// exchangeKey is the context key under which a headCapture gives itself.
type exchangeKey struct{}

func (h *headCapture) Value(key any) any {
	if key == (exchangeKey{}) {
		return h
	}
	return h.Context.Value(key)
}

func (h *headCapture) Done() <-chan struct{} {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.doneCh == nil {
		h.doneCh = make(chan struct{})
		if h.err != nil {
			close(h.doneCh)
		}
	}
	return h.doneCh
}

func (h *headCapture) Err() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.err
}

// AfterFunc arranges for f to run once the context ends; the context
// package finds it (context.afterFuncer) and registers a derived context
// with it instead of starting a goroutine. The request's context, the usual
// only child, takes a field; others a list. Each stop may be called once
// (the context package does).
func (h *headCapture) AfterFunc(f func()) (stop func() bool) {
	h.mu.Lock()
	if h.err != nil {
		h.mu.Unlock()
		go f()
		return func() bool { return false }
	}
	if h.after != nil { // another child: not on the proxy's path
		e := &afterFunc{f}
		h.more = append(h.more, e)
		h.mu.Unlock()
		return func() bool {
			h.mu.Lock()
			defer h.mu.Unlock()
			i := slices.Index(h.more, e)
			if i >= 0 {
				h.more = slices.Delete(h.more, i, i+1)
			}
			return i >= 0
		}
	}
	h.after = f
	h.mu.Unlock()
	return h.stopAfterFunc
}

// afterFunc is a function AfterFunc registered beyond the first.
type afterFunc struct{ f func() }

func (h *headCapture) stopAfterFunc() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	stopped := h.after != nil
	h.after = nil
	return stopped
}

// cancel ends the context with err (context.DeadlineExceeded from the
// watchdog, context.Canceled from Close's cut), before the exchange's
// connection is expired.
func (h *headCapture) cancel(err error) {
	h.mu.Lock()
	if h.err != nil {
		h.mu.Unlock()
		return
	}
	h.err = err
	if h.doneCh != nil {
		close(h.doneCh)
	}
	f, more := h.after, h.more
	h.after, h.more = nil, nil
	h.mu.Unlock()
	if f != nil {
		f() // context's: cancels the child, takes no lock of ours
	}
	for _, e := range more {
		e.f()
	}
}

// context returns the exchange's context: parent with the trace that arms
// the connection, ending when parent does, too. It is h itself, outermost:
// the context package registers a context derived from it through h's
// AfterFunc only if h is its immediate parent (otherwise with a goroutine
// of its own).
func (h *headCapture) context(parent context.Context) context.Context {
	if parent.Done() != nil {
		h.stopParent = context.AfterFunc(parent, func() { h.cancel(parent.Err()) })
	}
	h.trace.GotConn = func(info httptrace.GotConnInfo) {
		uc, _ := info.Conn.(*upstreamConn)
		if uc != nil {
			h.gen = uc.arm(h)
		}
		h.conn.Store(uc)
	}
	h.trace.PutIdleConn = func(error) { h.ended() }
	h.Context = httptrace.WithClientTrace(parent, &h.trace)
	return h
}

// raw returns the captured block, nil if none was read.
func (h *headCapture) raw() *rawBlock { return h.got.Load() }

// ended marks the exchange's connection idle: the exchange has ended, or
// net/http has put the connection back in its pool. It may run more than
// once.
func (h *headCapture) ended() {
	if uc := h.conn.Load(); uc != nil {
		uc.idle(h.gen)
	}
	if h.stopParent != nil {
		h.stopParent()
	}
}

// originBody is a response body from an origin: it reports the first read
// error other than io.EOF with the number of bytes read before it (to onErr,
// or for a recorded exchange to x.bodyFailed), ends the exchange's deadline
// when closed (head.ended), and, for a recorded exchange (x set), copies
// what is read into the recording and releases the exchange's reference
// when closed.
type originBody struct {
	rc    io.ReadCloser
	head  *headCapture
	onErr func(err error, read int) // when x is nil
	x     *exchange

	n         int
	errOnce   sync.Once
	closeOnce sync.Once
}

// maxPresize bounds the recorded body's first allocation, made from the
// response's Content-Length.
const maxPresize = 1 << 20

func (b *originBody) Read(p []byte) (int, error) {
	n, err := b.rc.Read(p)
	b.n += n
	if x := b.x; x != nil {
		if n > 0 {
			x.mu.Lock()
			x.rec.respBody = append(x.rec.respBody, p[:n]...)
			x.mu.Unlock()
		}
		if err == io.EOF {
			x.responseEOF.Store(true)
		}
	}
	if err != nil && err != io.EOF {
		b.errOnce.Do(func() {
			if b.x != nil {
				b.x.bodyFailed(err, b.n)
			} else {
				b.onErr(err, b.n)
			}
		})
	}
	return n, err
}

func (b *originBody) Close() error {
	err := b.rc.Close()
	b.head.ended()
	if b.x != nil {
		b.closeOnce.Do(b.x.release)
	}
	return err
}

// exchange is a recorded exchange in flight. It is stored when both bodies
// are closed: the response body by martian once written to the client, the
// request body by the Transport once sent.
type exchange struct {
	r             *Recorder
	seq           uint64
	host          string      // normAuthority of the URL
	method, url   string      // as recorded
	client        *clientConn // nil if it closed before the exchange began
	refs          atomic.Int32
	failed        atomic.Bool
	contentLength int64
	// responseEOF: the response body was read to its end, so martian
	// wrote all of it to the client; noBody: the response has none.
	// Without either, the exchange is incomplete (the client went away,
	// or Close cut it) and is not recorded.
	responseEOF atomic.Bool
	noBody      bool

	mu  sync.Mutex // guards what the round trip and the bodies add to rec
	rec recording  // method and url are set before the exchange starts

	// Parts of the round trip, allocated with the exchange.
	head headCapture // the response's raw header block
	body originBody  // the origin's response body, copied into rec.respBody
}

// fail reports the exchange as failed with err, from the round trip (body
// -1) or after body bytes of the response body.
func (x *exchange) fail(err error, body int) {
	x.failed.Store(true)
	r := x.r
	cause := upstreamError(x.host, err, r.upstreamTimeout, body)
	if r.cutting.Load() {
		cause = r.cutError(x.host)
	}
	r.fail(Failure{Method: x.rec.method, URL: x.rec.url, Host: x.host, Err: cause})
}

// bodyFailed is fail for the response body, which also makes the client
// connection end once martian has written what the origin sent.
func (x *exchange) bodyFailed(err error, read int) {
	x.fail(err, read)
	if x.client != nil {
		x.client.abortAfterResponse(isReset(err))
	}
}

// release drops one reference; the last one stores the interaction.
func (x *exchange) release() {
	if x.refs.Add(-1) != 0 {
		return
	}
	defer x.r.pending.Done()
	if x.failed.Load() {
		return
	}
	x.mu.Lock()
	rec, want, complete := x.rec, x.contentLength, x.noBody || x.responseEOF.Load()
	x.mu.Unlock()
	if !complete {
		if x.r.cutting.Load() {
			x.r.fail(Failure{Method: rec.method, URL: rec.url, Host: x.host, Err: x.r.cutError(x.host)})
			return
		}
		x.r.log.Warn("recorder: response not delivered in full to the client (it went away); not recorded",
			"url", rec.url, "got", len(rec.respBody))
		return
	}
	if want >= 0 && int64(len(rec.respBody)) != want {
		x.r.log.Warn("recorder: response body cut short; recorded as received",
			"url", rec.url, "want", want, "got", len(rec.respBody))
	}
	x.r.store(x.seq, &rec)
}

// teeBody is a recorded request's body: it copies what is read through it
// into *into, leaving the stream to its reader (the origin still gets it).
type teeBody struct {
	rc   io.ReadCloser
	x    *exchange
	into *cassettes.Body

	once sync.Once
}

func (b *teeBody) Read(p []byte) (int, error) {
	n, err := b.rc.Read(p)
	if n > 0 {
		b.x.mu.Lock()
		*b.into = append(*b.into, p[:n]...)
		b.x.mu.Unlock()
	}
	return n, err
}

func (b *teeBody) Close() error {
	err := b.rc.Close()
	b.once.Do(b.x.release)
	return err
}

// dialUpstream dials the address Config.Upstreams maps addr to, or addr.
func (r *Recorder) dialUpstream(ctx context.Context, network, addr string) (net.Conn, error) {
	ctx, cancel, err := r.dialContext(ctx)
	if err != nil {
		return nil, &dialError{err}
	}
	defer cancel()
	c, err := r.dialRaw(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	uc := &upstreamConn{Conn: c}
	r.up.add(uc)
	return uc, nil
}

// dialRaw dials the address Config.Upstreams maps addr to, or addr.
func (r *Recorder) dialRaw(ctx context.Context, network, addr string) (net.Conn, error) {
	target := addr
	if to, ok := r.cfg.upstreams[normAuthority("http", addr)]; ok {
		target = to
	}
	c, err := r.dialer.DialContext(ctx, network, target)
	if err != nil {
		return nil, &dialError{err} // net's error names the address dialed
	}
	return c, nil
}

// serveLocal runs h on req in memory and returns its response, as a server
// would have written it (status, headers snapshotted at WriteHeader,
// Content-Type sniffed when unset).
func serveLocal(h http.Handler, req *http.Request) (res *http.Response, err error) {
	w := &memWriter{header: http.Header{}}
	defer func() {
		if p := recover(); p != nil {
			res, err = nil, fmt.Errorf("recorder: intercept handler for %q panicked: %v", req.URL.String(), p)
		}
	}()
	h.ServeHTTP(w, req)
	w.WriteHeader(http.StatusOK)
	body := w.body.Bytes()
	if _, ok := w.sent["Content-Type"]; !ok && len(body) > 0 && w.sent.Get("Content-Encoding") == "" {
		w.sent.Set("Content-Type", http.DetectContentType(body))
	}
	return &http.Response{
		Status:        fmt.Sprintf("%d %s", w.status, http.StatusText(w.status)),
		StatusCode:    w.status,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        w.sent,
		Body:          io.NopCloser(bytes.NewReader(body)),
		ContentLength: int64(len(body)),
		Request:       req,
	}, nil
}

// memWriter is an in-memory http.ResponseWriter for intercepted requests.
type memWriter struct {
	header http.Header
	sent   http.Header // header as of WriteHeader
	status int
	body   bytes.Buffer
}

func (w *memWriter) Header() http.Header { return w.header }

func (w *memWriter) WriteHeader(code int) {
	if w.sent != nil || (code >= 100 && code < 200 && code != http.StatusSwitchingProtocols) {
		return
	}
	w.status, w.sent = code, w.header.Clone()
}

func (w *memWriter) Write(p []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	return w.body.Write(p)
}

// Flush is a no-op: the response is sent when the handler returns.
func (w *memWriter) Flush() {}

// fixDate sets every Date line to cassettes.RecordedDate, so that recording
// unchanged servers again gives the same cassette.
func fixDate(h cassettes.Headers) {
	for i := range h {
		if strings.EqualFold(h[i].Name, "Date") {
			h[i].Value = cassettes.RecordedDate
		}
	}
}
