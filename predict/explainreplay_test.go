package predict_test

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/corsvcr/corsvcr/cassettes"
	"github.com/corsvcr/corsvcr/checks"
	"github.com/corsvcr/corsvcr/har"
	"github.com/corsvcr/corsvcr/internal/corpustest"
	"github.com/corsvcr/corsvcr/predict"
	"github.com/corsvcr/corsvcr/replay"
)

// explainRebuild is the explanation as Explain computed it before
// ExplainReplay: each round a fresh replay of a copy of the cassette with
// the fixes applied (predict.Apply). It is the oracle ExplainReplay, which
// patches one replay index instead, must equal.
func explainRebuild(t *testing.T, c checks.Check, cfg replay.Config) predict.Explanation {
	t.Helper()
	var ex predict.Explanation
	var fixes []predict.Fix
	cas := cfg.Cassette
	for round := 0; round < 8; round++ {
		cur := predict.Apply(cas, fixes)
		cfg.Cassette = cur
		sess, err := replay.NewSession(cfg)
		require.NoError(t, err)
		res := predict.Predict(c, sess)
		if round == 0 {
			ex.Result = res
		}
		ex.Fixed = res
		fs := predict.NextFixForTest(res, len(cur.Interactions))
		if fs == nil {
			break
		}
		fixes = append(fixes, *fs)
	}
	ex.Fixes = fixes
	return ex
}

// TestExplainReplayEqualsRebuild: explaining every check of every golden
// corpus, and every check derived from its cassette, with one replay index
// patched per round gives the explanation rebuilding the replay from a
// fixed copy of the cassette gives, whatever the order of the checks and
// with Strict too.
func TestExplainReplayEqualsRebuild(t *testing.T) {
	t.Parallel()
	corpora, err := corpustest.Golden("../integration")
	require.NoError(t, err)
	fixed := 0
	for _, cc := range corpora {
		t.Run(cc.Name, func(t *testing.T) {
			file, err := checks.Load(cc.Checks)
			require.NoError(t, err)
			cas, err := cassettes.Load(cc.Cassette)
			require.NoError(t, err)
			cs := slices.Clone(file.Checks)
			for _, d := range har.DeriveChecks(cas) {
				cs = append(cs, d.Check)
			}
			for _, strict := range []bool{false, true} {
				cfg := replay.Config{Cassette: cas, Strict: strict}
				if !strict {
					cfg.OriginMap = cas.Meta.OriginMap
				}
				r, err := replay.New(cfg)
				require.NoError(t, err)
				for _, c := range slices.Backward(cs) {
					got, err := predict.ExplainReplay(c, r, nil)
					require.NoError(t, err)
					want := explainRebuild(t, c, cfg)
					assert.Equal(t, want, got, "check %q (strict %v)", c.Name, strict)
					fixed += len(got.Fixes)
				}
			}
		})
	}
	require.NotZero(t, fixed, "no check needed a fix: the patched rounds went untested")
}
