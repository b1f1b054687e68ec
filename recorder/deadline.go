package recorder

import (
	"context"
	"sync"
	"time"
)

// Exchange deadlines.
//
// Config.UpstreamTimeout bounds every forwarded exchange. A context with a
// deadline per exchange (or one shared by exchanges that start close
// together) made net/http register and unregister each request with that
// context under its lock, a tenth of the proxy's own cost per exchange.
// Instead, the origin connection an exchange uses carries the time the
// exchange started, and a watchdog that wakes every slack (an eighth of
// the timeout, at most a second) expires the connections whose exchange
// has run longer than the timeout: the exchange's context ends (its
// headCapture, with which net/http registers the request's context without
// a lock shared by every exchange), so net/http stops the round trip rather
// than try it again on another connection, and the connection's reads and
// writes fail at once with os.ErrDeadlineExceeded, so a body being copied
// fails too. An exchange is therefore allowed at least UpstreamTimeout and
// at most a slack more. A dial, which happens
// before an exchange has a connection, ends at the exchange's deadline
// (dialContext). Close's cut expires every connection and cancels every
// dial.

// upstreams tracks the open origin connections and expires the overdue
// ones.
type upstreams struct {
	timeout time.Duration
	epoch   time.Time // monotonic origin of upstreamConn.since

	mu    sync.Mutex
	conns map[*upstreamConn]struct{}
	cut   bool // expireAll has run

	stop chan struct{} // closed by close
	done chan struct{} // closed when the watchdog has returned
}

func newUpstreams(timeout time.Duration) *upstreams {
	u := &upstreams{
		timeout: timeout,
		epoch:   time.Now(),
		conns:   map[*upstreamConn]struct{}{},
		stop:    make(chan struct{}),
		done:    make(chan struct{}),
	}
	go u.watch(slack(timeout))
	return u
}

// slack is how long an exchange may run past the timeout before the
// watchdog notices: an eighth of it, at most a second.
func slack(timeout time.Duration) time.Duration {
	return max(min(timeout/8, time.Second), time.Millisecond)
}

// now is the time since u.epoch, never 0 (0 marks an idle connection).
func (u *upstreams) now() int64 { return int64(time.Since(u.epoch)) + 1 }

func (u *upstreams) watch(every time.Duration) {
	defer close(u.done)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-u.stop:
			return
		case <-t.C:
			u.expireOverdue(u.now())
		}
	}
}

// expireOverdue expires the connections whose exchange started more than
// the timeout before now.
func (u *upstreams) expireOverdue(now int64) {
	limit := now - int64(u.timeout)
	u.mu.Lock()
	defer u.mu.Unlock()
	for c := range u.conns {
		c.expireIfStarted(limit)
	}
}

// expireAll expires every open connection, and every one added later
// (Close's cut).
func (u *upstreams) expireAll() {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.cut = true
	for c := range u.conns {
		c.cut()
	}
}

func (u *upstreams) add(c *upstreamConn) {
	c.u = u
	u.mu.Lock()
	defer u.mu.Unlock()
	u.conns[c] = struct{}{}
	if u.cut {
		c.cut() // a dial that ended after the cut
	}
}

func (u *upstreams) remove(c *upstreamConn) {
	u.mu.Lock()
	delete(u.conns, c)
	u.mu.Unlock()
}

// close stops the watchdog and waits for it.
func (u *upstreams) close() {
	select {
	case <-u.stop:
	default:
		close(u.stop)
	}
	<-u.done
}

// dialContext bounds a dial to an origin by the timeout of the exchange
// that asked for it (from the exchange's start, found in ctx: headCapture)
// and by Close's cut.
func (r *Recorder) dialContext(ctx context.Context) (context.Context, context.CancelFunc, error) {
	if r.cutCtx.Err() != nil {
		return nil, nil, r.cutCtx.Err()
	}
	deadline := time.Now().Add(r.upstreamTimeout)
	if h, _ := ctx.Value(exchangeKey{}).(*headCapture); h != nil {
		deadline = r.up.epoch.Add(time.Duration(h.start) + r.upstreamTimeout)
	}
	ctx, cancel := context.WithDeadline(ctx, deadline)
	stop := context.AfterFunc(r.cutCtx, cancel)
	return ctx, func() { stop(); cancel() }, nil
}
