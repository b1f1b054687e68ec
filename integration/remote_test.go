package integration

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/corsvcr/corsvcr/browsercheck"
	"github.com/corsvcr/corsvcr/cassettes"
	"github.com/corsvcr/corsvcr/internal/chrometest"
	"github.com/corsvcr/corsvcr/vcr"
)

// TestRemoteBrowserEqualsLocal records and replays the demo checks (allowed,
// blocked, preflighted, refused by the preflight) in a Chrome started
// separately and attached with vcr.Config.Browser, by its ws:// and its
// http:// DevTools address: Chrome's verdicts equal those of the Chrome
// corsvcr starts, the recording holds the same exchanges, and the external
// Chrome still runs afterwards. The replay goes through Config.Listen on
// another loopback address (127.0.0.2), the relay a remote browser uses.
func TestRemoteBrowserEqualsLocal(t *testing.T) {
	file := demoChecks(t)
	live, cas := recordDemo(t, file)
	ext := chrometest.Start(t)

	ups, stopAPI := startSampleAPI(t)
	remoteLive, remoteCas := recordChecks(t, file, vcr.Config{Upstreams: ups, Browser: ext.HTTP})
	stopAPI()
	assert.Equal(t, live, remoteLive, "live verdicts: attached vs started Chrome")
	require.Len(t, remoteCas.Interactions, len(cas.Interactions))
	for i, in := range cas.Interactions {
		got := remoteCas.Interactions[i]
		assert.Equal(t, in.Request.Method+" "+in.Request.URL, got.Request.Method+" "+got.Request.URL, "interaction %d", i)
		assert.Equal(t, in.Kind, got.Kind, "interaction %d", i)
	}

	replayed := replayChecks(t, file, viaFile(t, cas), vcr.Config{Browser: ext.WS, Listen: "127.0.0.2:0"})
	assert.Equal(t, live, replayed, "replay verdicts in the attached Chrome vs live")
	assert.True(t, ext.Alive(), "the attached Chrome was stopped")
}

// TestRemoteBrowserRefusesHTTPS: an attached Chrome cannot be given the
// CA pin, so https checks fail clearly instead of as certificate errors.
func TestRemoteBrowserRefusesHTTPS(t *testing.T) {
	ext := chrometest.Start(t)
	file := demoChecks(t)
	for i := range file.Checks {
		file.Checks[i].Page = "https://app.example.com"
	}
	cas, err := cassettes.Load(demoCassette)
	require.NoError(t, err)
	r, err := vcr.New(vcr.Config{Browser: ext.WS, CADir: t.TempDir()})
	require.NoError(t, err)
	_, err = r.Replay(testContext(t), file, vcr.Replay{Cassette: cas})
	require.ErrorIs(t, err, browsercheck.ErrAttachedHTTPS)
	assert.True(t, ext.Alive())
}
