package vcr_test

import (
	"context"
	"encoding/json"
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

func TestReport(t *testing.T) {
	t.Parallel()
	ok := checks.Verdicts{{Allowed: true, Status: 200, ReadableHeaders: []string{}}}
	run := &vcr.Run{Results: []vcr.Result{
		{Name: "ok", Verdicts: ok},
		{Name: "fail", Verdicts: ok, Mismatches: []checks.Mismatch{{Field: "status", Want: "201", Got: "200"}}},
		{Name: "miss", Verdicts: ok, Misses: []string{"replay: no recorded interaction"}},
		{Name: "miss and fail", Verdicts: ok, Misses: []string{"replay: no recorded interaction"}, Mismatches: []checks.Mismatch{{Field: "status", Want: "201", Got: "200"}}},
		{Name: "error", Error: "browsercheck: boom"},
	}, NotRun: 2}
	assert.Equal(t, vcr.Totals{Checks: 7, Passed: 1, Failed: 1, Missed: 2, Errors: 1, NotRun: 2, Interrupted: true}, run.Totals(),
		"each check counts once, by its worst outcome")
	assert.Equal(t, []bool{true, false, false, false, false}, []bool{
		run.Results[0].Passed(), run.Results[1].Passed(), run.Results[2].Passed(), run.Results[3].Passed(), run.Results[4].Passed()})

	rep := vcr.NewReport(run, "c.yaml")
	assert.False(t, rep.Pass)
	data, err := json.Marshal(rep)
	require.NoError(t, err)
	var got struct {
		SchemaVersion int            `json:"schema_version"`
		Pass          *bool          `json:"pass"`
		Summary       map[string]any `json:"summary"`
		Cassette      string         `json:"cassette"`
		Checks        []map[string]any
	}
	require.NoError(t, json.Unmarshal(data, &got))
	assert.Equal(t, 1, got.SchemaVersion)
	require.NotNil(t, got.Pass)
	assert.False(t, *got.Pass)
	assert.Equal(t, map[string]any{"checks": 7.0, "passed": 1.0, "failed": 1.0, "missed": 2.0, "errors": 1.0, "not_run": 2.0, "interrupted": true}, got.Summary)
	assert.Equal(t, "c.yaml", got.Cassette)
	require.Len(t, got.Checks, 5)
	assert.Equal(t, true, got.Checks[0]["pass"], "pass is explicit: true")
	assert.Equal(t, false, got.Checks[1]["pass"], "pass is explicit: false")
	assert.Equal(t, "fail", got.Checks[1]["name"])
	assert.NotNil(t, got.Checks[1]["mismatches"], "the result's own fields are kept")

	all := &vcr.Run{Results: run.Results[:1]}
	assert.True(t, vcr.NewReport(all, "").Pass)
	assert.Equal(t, vcr.Totals{Checks: 1, Passed: 1}, all.Totals())
	assert.False(t, vcr.NewReport(&vcr.Run{}, "").Pass, "no check is no pass")
	data, err = json.Marshal(vcr.NewReport(&vcr.Run{}, ""))
	require.NoError(t, err)
	assert.Contains(t, string(data), `"checks":[]`, "checks is a list, never null")
}
