package integration

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/corsvcr/corsvcr/browsercheck"
	"github.com/corsvcr/corsvcr/cassettes"
	"github.com/corsvcr/corsvcr/checks"
	"github.com/corsvcr/corsvcr/integration/sampleapi"
	"github.com/corsvcr/corsvcr/recorder"
	"github.com/corsvcr/corsvcr/replay"
)

const (
	demoCassette = "testdata/demo/cassette.yaml"
	demoVerdicts = "testdata/demo/verdicts.json"
)

func demoChecks(t *testing.T) *checks.File {
	t.Helper()
	f, err := checks.Parse("sampleapi/checks.yaml", sampleapi.Checks)
	require.NoError(t, err)
	return f
}

// recordDemo runs the demo checks live against the sample API through the
// recording proxy and returns Chrome's verdicts and the cassette.
func recordDemo(t *testing.T, file *checks.File) (map[string]checks.Verdict, *cassettes.Cassette) {
	t.Helper()
	ctx := testContext(t)
	ups, stopAPI := startSampleAPI(t)
	rec, err := recorder.Start(recorder.Config{Hosts: file.Hosts(), Upstreams: ups, Intercept: browsercheck.Intercept})
	require.NoError(t, err)
	defer rec.Close()
	b, err := browsercheck.New(ctx, browsercheck.Config{Proxy: rec.URL()})
	require.NoError(t, err)
	defer b.Close()
	verdicts := map[string]checks.Verdict{}
	for _, c := range file.Checks {
		v, err := b.Check(ctx, c)
		require.NoError(t, err, "check %q", c.Name)
		verdicts[c.Name] = v
	}
	browser := b.Version()
	require.NoError(t, b.Close())
	require.NoError(t, rec.Close())
	stopAPI()
	return verdicts, &cassettes.Cassette{
		Version:      cassettes.FormatVersion,
		Meta:         cassettes.Meta{Corsvcr: "test", Browser: browser},
		Interactions: rec.Interactions(),
	}
}

// replayDemo runs the demo checks against a strict replay of cas and fails
// the test on any replay miss.
func replayDemo(t *testing.T, file *checks.File, cas *cassettes.Cassette) map[string]checks.Verdict {
	t.Helper()
	ctx := testContext(t)
	srv, err := replay.NewServer(replay.Config{Cassette: cas, Strict: true, Intercept: browsercheck.Intercept}, "")
	require.NoError(t, err)
	defer srv.Close()
	b, err := browsercheck.New(ctx, browsercheck.Config{Proxy: srv.URL()})
	require.NoError(t, err)
	defer b.Close()
	verdicts := map[string]checks.Verdict{}
	for _, c := range file.Checks {
		v, err := b.Check(ctx, c)
		require.NoError(t, err, "check %q", c.Name)
		verdicts[c.Name] = v
	}
	for _, e := range srv.Journal() {
		assert.Nil(t, e.Miss, "replay miss for %s %s", e.Method, e.URL)
	}
	return verdicts
}

// TestDemoLiveEqualsReplay is the property corsvcr exists for: for every
// demo scenario (the five common Chrome CORS errors among them) Chrome's
// verdict against the replay equals its verdict against the live server,
// and both equal the expectation written in the check file.
func TestDemoLiveEqualsReplay(t *testing.T) {
	file := demoChecks(t)
	live, cas := recordDemo(t, file)

	// Through the file format, as a user's cassette would go.
	data, err := cassettes.Encode(cas)
	require.NoError(t, err)
	decoded, err := cassettes.Decode("recorded", data)
	require.NoError(t, err)

	replayed := replayDemo(t, file, decoded)
	for _, c := range file.Checks {
		t.Run(c.Name, func(t *testing.T) {
			assert.Empty(t, c.Mismatches(live[c.Name]), "live verdict vs expectation")
			assert.Equal(t, live[c.Name], replayed[c.Name], "replay verdict vs live verdict")
		})
	}
	// The kinds the recorder gives: every preflighted check has its preflight.
	kinds := map[cassettes.Kind]int{}
	for _, in := range cas.Interactions {
		kinds[in.Kind]++
	}
	assert.Equal(t, 3, kinds[cassettes.KindPreflight], "preflights recorded")
	// Nine checks, two of which Chrome stops at the preflight (PUT and the
	// custom header): seven actual requests reach the server.
	assert.Equal(t, 7, kinds[cassettes.KindActual], "actual requests recorded")

	if *update {
		require.NoError(t, os.MkdirAll(filepath.Dir(demoCassette), 0o755))
		require.NoError(t, cassettes.Save(demoCassette, decoded))
		writeVerdicts(t, demoVerdicts, live)
	}
}

// TestDemoRecordingIsCanonical records the same traffic twice: the two
// cassettes must be byte-identical, so re-recording gives an empty diff.
func TestDemoRecordingIsCanonical(t *testing.T) {
	file := demoChecks(t)
	_, first := recordDemo(t, file)
	_, second := recordDemo(t, file)
	a, err := cassettes.Encode(first)
	require.NoError(t, err)
	b, err := cassettes.Encode(second)
	require.NoError(t, err)
	assert.Equal(t, string(a), string(b))
}

// TestGoldenDemoCassette replays the committed cassette, recorded once from
// the sample API, and compares Chrome's verdicts with the committed ones.
func TestGoldenDemoCassette(t *testing.T) {
	if *update {
		t.Skip("golden files are being rewritten by TestDemoLiveEqualsReplay")
	}
	file := demoChecks(t)
	cas, err := cassettes.Load(demoCassette)
	require.NoError(t, err)
	got := replayDemo(t, file, cas)
	want := readVerdicts(t, demoVerdicts)
	for _, c := range file.Checks {
		assert.Equal(t, want[c.Name], got[c.Name], "check %q", c.Name)
	}
}

func writeVerdicts(t *testing.T, path string, v map[string]checks.Verdict) {
	t.Helper()
	data, err := json.MarshalIndent(v, "", "  ")
	require.NoError(t, err)
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
	require.NoError(t, os.WriteFile(path, append(data, '\n'), 0o644))
}

func readVerdicts(t *testing.T, path string) map[string]checks.Verdict {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err, "run 'go test ./integration -run TestDemoLiveEqualsReplay -update' to create it")
	var v map[string]checks.Verdict
	require.NoError(t, json.Unmarshal(data, &v))
	return v
}
