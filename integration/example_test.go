package integration

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/corsvcr/corsvcr/browsercheck"
	"github.com/corsvcr/corsvcr/cassettes"
	"github.com/corsvcr/corsvcr/checks"
	"github.com/corsvcr/corsvcr/replay"
)

// TestGoAPI is the README's five lines, inside go test: load a cassette,
// start a replay, run a check in Chrome and assert the verdict.
func TestGoAPI(t *testing.T) {
	ctx := testContext(t)

	cas, err := cassettes.Load("testdata/demo/cassette.yaml")
	require.NoError(t, err)
	srv, err := replay.NewServer(replay.Config{Cassette: cas, Intercept: browsercheck.Intercept}, "")
	require.NoError(t, err)
	defer srv.Close()
	b, err := browsercheck.New(ctx, browsercheck.Config{Proxy: srv.URL()})
	require.NoError(t, err)
	defer b.Close()
	v, err := b.Check(ctx, checks.Check{Page: "http://localhost:8080", Steps: []checks.Step{{Request: checks.Request{URL: "http://localhost:8001/messages", Credentials: checks.CredentialsInclude}}}})
	require.NoError(t, err)
	assert.Equal(t, "WildcardOriginNotAllowed", v.CorsError)
}

// Replay a committed cassette and ask Chrome for its verdict.
func Example() {
	ctx := context.Background()
	cas, err := cassettes.Load("testdata/demo/cassette.yaml")
	if err != nil {
		panic(err)
	}
	srv, err := replay.NewServer(replay.Config{Cassette: cas, Intercept: browsercheck.Intercept}, "")
	if err != nil {
		panic(err)
	}
	defer srv.Close()
	b, err := browsercheck.New(ctx, browsercheck.Config{Proxy: srv.URL()})
	if err != nil {
		panic(err)
	}
	defer b.Close()

	v, err := b.Check(ctx, checks.Check{
		Page:  "http://localhost:8080",
		Steps: []checks.Step{{Request: checks.Request{URL: "http://localhost:8001/messages", Credentials: checks.CredentialsInclude}}},
	})
	if err != nil {
		panic(err)
	}
	fmt.Println("allowed:", v.Allowed)
	fmt.Println("cors error:", v.CorsError)
	// Output:
	// allowed: false
	// cors error: WildcardOriginNotAllowed
}
