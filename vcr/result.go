package vcr

import (
	"cmp"
	"encoding/json"
	"fmt"
	"net"
	"reflect"
	"strings"
	"time"

	"github.com/corsvcr/corsvcr/cassettes"
	"github.com/corsvcr/corsvcr/checks"
	"github.com/corsvcr/corsvcr/predict"
	"github.com/corsvcr/corsvcr/replay"
)

// Result is the outcome of one check.
type Result struct {
	Name string `json:"name"`
	// Verdicts holds Chrome's verdict on each step of the check; nil when
	// the check could not be run (Error says why).
	Verdicts checks.Verdicts `json:"verdicts,omitempty"`
	// Mismatches lists the expectations of the check the verdict broke.
	// They are not evaluated when the verdict has a network error.
	Mismatches []checks.Mismatch `json:"mismatches,omitempty"`
	// Misses holds the replay misses the check caused, as text.
	Misses []string `json:"replay_misses,omitempty"`
	// Upstream holds, as text, the exchanges with live servers that failed
	// while the check ran (recorder.Failure: the host and the cause, e.g.
	// "GET http://localhost:9100/x: upstream localhost:9100 unreachable:
	// dial tcp …: connection refused"). Chrome saw them as network errors.
	Upstream []string `json:"upstream_failures,omitempty"`
	// Error is the harness failure that kept the check from a verdict.
	Error string `json:"error,omitempty"`
	// Why is the predictor's rule for a blocked verdict (replays only).
	Why string `json:"why,omitempty"`
	// Disagree is set when the prediction from the cassette differs from
	// Chrome's verdict on the replay (replays only).
	Disagree string `json:"predicted,omitempty"`
	// Duration is the wall time the check took in Chrome, all its steps
	// (and their waits) included; 0 when it did not run.
	Duration time.Duration `json:"duration_ns,omitempty"`
}

// Passed reports whether the check ran, caused no replay miss and met
// every expectation: Outcome() == Pass.
func (r Result) Passed() bool { return r.Outcome() == Pass }

// MarshalJSON encodes r with its fields and "pass" (Passed), right after
// "name", so a script reads a check's fate without rederiving it.
func (r Result) MarshalJSON() ([]byte, error) {
	type fields Result // without the method
	return json.Marshal(struct {
		Name string `json:"name"`
		Pass bool   `json:"pass"`
		fields
	}{r.Name, r.Passed(), fields(r)})
}

// ReportVersion is the version of the JSON report's schema
// (docs/report.schema.json in the corsvcr repository): Report.SchemaVersion.
// It changes when a field is removed or changes meaning, not when one is
// added.
const ReportVersion = 1

// Report is a run as `corsvcr record` and `corsvcr check` print it with
// --json (docs/report.schema.json).
type Report struct {
	SchemaVersion int `json:"schema_version"` // ReportVersion
	// Pass is set when every check ran and passed (Totals.Pass).
	Pass    bool   `json:"pass"`
	Summary Totals `json:"summary"`
	// Cassette is the cassette recorded or replayed; "" for a live run.
	Cassette string `json:"cassette,omitempty"`
	// Shard is the share of the check file that ran (--shard); absent
	// for the whole file.
	Shard  *ShardInfo `json:"shard,omitempty"`
	Checks []Result   `json:"checks"`
}

// NewReport returns the report of run; cassette names its cassette ("" for
// none).
func NewReport(run *Run, cassette string) Report {
	t := run.Totals()
	results := run.Results
	if results == nil {
		results = []Result{}
	}
	// An empty shard (more shards than checks) passes: the other shards
	// hold the checks.
	pass := t.Pass() || run.Shard != nil && run.Shard.Checks == 0 && t.Checks == 0
	return Report{SchemaVersion: ReportVersion, Pass: pass, Summary: t, Cassette: cassette, Shard: run.Shard, Checks: results}
}

