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

// TestExplainChecksInOrder: two checks send the same request and the
// server answered them differently; explain, like check, gives each its own
// recorded answer, so the fix goes to the second check's response, not the
// first's (found by a new user: the fix patched the wrong interaction).
func TestExplainChecksInOrder(t *testing.T) {
	t.Parallel()
	page := "http://localhost:8080"
	req := cassettes.Request{Method: "GET", URL: "http://localhost:8000/public", Headers: cassettes.Headers{{Name: "Origin", Value: page}}}
	ok := cassettes.Response{Status: 200, Headers: cassettes.Headers{{Name: "Access-Control-Allow-Origin", Value: page}}}
	star := cassettes.Response{Status: 200, Headers: cassettes.Headers{{Name: "Access-Control-Allow-Origin", Value: "*"}}}
	cas := &cassettes.Cassette{Version: cassettes.FormatVersion, Interactions: []cassettes.Interaction{
		{Kind: cassettes.KindActual, Request: req, Response: ok},
		{Kind: cassettes.KindActual, Request: req, Response: star},
	}}
	one := func(name string) checks.Check {
		return checks.Check{Name: name, Page: page, Steps: []checks.Step{{Request: checks.Request{URL: req.URL}}}}
	}
	exs, err := vcr.Explain(context.Background(), cas, []checks.Check{one("first"), one("second")})
	require.NoError(t, err)
	require.Len(t, exs, 2)
	assert.True(t, exs[0].Result.Verdicts()[0].Allowed, "the first check gets the first answer")
	assert.Empty(t, exs[0].Fixes)
	assert.True(t, exs[1].Result.Verdicts()[0].Allowed, "a wildcard without credentials is allowed: second check gets the second answer")

	// Now credentials: the wildcard blocks the second check only.
	cred := func(name string) checks.Check {
		c := one(name)
		c.Steps[0].Request.Credentials = checks.CredentialsInclude
		return c
	}
	okCred := ok
	okCred.Headers = append(okCred.Headers, cassettes.Header{Name: "Access-Control-Allow-Credentials", Value: "true"})
	cas.Interactions[0].Response = okCred
	exs, err = vcr.Explain(context.Background(), cas, []checks.Check{cred("first"), cred("second")})
	require.NoError(t, err)
	assert.True(t, exs[0].Result.Verdicts()[0].Allowed)
	assert.Empty(t, exs[0].Fixes, "nothing to fix in the first check's answer")
	require.NotEmpty(t, exs[1].Fixes)
	assert.Equal(t, "WildcardOriginNotAllowed", exs[1].Result.Verdicts()[0].CorsError)
	assert.Equal(t, 1, exs[1].Fixes[0].Interaction, "the fix goes to the second check's own answer")
	assert.True(t, exs[1].Fixed.Verdicts().Last().Allowed)
}
