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
}

type mismatch struct {
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
			for _, m := range c.Expect.Mismatches(v) {
				r.Mismatches = append(r.Mismatches, mismatch{m.Field, m.Want, m.Got})
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
	if v.Preflight {
		b.WriteString(", preflight")
	}
	return b.String()
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
		width = max(width, len(r.Name))
	}
	fmt.Fprintf(w, "%-*s  %-6s  %s\n", width, "CHECK", "RESULT", "CHROME'S VERDICT")
	for _, r := range results {
		status := "ok"
		switch {
		case r.Error != "":
			status = "ERROR"
		case len(r.Misses) > 0:
			status = "MISS"
		case len(r.Mismatches) > 0:
			status = "FAIL"
		}
		fmt.Fprintf(w, "%-*s  %-6s  %s\n", width, r.Name, status, summary(r.Verdict))
		indent := strings.Repeat(" ", width+2)
		for _, m := range r.Mismatches {
			fmt.Fprintf(w, "%s  expected %s %s, got %s\n", indent, m.Field, m.Want, m.Got)
		}
		for _, m := range r.Misses {
			fmt.Fprintf(w, "%s  replay miss: %s\n", indent, m)
		}
		if r.Error != "" {
			fmt.Fprintf(w, "%s  error: %s\n", indent, r.Error)
		}
		if r.Verdict != nil && r.Verdict.Console != "" {
			fmt.Fprintf(w, "%s  console: %s\n", indent, r.Verdict.Console)
		}
	}
	if cassette != "" {
		fmt.Fprintf(w, "\ncassette: %s\n", cassette)
	}
	return nil
}
