package browsercheck

import (
	"testing"

	"github.com/chromedp/cdproto/network"
	"github.com/stretchr/testify/assert"
)

// A CorsError that this cdproto does not know (from a newer Chrome) is kept
// verbatim.
func TestStateKeepsUnknownCorsError(t *testing.T) {
	c := newCollector(nil)
	c.add(&network.EventRequestWillBeSent{RequestID: "1", Request: &network.Request{URL: "http://a.test/x", Method: "GET"}})
	c.add(&network.EventLoadingFailed{RequestID: "1", ErrorText: "net::ERR_FAILED",
		CorsErrorStatus: &network.CorsErrorStatus{CorsError: "SomethingNewInChrome200", FailedParameter: "p"}})
	st := c.state(spec{Method: "GET", API: "fetch"}, jsResult{Href: "http://a.test/x", Error: "TypeError: Failed to fetch"})
	assert.Equal(t, "SomethingNewInChrome200", st.v.CorsError)
	assert.Equal(t, "p", st.v.FailedParameter)
	assert.False(t, st.v.Allowed)
	assert.Empty(t, st.missing)
	assert.True(t, st.wantConsole)
}

// The preflight's events may come before or after the actual request's: the
// verdict is the same, and a missing terminal event is named.
func TestStateOrderInsensitive(t *testing.T) {
	pre := &network.EventRequestWillBeSent{RequestID: "p", Request: &network.Request{URL: "http://a.test/x", Method: "OPTIONS"},
		Initiator: &network.Initiator{Type: network.InitiatorTypePreflight, RequestID: "1"}}
	act := &network.EventRequestWillBeSent{RequestID: "1", Request: &network.Request{URL: "http://a.test/x", Method: "POST"}}
	js := jsResult{Href: "http://a.test/x", OK: true, Status: 200}
	s := spec{Method: "POST", API: "fetch"}
	for _, order := range [][]any{{pre, act}, {act, pre}} {
		c := newCollector(nil)
		for _, ev := range order {
			c.add(ev)
		}
		c.add(&network.EventResponseReceived{RequestID: "1", Response: &network.Response{Status: 200}})
		c.add(&network.EventRequestWillBeSentExtraInfo{RequestID: "1"})
		c.add(&network.EventLoadingFinished{RequestID: "1"})
		st := c.state(s, js)
		assert.True(t, st.v.Preflight)
		assert.Equal(t, "Network.loadingFinished or Network.loadingFailed for preflight OPTIONS http://a.test/x (request id p)", st.missing)
		c.add(&network.EventLoadingFinished{RequestID: "p"})
		st = c.state(s, js)
		assert.Empty(t, st.missing)
		assert.True(t, st.v.Allowed)
		assert.Equal(t, 200, st.v.Status)
	}
}

// Measured in Chrome 156 under load: the preflight's requestWillBeSent can
// arrive after the actual request's loadingFinished. The verdict must wait
// for the actual request's requestWillBeSentExtraInfo, which comes from the
// same network-service observer as the preflight's events and after them.
func TestStateWaitsForLatePreflight(t *testing.T) {
	js := jsResult{Href: "http://a.test/x", OK: true, Status: 200}
	s := spec{Method: "POST", API: "fetch"}
	c := newCollector(nil)
	c.add(&network.EventRequestWillBeSent{RequestID: "1", Request: &network.Request{URL: "http://a.test/x", Method: "POST"}})
	c.add(&network.EventResponseReceived{RequestID: "1", Response: &network.Response{Status: 200}})
	c.add(&network.EventLoadingFinished{RequestID: "1"})
	st := c.state(s, js)
	assert.Empty(t, st.missing)
	assert.True(t, st.wantExtra, "without the barrier the verdict would say no preflight")
	assert.True(t, st.waiting())
	c.add(&network.EventRequestWillBeSent{RequestID: "p", Request: &network.Request{URL: "http://a.test/x", Method: "OPTIONS"},
		Initiator: &network.Initiator{Type: network.InitiatorTypePreflight, RequestID: "1"}})
	c.add(&network.EventLoadingFinished{RequestID: "p"})
	c.add(&network.EventRequestWillBeSentExtraInfo{RequestID: "1"})
	st = c.state(s, js)
	assert.False(t, st.waiting())
	assert.True(t, st.v.Preflight)
	assert.True(t, st.v.Allowed)
}
