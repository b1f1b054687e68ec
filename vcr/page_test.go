package vcr_test

import (
	"context"
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
