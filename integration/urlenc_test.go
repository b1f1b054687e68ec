package integration

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/corsvcr/corsvcr/checks"
	"github.com/corsvcr/corsvcr/predict"
	"github.com/corsvcr/corsvcr/replay"
	"github.com/corsvcr/corsvcr/vcr"
)

// TestQueryEncodingLikeChrome: the predictor sends a query as Chrome
// encodes it (the special-query percent-encode set), so its requests match
// the recording of one whose URL has characters Go keeps raw.
func TestQueryEncodingLikeChrome(t *testing.T) {
	raw := "http://api.enc.test/q?name=o'brien&t=a\"b&s=x<y>&k={a}|^`[]~&u=caf\u00e9"
	file := &checks.File{Checks: []checks.Check{{Name: "enc", Page: "http://localhost:8080",
		Steps: []checks.Step{{Request: checks.Request{URL: raw}}}}}}
	api := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Access-Control-Allow-Origin", "http://localhost:8080")
	})
	live, cas := recordChecks(t, file, vcr.Config{Upstreams: serveLoopback(t, api, []string{"api.enc.test"})})
	require.Len(t, cas.Interactions, 1)
	t.Logf("Chrome sent %s", cas.Interactions[0].Request.URL)

	sess, err := replay.NewSession(replay.Config{Cassette: cas, Strict: true})
	require.NoError(t, err)
	res := predict.Predict(file.Checks[0], sess)
	require.Len(t, res.Steps, 1)
	require.NotNil(t, res.Steps[0].Actual)
	assert.Equal(t, cas.Interactions[0].Request.URL, res.Steps[0].Actual.Request.URL, "the predictor's URL vs the one Chrome sent")
	assert.False(t, res.Steps[0].Miss, "the predictor's request matches the recording")
	assert.Equal(t, live["enc"], res.Verdicts())
}
