package replay

import (
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// connTracker enforces a Server's idle and read-header timeouts with a
// periodic sweep instead of read deadlines: net/http arms, moves and stops
// a timer on every request when http.Server has these timeouts, which on a
// keep-alive connection cost more CPU than the replay itself (measured:
// about 8 µs a request at one connection). Here a request costs two
// connection-state stores and one load per read.
//
// A connection is closed when it has waited longer than the idle timeout
// for the first byte of its next request, or longer than the read-header
// timeout between the first byte of a request (or the connection's start)
// and the end of that request's header; as net/http's deadlines would close
// it, within a quarter of the timeout more.
type connTracker struct {
	idle, header time.Duration
	epoch        time.Time // phase times are nanoseconds since epoch

	mu    sync.Mutex
	conns map[*trackedConn]struct{}

	stop chan struct{}
	done chan struct{}
}

// Connection phases (trackedConn.phase).
const (
	phaseHeader int32 = iota // reading a request header: the read-header timeout runs
	phaseActive              // a request is being served: no timeout
	phaseIdle                // waiting for the next request: the idle timeout runs
)

// trackedConn is a connection the tracker watches.
type trackedConn struct {
	net.Conn
	t     *connTracker
	phase atomic.Int32
	since atomic.Int64 // when the phase began, see connTracker.epoch
}

func newConnTracker(idle, header time.Duration) *connTracker {
	return &connTracker{
		idle: idle, header: header, epoch: time.Now(),
		conns: map[*trackedConn]struct{}{},
		stop:  make(chan struct{}),
		done:  make(chan struct{}),
	}
}

func (t *connTracker) now() int64 { return int64(time.Since(t.epoch)) }

// listener wraps ln so that its connections are tracked, and starts the
// sweep; close stops it.
func (t *connTracker) listener(ln net.Listener) net.Listener {
	go t.sweep()
	return trackingListener{ln, t}
}

type trackingListener struct {
	net.Listener
	t *connTracker
}

func (l trackingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	tc := &trackedConn{Conn: c, t: l.t}
	tc.since.Store(l.t.now())
	l.t.mu.Lock()
	l.t.conns[tc] = struct{}{}
	l.t.mu.Unlock()
	return tc, nil
}

// Read notes the first bytes of a request arriving on an idle connection:
// its header must now arrive within the read-header timeout.
func (c *trackedConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 && c.phase.Load() == phaseIdle {
		c.since.Store(c.t.now())
		c.phase.Store(phaseHeader)
	}
	return n, err
}

// CloseWrite half-closes the connection when it can (net/http uses it
// after an error response).
func (c *trackedConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

// connState is the http.Server's ConnState hook.
func (t *connTracker) connState(c net.Conn, st http.ConnState) {
	tc, ok := c.(*trackedConn)
	if !ok {
		return
	}
	switch st {
	case http.StateActive:
		tc.phase.Store(phaseActive)
	case http.StateIdle:
		tc.since.Store(t.now())
		tc.phase.Store(phaseIdle)
	case http.StateHijacked, http.StateClosed:
		t.mu.Lock()
		delete(t.conns, tc)
		t.mu.Unlock()
	}
}

// sweep closes the connections past their timeout until close.
func (t *connTracker) sweep() {
	defer close(t.done)
	tick := time.NewTicker(max(min(t.idle, t.header)/4, time.Millisecond))
	defer tick.Stop()
	for {
		select {
		case <-t.stop:
			return
		case <-tick.C:
		}
		t.sweepAt(t.now())
	}
}

// sweepAt closes the connections past their timeout at time now (see
// connTracker.epoch).
func (t *connTracker) sweepAt(now int64) {
	var expired []*trackedConn
	t.mu.Lock()
	for c := range t.conns {
		limit := t.header
		switch c.phase.Load() {
		case phaseActive:
			continue
		case phaseIdle:
			limit = t.idle
		}
		if time.Duration(now-c.since.Load()) > limit {
			expired = append(expired, c)
		}
	}
	t.mu.Unlock()
	for _, c := range expired {
		_ = c.Conn.Close() // net/http sees a read error and forgets the connection
	}
}

// close stops the sweep and waits for it.
func (t *connTracker) close() {
	close(t.stop)
	<-t.done
}
