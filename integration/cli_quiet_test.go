package integration

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestCLIQuietClose: closing Chrome at exit prints nothing. chromedp logs
// its errors to the standard logger by default, and a write to the Chrome
// that corsvcr is stopping can fail ("ERROR: writing message: write |1:
// broken pipe"); corsvcr routes chromedp's messages through its logger,
// where that error is expected and logged at level Debug only. The leak
// was intermittent, so the CLI runs several times.
func TestCLIQuietClose(t *testing.T) {
	dir := filepath.Join(oracleDir, "mode")
	for i := range 6 {
		r := corsvcr(t, "check", "--checks", filepath.Join(dir, "checks.yaml"), "--cassette", filepath.Join(dir, "cassette.yaml"))
		require.Equal(t, 0, r.code, "run %d: %s%s", i, r.stdout, r.stderr)
		assert.NotContains(t, r.stderr, "broken pipe", "run %d", i)
		assert.NotContains(t, r.stderr, "ERROR:", "run %d", i)
		assert.Empty(t, r.stderr, "run %d", i)
	}
}
