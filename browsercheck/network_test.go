package browsercheck_test

import (
	"context"
	"net"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/corsvcr/corsvcr/checks"
	"github.com/corsvcr/corsvcr/internal/faulttest"
)

// TestNetworkErrorIsNotACORSVerdict: a request whose origin cannot be
// reached, or whose connection breaks, gives a verdict with Chrome's net
// error in NetworkError and no CORS error (the test proxy, like the
// recorder, closes the browser's connection when its upstream fails; a
// body broken off mid-way through the recorder is tested in integration).
func TestNetworkErrorIsNotACORSVerdict(t *testing.T) {
	b := needChrome(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	closed := l.Addr().String()
	require.NoError(t, l.Close())
	proxy.Map("localhost:8091", closed)
	proxy.Map("localhost:8093", faulttest.Origin(t, func(c *net.TCPConn, _ <-chan struct{}) {
		faulttest.Reset(c)
	}))

	tests := []struct {
		name string
		req  checks.Request
	}{
		{name: "closed port", req: checks.Request{URL: "http://localhost:8091/api"}},
		{name: "closed port, preflighted", req: checks.Request{URL: "http://localhost:8091/api", Method: "PUT", Headers: jsonHeaders, Body: "{}"}},
		{name: "reset", req: checks.Request{URL: "http://localhost:8093/api"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := only(b.Check(context.Background(), checks.Check{Name: tt.name, Page: pageOrigin, Steps: []checks.Step{{Request: tt.req}}}))
			require.NoError(t, err)
			t.Logf("verdict: %+v", v)
			assert.True(t, strings.HasPrefix(v.NetworkError, "net::ERR_"), "network error %q", v.NetworkError)
			assert.NotEqual(t, "net::ERR_FAILED", v.NetworkError)
			assert.Empty(t, v.CorsError)
			assert.Empty(t, v.Console)
			assert.False(t, v.Allowed)
		})
	}
}
