package vcr_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/corsvcr/corsvcr/cassettes"
	"github.com/corsvcr/corsvcr/checks"
	"github.com/corsvcr/corsvcr/vcr"
)

// The predictor knows a check's own requests: explain leaves page visits
// out rather than explaining a check without steps.
func TestExplainSkipsPageVisits(t *testing.T) {
	cas := &cassettes.Cassette{Version: cassettes.FormatVersion}
	exs, err := vcr.Explain(context.Background(), cas, []checks.Check{{Name: "page", Visit: &checks.Visit{URL: "http://localhost:5173/"}}})
	require.NoError(t, err)
	assert.Empty(t, exs)
}

// A page visit's verdict names its request in the one-line summary.
func TestSummaryNamesPageRequest(t *testing.T) {
	assert.Equal(t, "GET http://localhost:8000/a: allowed 200", vcr.Summary(&checks.Verdict{Method: "GET", URL: "http://localhost:8000/a", Allowed: true, Status: 200}))
	assert.Equal(t, "PUT http://localhost:8000/a: blocked HeaderDisallowedByPreflightResponse \"x-token\", preflight",
		vcr.Summary(&checks.Verdict{Method: "PUT", URL: "http://localhost:8000/a", CorsError: "HeaderDisallowedByPreflightResponse", FailedParameter: "x-token", Preflight: true, Preflights: 1}))
	assert.Equal(t, "allowed 200", vcr.Summary(&checks.Verdict{Allowed: true, Status: 200}), "a check's own step: unchanged")
}

// A secret in the query of the page's URL is redacted in the check file as
// in the cassette: in visit.url and in the default name made of the URL.
func TestSavePageRedactsVisitURL(t *testing.T) {
	const page = "http://localhost:5173/app?access_token=hunter2secret&tab=1"
	cas := &cassettes.Cassette{Version: cassettes.FormatVersion, Interactions: []cassettes.Interaction{
		{Kind: cassettes.KindOther, Request: cassettes.Request{Method: "GET", URL: page}, Response: cassettes.Response{Status: 200}},
		{Kind: cassettes.KindOther, Request: cassettes.Request{Method: "GET", URL: "http://localhost:8000/items"}, Response: cassettes.Response{Status: 200}},
	}}
	const api = "http://localhost:8000/items?api_key=s3cr3tapikey"
	run := &vcr.Run{Cassette: cas, Results: []vcr.Result{{
		Name: "localhost:5173/app?access_token=hunter2secret&tab=1",
		Verdicts: checks.Verdicts{{Method: "GET", URL: api, CorsError: "MissingAllowOriginHeader",
			Console: "Access to fetch at '" + api + "' from origin 'http://localhost:5173' has been blocked by CORS policy"}},
		Mismatches: []checks.Mismatch{{Field: "request", Want: "none", Got: "GET " + api}},
	}}}
	file := &checks.File{Version: 1, Checks: []checks.Check{{
		Name:     "localhost:5173/app?access_token=hunter2secret&tab=1",
		Visit:    &checks.Visit{URL: page},
		Requests: []checks.PageRequest{{Method: "GET", URL: "http://localhost:8000/items"}},
	}}}
	dir := t.TempDir()
	casPath, chkPath := filepath.Join(dir, "c.yaml"), filepath.Join(dir, "page.yaml")
	require.NoError(t, vcr.SavePage(casPath, chkPath, run, file, vcr.SaveOptions{}))
	for _, p := range []string{casPath, chkPath} {
		data, err := os.ReadFile(p)
		require.NoError(t, err)
		assert.NotContains(t, string(data), "hunter2secret", p)
	}
	saved, err := checks.Load(chkPath)
	require.NoError(t, err)
	c := saved.Checks[0]
	assert.Equal(t, "http://localhost:5173/app?access_token="+cassettes.RedactedPrefix+"1&tab=1", c.Visit.URL)
	assert.Equal(t, "localhost:5173/app?access_token="+cassettes.RedactedPrefix+"1&tab=1", c.Name)
	assert.Equal(t, "http://localhost:8000/items", c.Requests[0].URL)

	// What is printed and reported (the table, --json, --junit, --report)
	// shows the redacted URLs too.
	shown, err := json.Marshal(run.Results)
	require.NoError(t, err)
	assert.NotContains(t, string(shown), "hunter2secret")
	assert.NotContains(t, string(shown), "s3cr3tapikey")
	assert.Contains(t, run.Results[0].Verdicts[0].Console, "api_key="+cassettes.RedactedPrefix)
	assert.Equal(t, "localhost:5173/app?access_token="+cassettes.RedactedPrefix+"1&tab=1", run.Results[0].Name)
}
