package vcr

import (
	"context"

	"github.com/corsvcr/corsvcr/cassettes"
	"github.com/corsvcr/corsvcr/checks"
	"github.com/corsvcr/corsvcr/har"
	"github.com/corsvcr/corsvcr/predict"
	"github.com/corsvcr/corsvcr/replay"
)

// Explanation is why Chrome blocks one check against a cassette, and the
// fix (predict.Explanation), offline.
type Explanation struct {
	Check checks.Check
	// Note says what was guessed about a check derived from the cassette
	// (har.DeriveChecks); "" for a given check.
	Note string
	predict.Explanation
}

// Explain explains each check of cs, in order, against one replay of cas
// (with its meta.origin_map), as `corsvcr check` replays them: each check
// finds the recorded answers the checks before it left, so two checks that
// send the same request are explained, and fixed, with their own answers.
// No browser runs. nil cs means one check per cross-origin exchange of cas
// (har.DeriveChecks). A fix that adds an interaction is numbered after
// those the fixes of earlier checks add, so that predict.Apply(cas,
// Fixes(exs)) applies them all.
func Explain(ctx context.Context, cas *cassettes.Cassette, cs []checks.Check) ([]Explanation, error) {
	var exs []Explanation
	if cs == nil {
		for _, d := range har.DeriveChecks(cas) {
			exs = append(exs, Explanation{Check: d.Check, Note: d.Note})
		}
	} else {
		for _, c := range cs {
			exs = append(exs, Explanation{Check: c})
		}
	}
	cfg := replay.Config{Cassette: cas, OriginMap: cas.Meta.OriginMap}
	r, err := replay.New(cfg)
	if err != nil {
		return nil, err
	}
	sess := r.SessionWith(nil) // the replay as the checks so far left it
	added := 0
	for i := range exs {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		ex, err := predict.Explain(exs[i].Check, cfg, sess.Uses())
		if err != nil {
			return nil, err
		}
		predict.Predict(exs[i].Check, sess)
		for j := range ex.Fixes {
			if ex.Fixes[j].Add != nil {
				ex.Fixes[j].Interaction = len(cas.Interactions) + added
				added++
			}
		}
		exs[i].Explanation = ex
	}
	return exs, nil
}

// Fixes returns the fixes of exs, in order.
func Fixes(exs []Explanation) []predict.Fix {
	var out []predict.Fix
	for _, ex := range exs {
		out = append(out, ex.Fixes...)
	}
	return out
}
