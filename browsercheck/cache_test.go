package browsercheck_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/corsvcr/corsvcr/checks"
)

// cacheRoutes serves responses that Chrome takes from its HTTP cache.
func cacheRoutes(mux *http.ServeMux) {
	// A cacheable permanent redirect without Access-Control-Allow-Origin:
	// the CORS check of the redirect response fails, from the network the
	// first time and from the HTTP cache the second.
	mux.HandleFunc("/cached-redirect", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "max-age=600")
		w.Header().Set("Location", "/simple")
		w.WriteHeader(http.StatusMovedPermanently)
	})
	// No Content-Type and no-store: Chrome 156 answers a no-cors fetch of
	// it but never sends loadingFinished.
	mux.HandleFunc("/no-store-untyped", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		w.Header()["Content-Type"] = nil
		w.Write([]byte("plain words"))
	})
}

// A response served from Chrome's HTTP cache never goes on the network: the
// verdict must not wait for network-only events (it did: a harness timeout).
func TestCheckCachedRedirect(t *testing.T) {
	b := needChrome(t)
	get := checks.Request{URL: apiOrigin + "/cached-redirect"}
	c := checks.Check{Name: "cached-redirect", Page: pageOrigin, Steps: []checks.Step{{Request: get}, {Request: get}}}
	before := upstream.count("GET /cached-redirect")
	vs, err := b.Check(context.Background(), c)
	require.NoError(t, err)
	require.Len(t, vs, 2)
	for i, s := range vs {
		assert.False(t, s.Allowed, "step %d", i+1)
		assert.Equal(t, "MissingAllowOriginHeader", s.CorsError, "step %d", i+1)
	}
	assert.Equal(t, 1, upstream.count("GET /cached-redirect")-before, "the second step's redirect came from the HTTP cache")
}

// A no-cors load Chrome never finishes still has its verdict once the script
// holds the opaque response (it was a harness timeout).
func TestCheckNoCorsWithoutTerminalEvent(t *testing.T) {
	b := needChrome(t)
	v, err := only(b.Check(context.Background(), checks.Check{Name: "no-store-untyped", Page: pageOrigin, Steps: []checks.Step{{
		Request: checks.Request{URL: apiOrigin + "/no-store-untyped", Mode: "no-cors"},
	}}}))
	require.NoError(t, err)
	assert.True(t, v.Allowed)
	assert.True(t, v.Opaque)
	assert.False(t, v.ORB)
	assert.Empty(t, v.CorsError)
}
