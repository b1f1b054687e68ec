package recorder

import (
	"context"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// listener wraps the proxy's listener so that the recorder sees the raw
// bytes of every client connection and knows when each one is closed.
type listener struct {
	net.Listener
	tunnelConnect bool

	closeOnce sync.Once
	closeErr  error

	wg    sync.WaitGroup // accepted connections not yet closed
	mu    sync.Mutex
	conns map[string]*clientConn // by remote address
}

func newListener(l net.Listener, tunnelConnect bool) *listener {
	return &listener{Listener: l, tunnelConnect: tunnelConnect, conns: map[string]*clientConn{}}
}

// Accept is only called from martian's Serve loop; the recorder waits for
// Serve to return before it waits on wg.
func (l *listener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	cc := &clientConn{Conn: c, l: l, key: c.RemoteAddr().String()}
	cc.stream.tunnelConnect = l.tunnelConnect
	l.wg.Add(1)
	l.mu.Lock()
	l.conns[cc.key] = cc
	l.mu.Unlock()
	return cc, nil
}

// Close closes the listener once; martian closes it too.
func (l *listener) Close() error {
	l.closeOnce.Do(func() { l.closeErr = l.Listener.Close() })
	return l.closeErr
}

// conn returns the open client connection whose remote address is
// remoteAddr (martian copies it into req.RemoteAddr), or nil.
func (l *listener) conn(remoteAddr string) *clientConn {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.conns[remoteAddr]
}

// rawRequest pops the oldest raw header block read on c.
func (c *clientConn) rawRequest() (rawBlock, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stream.pop()
}

// clientConn is a client (browser) connection whose request bytes are
// followed by a requestStream as martian reads them.
type clientConn struct {
	net.Conn
	l   *listener
	key string

	mu     sync.Mutex // guards stream
	stream requestStream
	// cur is the arrival of the request being served on the connection
	// (Recorder.arrivalOf).
	cur atomic.Pointer[arrival]
	// aborting: end the connection at the next Read (abortAfterResponse),
	// with a reset when abortRST is set (stored first).
	aborting, abortRST atomic.Bool

	closeOnce sync.Once
	closeErr  error
}

func (c *clientConn) Read(p []byte) (int, error) {
	if c.aborting.Load() {
		c.abort(c.abortRST.Load())
		return 0, net.ErrClosed
	}
	n, err := c.Conn.Read(p)
	if n > 0 {
		c.mu.Lock()
		c.stream.feed(p[:n])
		c.mu.Unlock()
	}
	return n, err
}

func (c *clientConn) Close() error {
	c.closeOnce.Do(func() {
		c.closeErr = c.Conn.Close()
		c.l.mu.Lock()
		if c.l.conns[c.key] == c {
			delete(c.l.conns, c.key)
		}
		c.l.mu.Unlock()
		c.l.wg.Done()
	})
	return c.closeErr
}

// upstreamConn is a connection to an origin whose response bytes are
// followed by a responseCapture, armed for each request sent on it, and
// whose exchange's start the watchdog of upstreams checks (deadline.go).
type upstreamConn struct {
	net.Conn
	u *upstreams

	// since is when the exchange using the connection started
	// (upstreams.now), 0 while no exchange does. Written under mu.
	since atomic.Int64

	mu      sync.Mutex
	capture responseCapture
	owner   *headCapture // the exchange capture hands its block to
	exch    *headCapture // the exchange using the connection; nil while idle
	gen     uint64       // exchanges armed so far
	// armed mirrors capture.armed, so that a Read need not lock while no
	// response is being captured (the body, or the connection idle).
	armed atomic.Bool

	closeOnce sync.Once
	closeErr  error
}

func (c *upstreamConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 && c.armed.Load() {
		c.mu.Lock()
		c.capture.feed(p[:n])
		c.armed.Store(c.capture.armed)
		if c.capture.done && c.owner != nil {
			// Handed over at once: net/http may put the connection
			// back in its pool, and another exchange arm it, before
			// this one's round trip returns (a response without a
			// body).
			blk := c.capture.got
			c.owner.got.Store(&blk)
			c.owner = nil
		}
		c.mu.Unlock()
	}
	return n, err
}

// arm starts capturing the next response header block for the exchange of
// h, which gets the block when it is read; it returns the exchange's
// number on the connection. net/http does not pipeline: when a connection
// is handed to a request, every earlier response on it has been read in
// full.
func (c *upstreamConn) arm(h *headCapture) uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.capture.arm()
	c.armed.Store(true)
	c.owner, c.exch = h, h
	c.gen++
	c.since.Store(h.start)
	return c.gen
}

// idle marks the connection idle once exchange gen has ended, unless
// another exchange has been armed on it since.
func (c *upstreamConn) idle(gen uint64) {
	c.mu.Lock()
	if c.gen == gen {
		c.since.Store(0)
		c.exch = nil
	}
	c.mu.Unlock()
}

// expireIfStarted ends the exchange using the connection, and expires the
// connection, if that exchange started at or before limit: its context
// first (net/http then stops the round trip instead of trying it again
// on another connection), then the connection (a body being read or
// written fails at once).
func (c *upstreamConn) expireIfStarted(limit int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if s := c.since.Load(); s != 0 && s <= limit {
		if c.exch != nil {
			c.exch.cancel(context.DeadlineExceeded)
		}
		c.expire()
	}
}

// cut ends the exchange using the connection, if any, and expires the
// connection (Close's cut).
func (c *upstreamConn) cut() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.exch != nil {
		c.exch.cancel(context.Canceled)
	}
	c.expire()
}

// expire makes every read and write on the connection fail now, and from
// now on, with os.ErrDeadlineExceeded.
func (c *upstreamConn) expire() { c.Conn.SetDeadline(time.Unix(0, 1)) }

func (c *upstreamConn) Close() error {
	c.closeOnce.Do(func() {
		if c.u != nil {
			c.u.remove(c)
		}
		c.closeErr = c.Conn.Close()
	})
	return c.closeErr
}
