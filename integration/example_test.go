package integration

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/corsvcr/corsvcr/cassettes"
	"github.com/corsvcr/corsvcr/checks"
	"github.com/corsvcr/corsvcr/vcr"
)

// TestGoAPI is the README's Go example, inside go test: load a cassette,
// replay it to Chrome through the workflow library and assert the verdict.
func TestGoAPI(t *testing.T) {
	cas, err := cassettes.Load("testdata/demo/cassette.yaml")
	require.NoError(t, err)
	file := &checks.File{Checks: []checks.Check{{
		Name: "chat", Page: "http://localhost:8080",
		Steps: []checks.Step{{Request: checks.Request{URL: "http://localhost:8001/messages", Credentials: checks.CredentialsInclude}}},
	}}}
	r, err := vcr.New(vcr.Config{})
	require.NoError(t, err)
	run, err := r.Replay(testContext(t), file, vcr.Replay{Cassette: cas})
	require.NoError(t, err)
	require.Len(t, run.Results, 1)
	assert.Equal(t, "WildcardOriginNotAllowed", run.Results[0].Verdicts[0].CorsError)
	assert.NotEmpty(t, run.Results[0].Why, "the predictor says which rule blocked it")
	assert.Equal(t, vcr.Pass, run.Outcome(), "no expectation, no miss")
}

// Replay a committed cassette to headless Chrome and print its verdict.
func Example() {
	cas, err := cassettes.Load("testdata/demo/cassette.yaml")
	if err != nil {
		panic(err)
	}
	file := &checks.File{Checks: []checks.Check{{
		Name: "chat", Page: "http://localhost:8080",
		Steps: []checks.Step{{Request: checks.Request{URL: "http://localhost:8001/messages", Credentials: checks.CredentialsInclude}}},
	}}}
	r, err := vcr.New(vcr.Config{})
	if err != nil {
		panic(err)
	}
	run, err := r.Replay(context.Background(), file, vcr.Replay{Cassette: cas})
	if err != nil {
		panic(err) // the harness failed: no Chrome, an invalid cassette, …
	}
	for _, res := range run.Results {
		for _, v := range res.Verdicts { // one per step of the check
			fmt.Println(res.Name, vcr.Summary(&v))
		}
	}
	// Output:
	// chat blocked WildcardOriginNotAllowed
}
