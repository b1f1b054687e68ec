package predict_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/corsvcr/corsvcr/cassettes"
	"github.com/corsvcr/corsvcr/checks"
	"github.com/corsvcr/corsvcr/internal/corpustest"
	"github.com/corsvcr/corsvcr/predict"
	"github.com/corsvcr/corsvcr/replay"
)

// TestCorpus is the offline half of the proof that the predictor equals
// Chrome: for every check of every golden corpus the integration tests
// recorded in Chrome (integration/testdata: the demo, the oracle groups,
// every stack, the generated cases saved by TestGenerated), the predicted
// verdict equals the verdict Chrome gave, field by field (console message
// included), predicting from the recorded cassette as replay serves it. It
// needs no browser; integration's TestGenerated is the half that runs
// Chrome.
func TestCorpus(t *testing.T) {
	corpora, err := corpustest.Golden("../integration")
	require.NoError(t, err)
	total, agree := 0, 0
	for _, cc := range corpora {
		t.Run(cc.Name, func(t *testing.T) {
			file, err := checks.Load(cc.Checks)
			require.NoError(t, err)
			cas, err := cassettes.Load(cc.Cassette)
			require.NoError(t, err)
			golden, err := corpustest.ReadVerdicts(cc.Verdicts)
			require.NoError(t, err)
			srv, err := replay.NewSession(replay.Config{Cassette: cas})
			require.NoError(t, err)
			for _, c := range file.Checks {
				want, ok := golden[c.Name]
				require.True(t, ok, "no golden verdict for %q in %s", c.Name, cc.Verdicts)
				res := predict.Predict(c, srv)
				total++
				for i, st := range res.Steps {
					assert.False(t, st.Miss, "check %q step %d: the predictor's requests miss the cassette: %s", c.Name, i+1, st.Rule)
				}
				if assert.Equal(t, want, corpustest.Aligned(want, res), "check %q: Chrome's verdict (-) vs predicted (+); rule: %s", c.Name, corpustest.Rules(res)) {
					agree++
				}
			}
		})
	}
	t.Logf("predictor == Chrome on %d of %d corpus checks", agree, total)
}
