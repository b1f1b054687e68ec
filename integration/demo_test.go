package integration

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/corsvcr/corsvcr/cassettes"
	"github.com/corsvcr/corsvcr/checks"
	"github.com/corsvcr/corsvcr/internal/corpustest"
	"github.com/corsvcr/corsvcr/internal/sampleapi"
	"github.com/corsvcr/corsvcr/vcr"
)

const (
	demoChecksFile = corpustest.DemoChecks // embedded as sampleapi.Checks
	demoCassette   = corpustest.DemoDir + "/cassette.yaml"
	demoVerdicts   = corpustest.DemoDir + "/verdicts.json"
)

func demoChecks(t *testing.T) *checks.File {
	t.Helper()
	f, err := checks.Parse(demoChecksFile, sampleapi.Checks)
	require.NoError(t, err)
	return f
}

// recordDemo runs the demo checks live against the sample API through the
// recording proxy, stops the API, and returns Chrome's verdicts and the
// cassette.
func recordDemo(t *testing.T, file *checks.File) (map[string]checks.Verdicts, *cassettes.Cassette) {
	t.Helper()
	ups, stopAPI := startSampleAPI(t)
	verdicts, cas := recordChecks(t, file, vcr.Config{Upstreams: ups})
	stopAPI()
	return verdicts, cas
}

// TestDemoLiveEqualsReplay is the property corsvcr exists for: for every
// demo scenario (the five common Chrome CORS errors among them) Chrome's
// verdict against the replay equals its verdict against the live server,
// and both equal the expectation written in the check file.
func TestDemoLiveEqualsReplay(t *testing.T) {
	file := demoChecks(t)
	live, cas := recordDemo(t, file)

	decoded := viaFile(t, cas)
	replayed := replayChecks(t, file, decoded, vcr.Config{})
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
	got := replayChecks(t, file, cas, vcr.Config{})
	want := readVerdicts(t, demoVerdicts)
	for _, c := range file.Checks {
		assert.Equal(t, want[c.Name], got[c.Name], "check %q", c.Name)
	}
}

func writeVerdicts(t *testing.T, path string, v map[string]checks.Verdicts) {
	t.Helper()
	require.NoError(t, corpustest.WriteVerdicts(path, v))
}

func readVerdicts(t *testing.T, path string) map[string]checks.Verdicts {
	t.Helper()
	v, err := corpustest.ReadVerdicts(path)
	require.NoError(t, err, "run 'go test ./integration -run TestDemoLiveEqualsReplay -update' to create it")
	return v
}
