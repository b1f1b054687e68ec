package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/corsvcr/corsvcr/checks"
	"github.com/corsvcr/corsvcr/vcr"
)

// outcome turns a run into the command's exit status.
func outcome(run *vcr.Run) error {
	return exitFor(run.Outcome(), run.NotRun)
}

// exitFor turns an outcome into the command's exit status; notRun counts
// the checks an interruption kept from running.
func exitFor(o vcr.Outcome, notRun int) error {
	switch {
	case notRun > 0:
		return fmt.Errorf("interrupted: %d checks did not run", notRun)
	case o == vcr.Pass:
		return nil
	case o == vcr.Mismatch:
		return &exitError{code: exitMismatch}
	case o == vcr.Miss:
		return &exitError{code: exitMiss}
	}
	return fmt.Errorf("a check could not be run")
}

// row is one line of the table: a check, or a step of a check of more than
// one step ("name#2").
type row struct {
	name       string
	status     string
	verdict    *checks.Verdict
	mismatches []checks.Mismatch
	last       bool // the check's last row: misses and errors follow it
}

// rows renders r as table rows. A replay miss taints every step of a check:
// the steps share one browser state.
func rows(r vcr.Result) []row {
	status := func(ms []checks.Mismatch) string {
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
	switch len(r.Verdicts) {
	case 0:
		return []row{{name: r.Name, status: status(r.Mismatches), mismatches: r.Mismatches, last: true}}
	case 1:
		return []row{{name: r.Name, status: status(r.Mismatches), verdict: &r.Verdicts[0], mismatches: r.Mismatches, last: true}}
	}
	out := make([]row, len(r.Verdicts))
	for i := range r.Verdicts {
		var ms []checks.Mismatch
		for _, m := range r.Mismatches {
			if m.Step == i+1 || (m.Step == 0 && i == len(out)-1) {
				ms = append(ms, m)
			}
		}
		out[i] = row{name: fmt.Sprintf("%s#%d", r.Name, i+1), status: status(ms), verdict: &r.Verdicts[i], mismatches: ms, last: i == len(out)-1}
	}
	return out
}

// writeResults prints results as a table, or as JSON.
func writeResults(w io.Writer, results []vcr.Result, cassette string, asJSON bool) error {
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(struct {
			Cassette string       `json:"cassette,omitempty"`
			Checks   []vcr.Result `json:"checks"`
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
			fmt.Fprintf(w, "%-*s  %-6s  %s\n", width, x.name, x.status, vcr.Summary(x.verdict))
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
