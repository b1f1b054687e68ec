package integration

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/corsvcr/corsvcr/cassettes"
	"github.com/corsvcr/corsvcr/checks"
	"github.com/corsvcr/corsvcr/predict"
	"github.com/corsvcr/corsvcr/replay"
	"github.com/corsvcr/corsvcr/vcr"
)

// The production page origin recorded, and the local one replayed.
const (
	prodOrigin  = "http://app.prod.test"
	localOrigin = "http://localhost:5173"
)

// originMapChecks are written for the page at PAGE; the API allows exactly
// the production origin, except /other, which names another origin.
const originMapChecks = `version: 1
page: PAGE
checks:
  - name: credentialed-get
    request: {url: "http://api.prod.test/items", credentials: include}
  - name: preflighted-put
    request:
      url: http://api.prod.test/items/1
      method: PUT
      headers: {Content-Type: application/json, X-Client: web}
      body: '{"qty":2}'
  - name: other-origin
    request: {url: "http://api.prod.test/other"}
  - name: no-credentials-allowed
    request: {url: "http://api.prod.test/nocred", credentials: include}
`

// prodAPI allows prodOrigin only.
func prodAPI() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Vary", "Origin")
		switch {
		case r.URL.Path == "/other":
			h.Set("Access-Control-Allow-Origin", "http://elsewhere.test")
		case r.Header.Get("Origin") == prodOrigin:
			h.Set("Access-Control-Allow-Origin", prodOrigin)
			if r.URL.Path != "/nocred" {
				h.Set("Access-Control-Allow-Credentials", "true")
			}
		}
		if r.Method == http.MethodOptions {
			h.Set("Access-Control-Allow-Methods", "GET, PUT")
			h.Set("Access-Control-Allow-Headers", "Content-Type, X-Client")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		h.Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"ok":true}`))
	})
}

// TestOriginMapPredictionEqualsChrome: a cassette recorded at the
// production origin is replayed to a page at a local origin through an
// origin map. The predictor, fed the same replay (the workflow's session,
// origin map included), gives Chrome's verdict on every check: no "why"
// that describes another replay, no disagreement warning. Without the map
// the prediction would differ, so the map is what makes them agree.
func TestOriginMapPredictionEqualsChrome(t *testing.T) {
	prodFile, err := checks.Parse("prod.yaml", []byte(strings.ReplaceAll(originMapChecks, "PAGE", prodOrigin)))
	require.NoError(t, err)
	localFile, err := checks.Parse("local.yaml", []byte(strings.ReplaceAll(originMapChecks, "PAGE", localOrigin)))
	require.NoError(t, err)

	live, cas := recordChecks(t, prodFile, vcr.Config{Upstreams: serveLoopback(t, prodAPI(), []string{"api.prod.test"})})
	assert.True(t, live["credentialed-get"][0].Allowed, "live at the production origin: %+v", live["credentialed-get"])
	cas = viaFile(t, cas)

	maps := []cassettes.OriginMapping{{From: prodOrigin, To: localOrigin}}
	r, err := vcr.New(vcr.Config{})
	require.NoError(t, err)
	run, err := r.Replay(testContext(t), localFile, vcr.Replay{Cassette: cas, OriginMap: maps})
	require.NoError(t, err)
	require.Zero(t, run.NotRun)
	assert.Equal(t, maps, run.Cassette.Meta.OriginMap, "the map in force is recorded in the cassette's meta")

	for _, res := range run.Results {
		t.Run(res.Name, func(t *testing.T) {
			require.Empty(t, res.Error)
			require.Len(t, res.Verdicts, 1)
			v := res.Verdicts[0]
			assert.Empty(t, res.Misses)
			assert.Empty(t, res.Disagree, "the workflow's prediction disagrees with Chrome on the replay")
			chrome := live[res.Name][0]
			// Chrome at the local origin through the map behaves as at
			// the production origin, but names the local origin.
			assert.Equal(t, chrome.Allowed, v.Allowed, "replay vs live")
			assert.Equal(t, chrome.CorsError, v.CorsError, "replay vs live")
			if !v.Allowed {
				assert.NotEmpty(t, res.Why, "a blocked verdict gets the predictor's rule")
			}

			c := findCheck(t, localFile, res.Name)
			sess, err := replay.NewSession(replay.Config{Cassette: cas, OriginMap: maps})
			require.NoError(t, err)
			predicted := predict.Predict(c, sess)
			require.Len(t, predicted.Steps, 1)
			pv, _ := predicted.Steps[0].WithFailedParameter(v.FailedParameter)
			assert.Equal(t, v, pv, "Chrome's verdict on the mapped replay (-) vs the prediction on the same replay (+)")

			unmapped, err := replay.NewSession(replay.Config{Cassette: cas})
			require.NoError(t, err)
			if v.Allowed {
				st := predict.Predict(c, unmapped).Steps[0]
				assert.False(t, st.Verdict.Allowed && !st.Miss, "without the map the prediction must differ: %+v", st.Verdict)
			}
		})
	}
	for _, want := range []string{"credentialed-get", "preflighted-put"} {
		assert.True(t, resultOf(t, run, want).Verdicts[0].Allowed, "%s allowed through the origin map", want)
	}
	assert.Equal(t, "AllowOriginMismatch", resultOf(t, run, "other-origin").Verdicts[0].CorsError)
	assert.Equal(t, "InvalidAllowCredentials", resultOf(t, run, "no-credentials-allowed").Verdicts[0].CorsError)
}

func findCheck(t *testing.T, f *checks.File, name string) checks.Check {
	t.Helper()
	for _, c := range f.Checks {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("no check %q", name)
	return checks.Check{}
}

func resultOf(t *testing.T, run *vcr.Run, name string) vcr.Result {
	t.Helper()
	for _, r := range run.Results {
		if r.Name == name {
			require.Len(t, r.Verdicts, 1, "check %q: %s", name, r.Error)
			return r
		}
	}
	t.Fatalf("no result %q", name)
	return vcr.Result{}
}
