package integration

import (
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/corsvcr/corsvcr/browsercheck"
	"github.com/corsvcr/corsvcr/cassettes"
	"github.com/corsvcr/corsvcr/checks"
	"github.com/corsvcr/corsvcr/replay"
	"github.com/corsvcr/corsvcr/vcr"
)

// The harness every live-versus-replay test shares: run a check file in a
// fresh Chrome behind a proxy, behind the recorder (live) or behind a strict
// replay of a cassette (offline).

// serveLoopback serves h on an ephemeral loopback port for the test and
// maps each host to it.
func serveLoopback(t *testing.T, h http.Handler, hosts []string) map[string]string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	ups := map[string]string{}
	for _, host := range hosts {
		ups[host] = ln.Addr().String()
	}
	return ups
}

// verdicts returns the verdicts of run by check name, failing the test on
// a check that could not be run or did not run.
func verdicts(t *testing.T, run *vcr.Run) map[string]checks.Verdicts {
	t.Helper()
	require.Zero(t, run.NotRun, "checks that did not run")
	out := map[string]checks.Verdicts{}
	for _, r := range run.Results {
		require.Empty(t, r.Error, "check %q", r.Name)
		out[r.Name] = r.Verdicts
	}
	return out
}

// recordChecks runs file's checks live through the workflow's recorder,
// configured by cfg, and returns Chrome's verdicts and the cassette.
func recordChecks(t *testing.T, file *checks.File, cfg vcr.Config) (map[string]checks.Verdicts, *cassettes.Cassette) {
	t.Helper()
	cfg.Version = "test"
	r, err := vcr.New(cfg)
	require.NoError(t, err)
	run, err := r.Record(testContext(t), file)
	require.NoError(t, err)
	return verdicts(t, run), run.Cassette
}

// replayChecks runs file's checks against a strict replay of cas by the
// workflow, configured by cfg, and fails the test on any replay miss.
func replayChecks(t *testing.T, file *checks.File, cas *cassettes.Cassette, cfg vcr.Config) map[string]checks.Verdicts {
	t.Helper()
	r, err := vcr.New(cfg)
	require.NoError(t, err)
	run, err := r.Replay(testContext(t), file, vcr.Replay{Cassette: cas, Strict: true})
	require.NoError(t, err)
	for _, res := range run.Results {
		assert.Empty(t, res.Misses, "replay misses of %q", res.Name)
	}
	return verdicts(t, run)
}

// viaFile sends cas through the cassette format, as a user's cassette goes.
func viaFile(t *testing.T, cas *cassettes.Cassette) *cassettes.Cassette {
	t.Helper()
	data, err := cassettes.Encode(cas)
	require.NoError(t, err)
	decoded, err := cassettes.Decode("recorded", data)
	require.NoError(t, err)
	return decoded
}

// reverseChecks returns file with its checks in reverse order.
func reverseChecks(file *checks.File) *checks.File {
	out := *file
	out.Checks = slices.Clone(file.Checks)
	slices.Reverse(out.Checks)
	return &out
}

// replayEachAlone replays cas to each check of file alone: a fresh strict
// replay of the whole cassette per check, as when a check file holds only
// that check, in one browser (its proxy hands each request to the current
// replay). It fails the test on any replay miss.
func replayEachAlone(t *testing.T, file *checks.File, cas *cassettes.Cassette) map[string]checks.Verdicts {
	t.Helper()
	ctx := testContext(t)
	var cur atomic.Pointer[replay.Replayer]
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cur.Load().ServeHTTP(w, r)
	}))
	defer front.Close()
	b, err := browsercheck.New(ctx, browsercheck.Config{Proxy: front.URL})
	require.NoError(t, err)
	defer b.Close()
	out := map[string]checks.Verdicts{}
	for _, c := range file.Checks {
		rp, err := replay.New(replay.Config{Cassette: cas, Strict: true, Intercept: browsercheck.Intercept})
		require.NoError(t, err)
		cur.Store(rp)
		vs, err := b.Check(ctx, c)
		require.NoError(t, err, "check %q alone", c.Name)
		out[c.Name] = vs
		for _, e := range rp.Journal() {
			assert.Nil(t, e.Miss, "check %q alone: replay miss for %s %s", c.Name, e.Method, e.URL)
		}
	}
	require.NoError(t, b.Close())
	return out
}