// Totals counts the checks of a run by outcome; each check counts once,
// by its worst outcome (see Outcome).
type Totals struct {
	Checks int `json:"checks"` // every check of the run: Passed+Failed+Missed+Errors+NotRun
	Passed int `json:"passed"` // ran, no miss, expectations met
	Failed int `json:"failed"` // a verdict broke an expectation
	Missed int `json:"missed"` // caused a replay miss
	Errors int `json:"errors"` // could not be run (harness failure)
	// NotRun counts the checks an interruption (Ctrl-C, a cancelled
	// context) kept from running; Interrupted is set when there are any.
	NotRun      int  `json:"not_run"`
	Interrupted bool `json:"interrupted"`
}

// Add counts one check of outcome o.
func (t *Totals) Add(o Outcome) {
	t.Checks++
	switch o {
	case Pass:
		t.Passed++
	case Mismatch:
		t.Failed++
	case Miss:
		t.Missed++
	default:
		t.Errors++
	}
}

// AddNotRun counts n checks that did not run.
func (t *Totals) AddNotRun(n int) {
	t.Checks += n
	t.NotRun += n
	t.Interrupted = t.NotRun > 0
}

// Pass reports whether every check ran and passed (and there was one).
func (t Totals) Pass() bool { return t.Checks > 0 && t.Passed == t.Checks }

// Tally counts results by outcome, and notRun checks that did not run.
func Tally(results []Result, notRun int) Totals {
	var t Totals
	for _, r := range results {
		t.Add(r.Outcome())
	}
	t.AddNotRun(notRun)
	return t
}

// Totals counts the checks of r by outcome.
func (r *Run) Totals() Totals { return Tally(r.Results, r.NotRun) }

// Outcome classifies a run, worst first: a harness error outweighs a replay
// miss, which outweighs a broken expectation.
type Outcome int

const (
	// Pass: every check ran, with no miss, and met its expectations.
	Pass Outcome = iota
	// Mismatch: a verdict broke an expectation of its check.
	Mismatch
	// Miss: a check caused a replay miss.
	Miss
	// Error: a check could not be run, checks did not run at all, or a
	// request failed on the network (the server could not be reached, or
	// its connection broke): a harness failure, never a Mismatch.
	Error
)

// Outcome returns the outcome of r (see Outcomes); checks that did not run
// make it Error.
func (r *Run) Outcome() Outcome {
	o := Outcomes(r.Results)
	if r.NotRun > 0 {
		o = Error
	}
	return o
}

// Outcomes returns the worst outcome of results.
func Outcomes(results []Result) Outcome {
	o := Pass
	for _, res := range results {
		o = max(o, res.Outcome())
	}
	return o
}

// Outcome returns the outcome of one check.
func (r Result) Outcome() Outcome {
	switch {
	case r.Error != "", len(r.Upstream) > 0, networkError(r.Verdicts):
		return Error
	case len(r.Misses) > 0:
		return Miss
	case len(r.Mismatches) > 0:
		return Mismatch
	}
	return Pass
}

// networkError reports whether a step of vs failed on the network.
func networkError(vs checks.Verdicts) bool {
	for _, s := range vs {
		if s.NetworkError != "" {
			return true
		}
	}
	return false
}

// Incomplete reports whether the run lacks exchanges: the recorder saw
// failed exchanges (Failures), or the run was interrupted (NotRun). Its
// cassette must not replace a good one (SaveRun).
func (r *Run) Incomplete() bool { return len(r.Failures) > 0 || r.NotRun > 0 }

// Same reports whether two results of the same check, say live and
// replayed, carry the same verdict with neither an error nor a miss.
func Same(a, b Result) bool {
	return a.Error == "" && b.Error == "" && len(a.Misses) == 0 && len(b.Misses) == 0 &&
		reflect.DeepEqual(a.Verdicts, b.Verdicts)
}

