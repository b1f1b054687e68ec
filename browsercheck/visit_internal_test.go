package browsercheck

import (
	"context"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A page that never settles because requests keep starting (it polls) and
// none is in flight when the visit's time is up: the error says so and
// names the last request started, not only "network not idle".
func TestVisitWaitIdlePolling(t *testing.T) {
	vc := &visitCollector{col: newCollector(nil), meta: map[network.RequestID]visitMeta{}}
	for _, id := range []network.RequestID{"1.1", "1.2"} {
		vc.add(&network.EventRequestWillBeSent{RequestID: id, Type: network.ResourceTypeFetch,
			Request: &network.Request{Method: "GET", URL: "http://localhost:8000/poll?n=" + string(id)}})
		vc.add(&network.EventResponseReceived{RequestID: id, Response: &network.Response{Status: 200}})
	}
	ctx, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel()
	err := vc.waitIdle(ctx, time.Hour)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.EqualError(t, err, "network not idle for 1h0m0s: requests kept starting (2 started, the last GET http://localhost:8000/poll?n=1.2): context deadline exceeded")

	// A request in flight is named as before.
	vc.add(&network.EventRequestWillBeSent{RequestID: "1.3", Type: network.ResourceTypeFetch,
		Request: &network.Request{Method: "GET", URL: "http://localhost:8000/stream"}})
	err = vc.waitIdle(ctx, time.Hour)
	assert.ErrorContains(t, err, "still in flight: request GET http://localhost:8000/stream (request id 1.3)")
}
