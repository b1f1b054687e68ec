package vcr_test

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/corsvcr/corsvcr/cassettes"
	"github.com/corsvcr/corsvcr/checks"
	"github.com/corsvcr/corsvcr/vcr"
)

func TestOutcome(t *testing.T) {
	t.Parallel()
	pass := vcr.Result{Name: "a", Verdicts: checks.Verdicts{{Allowed: true}}}
	mismatch := vcr.Result{Name: "b", Verdicts: checks.Verdicts{{}}, Mismatches: []checks.Mismatch{{Field: "allowed"}}}
	miss := vcr.Result{Name: "c", Verdicts: checks.Verdicts{{}}, Misses: []string{"replay: no recorded interaction"}}
	broken := vcr.Result{Name: "d", Error: "browsercheck: boom"}
	tests := []struct {
		name    string
		results []vcr.Result
		notRun  int
		want    vcr.Outcome
	}{
		{name: "nothing ran", want: vcr.Pass},
		{name: "all pass", results: []vcr.Result{pass, pass}, want: vcr.Pass},
		{name: "a mismatch", results: []vcr.Result{pass, mismatch}, want: vcr.Mismatch},
		{name: "a miss outweighs a mismatch", results: []vcr.Result{mismatch, miss}, want: vcr.Miss},
		{name: "a miss with a mismatch in the same check is a miss", results: []vcr.Result{{Misses: miss.Misses, Mismatches: mismatch.Mismatches}}, want: vcr.Miss},
		{name: "an error outweighs everything", results: []vcr.Result{miss, broken, mismatch}, want: vcr.Error},
		{name: "checks that did not run are an error", results: []vcr.Result{pass}, notRun: 3, want: vcr.Error},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			run := &vcr.Run{Results: tt.results, NotRun: tt.notRun}
			assert.Equal(t, tt.want, run.Outcome())
		})
	}
}

func TestSame(t *testing.T) {
	t.Parallel()
	v := checks.Verdicts{{Allowed: true, Status: 200, ReadableHeaders: []string{"content-type"}}}
	assert.True(t, vcr.Same(vcr.Result{Verdicts: v}, vcr.Result{Verdicts: checks.Verdicts{v[0]}}))
	assert.False(t, vcr.Same(vcr.Result{Verdicts: v}, vcr.Result{Verdicts: checks.Verdicts{{Allowed: true, Status: 204}}}), "another verdict")
	assert.False(t, vcr.Same(vcr.Result{Verdicts: v}, vcr.Result{Verdicts: v, Misses: []string{"x"}}), "a miss is never the same")
	assert.False(t, vcr.Same(vcr.Result{Error: "x"}, vcr.Result{Error: "x"}), "two errors are not a verdict")
}

func TestSummary(t *testing.T) {
	t.Parallel()
	tests := []struct {
		v    *checks.Verdict
		want string
	}{
		{nil, "-"},
		{&checks.Verdict{Allowed: true, Status: 200}, "allowed 200"},
		{&checks.Verdict{Allowed: true, Opaque: true}, "allowed (opaque)"},
		{&checks.Verdict{Allowed: true, Status: 204, Preflight: true, Preflights: 1}, "allowed 204, preflight"},
		{&checks.Verdict{CorsError: "AllowOriginMismatch", FailedParameter: "http://x", Preflight: true, Preflights: 2}, `blocked AllowOriginMismatch "http://x", 2 preflights`},
		{&checks.Verdict{ORB: true}, "blocked by ORB (not CORS)"},
		{&checks.Verdict{JSError: "TypeError: x"}, "failed: TypeError: x"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, vcr.Summary(tt.v))
	}
}

func TestParseUpstream(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, from, to, err string
	}{
		{in: "localhost:8000=127.0.0.1:9000", from: "localhost:8000", to: "127.0.0.1:9000"},
		{in: "API.example.com=127.0.0.1:9443", from: "api.example.com", to: "127.0.0.1:9443"},
		{in: "[::1]:8443=127.0.0.1:9443", from: "[::1]:8443", to: "127.0.0.1:9443"},
		{in: "api.example.com", err: "is not HOST[:PORT]=ADDR"},
		{in: "https://api.example.com=127.0.0.1:9443", err: "is not HOST or HOST:PORT"},
		{in: "api.example.com=127.0.0.1", err: "needs a port"},
	}
	for _, tt := range tests {
		from, to, err := vcr.ParseUpstream(tt.in)
		if tt.err != "" {
			assert.ErrorContains(t, err, tt.err, tt.in)
			continue
		}
		require.NoError(t, err, tt.in)
		assert.Equal(t, [2]string{tt.from, tt.to}, [2]string{from, to}, tt.in)
	}
	_, err := vcr.New(vcr.Config{Upstreams: map[string]string{"api.example.com": "no-port"}, Timeout: -1})
	require.Error(t, err)
	assert.ErrorContains(t, err, `vcr: config: upstream "api.example.com": "no-port" needs a port`)
	assert.ErrorContains(t, err, "vcr: config: timeout -1ns: negative", "every problem at once")
}

func TestActiveOriginMap(t *testing.T) {
	t.Parallel()
	meta := []cassettes.OriginMapping{{From: "https://app.prod.example", To: "http://localhost:5173"}}
	given := []cassettes.OriginMapping{{From: "https://other.example", To: "http://localhost:3000"}}
	cas := &cassettes.Cassette{Meta: cassettes.Meta{OriginMap: meta}}

	ms, fromCassette := vcr.Replay{Cassette: cas}.ActiveOriginMap()
	assert.Equal(t, meta, ms)
	assert.True(t, fromCassette)
	ms, fromCassette = vcr.Replay{Cassette: cas, OriginMap: given}.ActiveOriginMap()
	assert.Equal(t, given, ms, "the given map wins over the cassette's")
	assert.False(t, fromCassette)

	r, err := vcr.New(vcr.Config{})
	require.NoError(t, err)
	_, err = r.Replay(context.Background(), &checks.File{}, vcr.Replay{Cassette: cas, Strict: true})
	assert.True(t, errors.Is(err, vcr.ErrStrictOriginMap), "strict replay refuses the cassette's origin map: %v", err)
	_, _, err = r.Serve(vcr.Replay{Cassette: cas, Strict: true}, "", "")
	assert.True(t, errors.Is(err, vcr.ErrStrictOriginMap), "serve too: %v", err)
}