// predictionNote is the predictor's comment on Chrome's verdicts vs for c
// against a replay that answers as sess: a one-line "why" for a blocked
// verdict, and a note when the prediction disagrees with Chrome's verdict.
// sess must answer as the replay did when the check started, so it uses
// the same recorded answers.
//
// A page visit gets no note: the predictor knows a check's own requests,
// not the ones a page script makes.
func predictionNote(c checks.Check, vs checks.Verdicts, sess *replay.Session) (why, disagree string) {
	if c.Visit != nil {
		return "", ""
	}
	res := predict.Predict(c, sess)
	if len(vs) != len(res.Steps) {
		return "", ""
	}
	for i, st := range res.Steps {
		if !vs[i].Allowed && st.Rule != "" && why == "" {
			why = st.Rule
		}
		pv, _ := st.WithFailedParameter(vs[i].FailedParameter)
		if !reflect.DeepEqual(pv, vs[i]) && disagree == "" {
			disagree = fmt.Sprintf("predicted %s from the cassette (step %d)", Summary(&pv), i+1)
		}
	}
	return why, disagree
}

// Summary is a one-line rendering of a verdict, e.g. `allowed 200,
// preflight`, `blocked AllowOriginMismatch "http://x"` or `network error
// net::ERR_EMPTY_RESPONSE`; "-" for nil.
func Summary(v *checks.Verdict) string {
	if v == nil {
		return "-"
	}
	var b strings.Builder
	if v.URL != "" {
		// A page visit's verdict: its request first.
		b.WriteString(cmp.Or(v.Method, checks.DefaultMethod) + " " + v.URL + ": ")
	}
	switch {
	case v.NetworkError != "":
		b.WriteString("network error " + v.NetworkError)
		if v.Allowed {
			// The response head arrived; its body did not.
			fmt.Fprintf(&b, " after status %d", v.Status)
		}
	case v.Allowed && v.Opaque && v.ORB:
		// The script gets its opaque response; Chrome empties its body.
		b.WriteString("allowed (opaque), body blocked by ORB")
	case v.Allowed && v.Opaque:
		b.WriteString("allowed (opaque)")
	case v.Allowed:
		fmt.Fprintf(&b, "allowed %d", v.Status)
	case v.CorsError != "":
		b.WriteString("blocked " + v.CorsError)
		if v.FailedParameter != "" {
			fmt.Fprintf(&b, " %q", v.FailedParameter)
		}
	case v.ORB:
		b.WriteString("blocked by ORB (not CORS)")
	default:
		b.WriteString("failed")
		if v.JSError != "" {
			b.WriteString(": " + v.JSError)
		}
	}
	switch {
	case v.Preflights > 1:
		fmt.Fprintf(&b, ", %d preflights", v.Preflights)
	case v.Preflight:
		b.WriteString(", preflight")
	}
	return b.String()
}

// ParseUpstream parses "HOST[:PORT]=ADDR", a Config.Upstreams entry as the
// command line writes it: HOST alone means its scheme's default port.
func ParseUpstream(s string) (from, to string, err error) {
	from, to, ok := strings.Cut(s, "=")
	if !ok || from == "" || to == "" {
		return "", "", fmt.Errorf("%q is not HOST[:PORT]=ADDR", s)
	}
	if err := checkUpstream(from, to); err != nil {
		return "", "", fmt.Errorf("%q: %w", s, err)
	}
	return strings.ToLower(from), to, nil
}

// checkUpstream validates one Config.Upstreams entry.
func checkUpstream(from, to string) error {
	if _, _, err := net.SplitHostPort(from); from == "" || strings.ContainsAny(from, "/?#@ \t") || (err != nil && strings.ContainsAny(from, ":[]")) {
		return fmt.Errorf("%q is not HOST or HOST:PORT, e.g. api.example.com or localhost:8000", from)
	}
	if _, _, err := net.SplitHostPort(to); err != nil {
		return fmt.Errorf("%q needs a port, e.g. 127.0.0.1:9000", to)
	}
	return nil
}

// DescribeOriginMap renders mappings as "A → B, C → D".
func DescribeOriginMap(ms []cassettes.OriginMapping) string {
	var parts []string
	for _, m := range ms {
		parts = append(parts, m.From+" → "+m.To)
	}
	return strings.Join(parts, ", ")
}
