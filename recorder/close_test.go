package recorder

import (
	"context"
	"errors"
	"net"
	"net/http"
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

// Every exchange gets the whole Config.UpstreamTimeout, however late in its
// time slot it starts, and at most an eighth more; Close's cut ends them
// all.
func TestExchangeSlots(t *testing.T) {
	t.Parallel()
	const timeout = 8 * time.Second
	cut, stop := context.WithCancel(context.Background())
	defer stop()
	var s slots
	t0 := time.Now()
	deadline := func(ctx context.Context) time.Time {
		d, ok := ctx.Deadline()
		require.True(t, ok)
		return d
	}
	first := s.context(cut, timeout, t0)
	assert.Equal(t, t0.Add(timeout+time.Second), deadline(first))
	for _, at := range []time.Duration{0, 500 * time.Millisecond, time.Second} {
		assert.Same(t, first, s.context(cut, timeout, t0.Add(at)), "an exchange starting %v into the slot shares it", at)
	}
	late := s.context(cut, timeout, t0.Add(time.Second+time.Millisecond))
	assert.NotSame(t, first, late, "a slot whose deadline is nearer than the timeout is not handed out")
	assert.Equal(t, t0.Add(time.Second+time.Millisecond+timeout+time.Second), deadline(late))

	short := slots{}
	assert.Equal(t, t0.Add(400*time.Millisecond+50*time.Millisecond), deadline(short.context(cut, 400*time.Millisecond, t0)),
		"the slack is an eighth of a short timeout")

	stop()
	for _, ctx := range []context.Context{first, late} {
		<-ctx.Done()
		assert.ErrorIs(t, ctx.Err(), context.Canceled)
	}
}
