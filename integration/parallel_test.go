package integration

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/corsvcr/corsvcr/cassettes"
	"github.com/corsvcr/corsvcr/checks"
	"github.com/corsvcr/corsvcr/internal/corpustest"
	"github.com/corsvcr/corsvcr/vcr"
)

// TestParallelReplayOracle: replaying committed oracle corpora with eight
// checks at once gives exactly the results of one at a time (verdicts,
// misses, the predictor's notes, file order) and the committed verdicts.
// The groups are a representative subset: redirects (lanes joined by the
// cassette's redirects, Origin: null hops), preflight (preflighted checks
// in a row, a cleared preflight cache), credentials (cookies).
func TestParallelReplayOracle(t *testing.T) {
	t.Parallel()
	for _, g := range []string{"redirects", "preflight", "credentials"} {
		t.Run(g, func(t *testing.T) {
			t.Parallel()
			c := corpustest.In(filepath.Join(oracleDir, g))
			file, err := checks.Load(c.Checks)
			require.NoError(t, err)
			cas, err := cassettes.Load(c.Cassette)
			require.NoError(t, err)
			committed, err := corpustest.ReadVerdicts(c.Verdicts)
			require.NoError(t, err)
			replay := func(n int) []vcr.Result {
				r, err := vcr.New(vcr.Config{Parallel: n})
				require.NoError(t, err)
				run, err := r.Replay(testContext(t), file, vcr.Replay{Cassette: cas, Strict: true})
				require.NoError(t, err)
				require.Len(t, run.Results, len(file.Checks))
				for i := range run.Results {
					run.Results[i].Duration = 0 // wall time: the one field that differs
				}
				return run.Results
			}
			serial, parallel := replay(1), replay(8)
			assert.Equal(t, serial, parallel, "8 checks at once vs one at a time")
			for i, res := range parallel {
				assert.Equal(t, file.Checks[i].Name, res.Name, "file order")
				assert.Empty(t, res.Misses, res.Name)
				assert.Equal(t, committed[res.Name], res.Verdicts, "%s: vs %s", res.Name, c.Verdicts)
			}
		})
	}
}
