package recorder

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httptrace"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/corsvcr/corsvcr/internal/faulttest"
)

// TestCloseIsBoundedByAnOriginThatNeverAnswers: an origin that accepts a
// request and never answers cannot hold Close past Config.CloseTimeout,
// however long the upstream timeout: Close cuts the exchange, the client
// sees its connection end, and the cut exchange is a Failure wrapping
// ErrCut, not an interaction.
func TestCloseIsBoundedByAnOriginThatNeverAnswers(t *testing.T) {
	t.Parallel()
	arrived := make(chan struct{}, 1)
	origin := faulttest.Origin(t, func(c *net.TCPConn, done <-chan struct{}) {
		arrived <- struct{}{}
		<-done // never answers while the test runs
	})
	rec, err := Start(Config{
		Hosts:           []string{"localhost:8000"},
		Upstreams:       map[string]string{"localhost:8000": origin},
		UpstreamTimeout: 10 * time.Minute,
		CloseTimeout:    200 * time.Millisecond,
	})
	require.NoError(t, err)
	client := faultClient(t, rec)

	got := make(chan error, 1)
	go func() {
		res, err := client.Get("http://localhost:8000/slow")
		if err == nil {
			res.Body.Close()
			err = errors.New("got a response: " + res.Status)
		}
		got <- err
	}()
	select {
	case <-arrived:
	case err := <-got:
		t.Fatalf("the request ended before it reached the origin: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("the request did not reach the origin")
	}

	closed := make(chan error, 1)
	start := time.Now()
	go func() { closed <- rec.Close() }()
	select {
	case err := <-closed:
		assert.NoError(t, err)
		t.Logf("Close returned after %v", time.Since(start))
	case <-time.After(15 * time.Second):
		t.Fatal("Close still waits for the hanging origin after 15s (CloseTimeout 200ms)")
	}
	select {
	case err := <-got:
		assert.Error(t, err, "the client's connection ends")
	case <-time.After(15 * time.Second):
		t.Fatal("the client still waits after Close")
	}
	assert.Empty(t, rec.Interactions())
	fs := rec.Failures()
	require.Len(t, fs, 1)
	assert.ErrorIs(t, fs[0], ErrCut)
	assert.Equal(t, "http://localhost:8000/slow", fs[0].URL)
	assert.Contains(t, fs[0].Error(), "upstream localhost:8000: cut: the recorder closed before the exchange ended")
}

// TestCloseWaitsForAnExchangeThatEndsInTime: within CloseTimeout, Close
// lets an exchange in flight finish and records it.
func TestCloseWaitsForAnExchangeThatEndsInTime(t *testing.T) {
	t.Parallel()
	arrived, answer := make(chan struct{}), make(chan struct{})
	srv := upstream(t, func(w http.ResponseWriter, r *http.Request) {
		close(arrived)
		<-answer
		w.Write([]byte("done"))
	})
	rec, err := Start(Config{CloseTimeout: time.Minute})
	require.NoError(t, err)
	client := faultClient(t, rec)
	got := make(chan error, 1)
	go func() {
		res, err := client.Get(srv.URL + "/x")
		if err == nil {
			res.Body.Close()
		}
		got <- err
	}()
	<-arrived
	closed := make(chan error, 1)
	go func() { closed <- rec.Close() }()
	close(answer)
	require.NoError(t, <-closed)
	require.NoError(t, <-got)
	require.Len(t, rec.Interactions(), 1)
	assert.Equal(t, "done", string(rec.Interactions()[0].Response.Body))
	assert.Empty(t, rec.Failures())
}

// The watchdog expires exactly the connections whose exchange has run
// longer than the timeout: not one within it, not an idle one, not one an
// exchange reuses after an overdue one ended; the expired connection fails
// its reads at once; Close's cut expires every connection.
func TestExchangeDeadline(t *testing.T) {
	t.Parallel()
	const timeout = 8 * time.Second
	u := &upstreams{timeout: timeout, epoch: time.Now(), conns: map[*upstreamConn]struct{}{}}
	conn := func() *upstreamConn {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		defer ln.Close()
		c, err := net.Dial("tcp", ln.Addr().String())
		require.NoError(t, err)
		peer, err := ln.Accept()
		require.NoError(t, err)
		t.Cleanup(func() { c.Close(); peer.Close() })
		_, err = peer.Write([]byte("0123456789")) // something to read
		require.NoError(t, err)
		uc := &upstreamConn{Conn: c}
		u.add(uc)
		return uc
	}
	expired := func(c *upstreamConn) bool {
		_, err := c.Read(make([]byte, 1))
		if err != nil {
			require.ErrorIs(t, err, os.ErrDeadlineExceeded)
			assert.True(t, isTimeout(err))
			return true
		}
		return false
	}
	t0 := int64(time.Hour)
	early, late, idle, reused := conn(), conn(), conn(), conn()
	early.arm(&headCapture{start: t0})
	late.arm(&headCapture{start: t0 + int64(time.Second)})
	g := reused.arm(&headCapture{start: t0})
	reused.idle(g)
	g2 := reused.arm(&headCapture{start: t0 + int64(2*time.Second)}) // the connection goes to a new exchange
	reused.idle(g)                                                   // the old one's late end changes nothing
	assert.NotEqual(t, g, g2)

	u.expireOverdue(t0 + int64(timeout) - 1)
	for _, c := range []*upstreamConn{early, late, idle, reused} {
		assert.False(t, expired(c), "nothing has run for the timeout yet")
	}
	u.expireOverdue(t0 + int64(timeout))
	assert.True(t, expired(early), "the exchange that started at t0 has run the timeout")
	assert.True(t, expired(early), "and stays expired")
	for _, c := range []*upstreamConn{late, idle, reused} {
		assert.False(t, expired(c))
	}
	u.expireOverdue(t0 + int64(timeout+time.Second))
	assert.True(t, expired(late))
	assert.False(t, expired(idle), "an idle connection is never expired")
	assert.False(t, expired(reused), "the reused connection's exchange started later")

	u.expireAll()
	assert.True(t, expired(idle), "the cut expires every connection")
	assert.True(t, expired(reused))

	require.NoError(t, idle.Close())
	u.mu.Lock()
	assert.Len(t, u.conns, 3, "a closed connection is no longer tracked")
	u.mu.Unlock()
	assert.True(t, expired(conn()), "a connection dialled after the cut is expired as it is added")
	assert.Equal(t, time.Second, slack(timeout), "the watchdog wakes every eighth of the timeout")
	assert.Equal(t, time.Second, slack(time.Hour), "at most every second")
}

// An exchange's connection is idle for the watchdog as soon as net/http
// puts it back in its pool (PutIdleConn), before martian closes the body:
// a pooled connection is never expired for an exchange that has ended.
func TestExchangeIdleWhenPooled(t *testing.T) {
	t.Parallel()
	c1, c2 := net.Pipe()
	defer c1.Close()
	defer c2.Close()
	uc := &upstreamConn{Conn: c1}
	h := &headCapture{start: 42}
	ctx := h.context(context.Background())
	trace := httptrace.ContextClientTrace(ctx)
	require.NotNil(t, trace)
	trace.GotConn(httptrace.GotConnInfo{Conn: uc})
	assert.Equal(t, int64(42), uc.since.Load(), "armed with the exchange's start")
	trace.PutIdleConn(nil)
	assert.Zero(t, uc.since.Load(), "idle once back in the pool")

	// The same connection handed to the next exchange before the first
	// one's body is closed: the late close changes nothing.
	next := &headCapture{start: 43}
	httptrace.ContextClientTrace(next.context(context.Background())).GotConn(httptrace.GotConnInfo{Conn: uc})
	h.ended()
	assert.Equal(t, int64(43), uc.since.Load())
}

// A dial is bounded by the deadline of the exchange that asked for it,
// counted from the exchange's start, and refused once Close has cut.
func TestDialDeadline(t *testing.T) {
	t.Parallel()
	rec, err := Start(Config{UpstreamTimeout: time.Hour})
	require.NoError(t, err)
	h := &headCapture{start: rec.up.now() - int64(10*time.Minute)}
	ctx, cancel, err := rec.dialContext(h.context(context.Background()))
	require.NoError(t, err)
	d, ok := ctx.Deadline()
	cancel()
	require.True(t, ok)
	assert.Equal(t, rec.up.epoch.Add(time.Duration(h.start)+time.Hour), d, "the exchange's start plus the timeout")

	rec.cutting.Store(true)
	rec.cut()
	_, _, err = rec.dialContext(context.Background())
	assert.ErrorIs(t, err, context.Canceled, "no dial after the cut")
	require.NoError(t, rec.Close())
}

// A request whose client connection Close's cut has already closed when
// its round trip starts is a cut exchange, reported like one.
func TestCutBeforeRoundTrip(t *testing.T) {
	t.Parallel()
	rec, err := Start(Config{Hosts: []string{"localhost:8000"}, Upstreams: map[string]string{"localhost:8000": closedAddr(t)}})
	require.NoError(t, err)
	rec.cutting.Store(true)
	req := httptest.NewRequest(http.MethodGet, "http://localhost:8000/x", nil)
	req.RemoteAddr = "127.0.0.1:1" // no connection of the recorder's
	_, err = (&roundTripper{r: rec, tr: rec.transport}).RoundTrip(req)
	assert.ErrorIs(t, err, ErrCut)
	require.NoError(t, rec.Close())
	fs := rec.Failures()
	require.Len(t, fs, 1)
	assert.ErrorIs(t, fs[0], ErrCut)
	assert.Equal(t, "http://localhost:8000/x", fs[0].URL)
}

// An exchange's context (headCapture) ends when the watchdog or the cut
// ends it, or when the request's own context ends; a context net/http
// derives from it ends with it, registered without a goroutine.
func TestExchangeContext(t *testing.T) {
	t.Parallel()
	h := &headCapture{}
	ctx := h.context(context.Background())
	_, registers := ctx.(interface{ AfterFunc(func()) func() bool })
	assert.True(t, registers, "a derived context registers with the exchange's, without a goroutine")
	child, stop := context.WithCancelCause(ctx)
	defer stop(nil)
	assert.NoError(t, child.Err())
	h.cancel(context.DeadlineExceeded)
	<-child.Done()
	assert.ErrorIs(t, context.Cause(child), context.DeadlineExceeded)
	assert.ErrorIs(t, ctx.Err(), context.DeadlineExceeded)
	h.cancel(context.Canceled) // once only
	assert.ErrorIs(t, ctx.Err(), context.DeadlineExceeded)

	// Several children end together.
	h4 := &headCapture{}
	ctx4 := h4.context(context.Background())
	c1, s1 := context.WithCancel(ctx4)
	defer s1()
	c2, s2 := context.WithCancel(ctx4)
	defer s2()
	c3, s3 := context.WithCancel(ctx4)
	s3() // stopped before the end
	h4.cancel(context.DeadlineExceeded)
	<-c1.Done()
	<-c2.Done()
	assert.ErrorIs(t, c3.Err(), context.Canceled)

	// A child that stops its registration is not ended later.
	h2 := &headCapture{}
	child2, stop2 := context.WithCancel(h2.context(context.Background()))
	stop2()
	assert.False(t, h2.stopAfterFunc(), "the child's end removed its registration")
	h2.cancel(context.DeadlineExceeded)
	assert.ErrorIs(t, child2.Err(), context.Canceled)

	// The request's own context ending ends the exchange's.
	parent, cancelParent := context.WithCancel(context.Background())
	h3 := &headCapture{}
	child3, stop3 := context.WithCancel(h3.context(parent))
	defer stop3()
	cancelParent()
	<-child3.Done()
	assert.ErrorIs(t, h3.Err(), context.Canceled)
}
