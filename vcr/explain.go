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

// Explain explains each check of cs against a fresh replay of cas (with
// its meta.origin_map), without a browser; nil cs means one check per
// cross-origin exchange of cas (har.DeriveChecks). A fix that adds an
// interaction is numbered after those the fixes of earlier checks add, so
// that predict.Apply(cas, Fixes(exs)) applies them all. Page visits
// (checks.Check.Visit) are left out.
func Explain(ctx context.Context, cas *cassettes.Cassette, cs []checks.Check) ([]Explanation, error) {
	var exs []Explanation
	if cs == nil {
		for _, d := range har.DeriveChecks(cas) {
			exs = append(exs, Explanation{Check: d.Check, Note: d.Note})
		}
	} else {
		for _, c := range cs {
			if c.Visit != nil {
				// The predictor knows a check's own requests, not the
				// ones a page makes: page visits are not explained.
				continue
			}
			exs = append(exs, Explanation{Check: c})
		}
	}
	// One replay index for every check, and one session that answers the
	// checks in order, as `corsvcr check` replays them: each explanation
	// simulates the replay from where the checks before it left it
	// (predict.ExplainReplay), so each check gets its own recorded answers
	// and explaining the whole cassette stays linear in its size.
	r, err := replay.New(replay.Config{Cassette: cas, OriginMap: cas.Meta.OriginMap})
	if err != nil {
		return nil, err
	}
	running, err := r.SimulateFrom(replay.Patch{}, nil)
	if err != nil {
		return nil, err
	}
	added := 0
	for i := range exs {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		ex, err := predict.ExplainReplay(exs[i].Check, r, running)
		if err != nil {
			return nil, err
		}
		predict.Predict(exs[i].Check, running) // the replay after this check
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
