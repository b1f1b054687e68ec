package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/corsvcr/corsvcr/browsercheck"
	"github.com/corsvcr/corsvcr/checks"
	"github.com/corsvcr/corsvcr/replay"
)

// result is the outcome of one check.
type result struct {
	Name       string          `json:"name"`
	Verdict    *checks.Verdict `json:"verdict,omitempty"`
	Mismatches []mismatch      `json:"mismatches,omitempty"`
	Misses     []string        `json:"replay_misses,omitempty"`
	Error      string          `json:"error,omitempty"`
	Why        string          `json:"why,omitempty"`       // the predictor's rule for a blocked verdict (see explain.go)
	Disagree   string          `json:"predicted,omitempty"` // set when the prediction from the cassette differs
}

type mismatch struct {
	Step  int    `json:"step,omitempty"` // from 1, in a check of more than one step
	Field string `json:"field"`
	Want  string `json:"want"`
	Got   string `json:"got"`
}

// runChecks runs every check in b, one after another. When rp is non-nil,
// replay misses journaled while a check ran are attached to its result.
func runChecks(ctx context.Context, b *browsercheck.Browser, checks []checks.Check, rp *replay.Replayer) []result {
	results := make([]result, 0, len(checks))
	for _, c := range checks {
		seen := 0
		if rp != nil {
			seen = len(rp.Journal())
		}
		r := result{Name: c.Name}
		v, err := b.Check(ctx, c)
		if err != nil {
			r.Error = err.Error()
		} else {
			r.Verdict = &v
			r.Why, r.Disagree = predictionNote(c, v, rp)
			for _, m := range c.Mismatches(v) {
				r.Mismatches = append(r.Mismatches, mismatch{m.Step, m.Field, m.Want, m.Got})
			}
		}
		if rp != nil {
			for _, e := range rp.Journal()[seen:] {
				if e.Miss != nil {
					r.Misses = append(r.Misses, e.Miss.Error())
				}
			}
		}
		results = append(results, r)
		if ctx.Err() != nil {
			break
		}
	}
	return results
}

// outcome turns results into the command's exit status: a harness failure
// wins over a replay miss, which wins over a broken expectation.
func outcome(results []result) error {
	code := exitOK
	for _, r := range results {
		switch {
		case r.Error != "":
			code = exitHarness
		case len(r.Misses) > 0 && code != exitHarness:
			code = exitMiss
		case len(r.Mismatches) > 0 && code == exitOK:
			code = exitMismatch
		}
	}
	switch code {
	case exitOK:
		return nil
	case exitHarness:
		return &exitError{code: code, err: fmt.Errorf("a check could not be run")}
	default:
		return &exitError{code: code}
	}
}

// summary is a one-line rendering of a verdict.
func summary(v *checks.Verdict) string {
	if v == nil {
		return "-"
	}
	var b strings.Builder
	switch {
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

// row is one line of the table: a check, or a step of a check of more than
// one step ("name#2").
type row struct {
	name       string
	status     string
	verdict    *checks.Verdict
	mismatches []mismatch
	last       bool // the check's last row: misses and errors follow it
}

// rows renders r as table rows. A replay miss taints every step of a check:
// the steps share one browser state.
func rows(r result) []row {
	status := func(ms []mismatch) string {
		switch {
		case r.Error != "":
			return "ERROR"
		case len(r.Misses) > 0:
			return "MISS"
		case len(ms) > 0:
			return "FAIL"
		}
		return "ok"
	}
	if r.Verdict == nil || len(r.Verdict.Steps) == 0 {
		return []row{{name: r.Name, status: status(r.Mismatches), verdict: r.Verdict, mismatches: r.Mismatches, last: true}}
	}
	out := make([]row, len(r.Verdict.Steps))
	for i := range r.Verdict.Steps {
		var ms []mismatch
		for _, m := range r.Mismatches {
			if m.Step == i+1 || (m.Step == 0 && i == len(out)-1) {
				ms = append(ms, m)
			}
		}
		out[i] = row{name: fmt.Sprintf("%s#%d", r.Name, i+1), status: status(ms), verdict: &r.Verdict.Steps[i], mismatches: ms, last: i == len(out)-1}
	}
	return out
}

// writeResults prints results as a table, or as JSON.
func writeResults(w io.Writer, results []result, cassette string, asJSON bool) error {
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(struct {
			Cassette string   `json:"cassette,omitempty"`
			Checks   []result `json:"checks"`
		}{cassette, results})
	}
	width := len("CHECK")
	for _, r := range results {
		for _, x := range rows(r) {
			width = max(width, len(x.name))
		}
	}
	fmt.Fprintf(w, "%-*s  %-6s  %s\n", width, "CHECK", "RESULT", "CHROME'S VERDICT")
	indent := strings.Repeat(" ", width+2)
	for _, r := range results {
		for _, x := range rows(r) {
			fmt.Fprintf(w, "%-*s  %-6s  %s\n", width, x.name, x.status, summary(x.verdict))
			for _, m := range x.mismatches {
				fmt.Fprintf(w, "%s  expected %s %s, got %s\n", indent, m.Field, m.Want, m.Got)
			}
			if x.last {
				for _, m := range r.Misses {
					fmt.Fprintf(w, "%s  replay miss: %s\n", indent, m)
				}
				if r.Error != "" {
					fmt.Fprintf(w, "%s  error: %s\n", indent, r.Error)
				}
			}
			if x.verdict != nil && x.verdict.Console != "" {
				fmt.Fprintf(w, "%s  console: %s\n", indent, x.verdict.Console)
			}
			writeNote(w, indent, r, x.last)
		}
	}
	if cassette != "" {
		fmt.Fprintf(w, "\ncassette: %s\n", cassette)
	}
	return nil
}
