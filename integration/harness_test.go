package integration

import (
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/corsvcr/corsvcr/browsercheck"
	"github.com/corsvcr/corsvcr/cassettes"
	"github.com/corsvcr/corsvcr/checks"
	"github.com/corsvcr/corsvcr/recorder"
	"github.com/corsvcr/corsvcr/replay"
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

// runChecks runs file's checks in a browser using proxy and trusting pins,
// and returns the verdicts by check name.
func runChecks(t *testing.T, file *checks.File, proxy string, pins []string) (map[string]checks.Verdict, string) {
	t.Helper()
	ctx := testContext(t)
	b, err := browsercheck.New(ctx, browsercheck.Config{Proxy: proxy, SPKIPins: pins})
	require.NoError(t, err)
	defer b.Close()
	verdicts := map[string]checks.Verdict{}
	for _, c := range file.Checks {
		v, err := b.Check(ctx, c)
		require.NoError(t, err, "check %q", c.Name)
		verdicts[c.Name] = v
	}
	version := b.Version()
	require.NoError(t, b.Close())
	return verdicts, version
}

// recordChecks runs file's checks live through a recorder started with cfg
// and returns Chrome's verdicts and the cassette.
func recordChecks(t *testing.T, file *checks.File, cfg recorder.Config, pins []string) (map[string]checks.Verdict, *cassettes.Cassette) {
	t.Helper()
	cfg.Hosts, cfg.Intercept = file.Hosts(), browsercheck.Intercept
	rec, err := recorder.Start(cfg)
	require.NoError(t, err)
	defer rec.Close()
	verdicts, browser := runChecks(t, file, rec.URL(), pins)
	require.NoError(t, rec.Close())
	return verdicts, &cassettes.Cassette{
		Version:      cassettes.FormatVersion,
		Meta:         cassettes.Meta{Corsvcr: "test", Browser: browser},
		Interactions: rec.Interactions(),
	}
}

// replayChecks runs file's checks against a strict replay of cas and fails
// the test on any replay miss.
func replayChecks(t *testing.T, file *checks.File, cas *cassettes.Cassette, pins []string, opts ...replay.ServerOption) map[string]checks.Verdict {
	t.Helper()
	srv, err := replay.NewServer(replay.Config{Cassette: cas, Strict: true, Intercept: browsercheck.Intercept}, "", opts...)
	require.NoError(t, err)
	defer srv.Close()
	verdicts, _ := runChecks(t, file, srv.URL(), pins)
	require.NoError(t, srv.Close())
	for _, e := range srv.Journal() {
		assert.Nil(t, e.Miss, "replay miss for %s %s", e.Method, e.URL)
	}
	return verdicts
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
