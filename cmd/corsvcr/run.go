package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/corsvcr/corsvcr/checks"
	"github.com/corsvcr/corsvcr/vcr"
)

// outcome turns a run into the command's exit status, after hints on
// stderr for failures a flag can fix.
func outcome(run *vcr.Run, stderr io.Writer) error {
	writeHints(stderr, run)
	return exitFor(run.Outcome(), run.NotRun)
}

// incomplete is the --save-incomplete flag.
type incomplete struct{ force *bool }

// incompleteFlag declares --save-incomplete, the same on record and check.
func incompleteFlag(fs *flag.FlagSet) incomplete {
	return incomplete{fs.Bool("save-incomplete", false,
		"write the cassette even when exchanges failed (network errors) or the run was interrupted; it then lacks those exchanges (default: write nothing and leave an existing cassette unchanged)")}
}

// options adds the flag to save options.
func (f incomplete) options(o vcr.SaveOptions) vcr.SaveOptions {
	o.AllowIncomplete = *f.force
	o.IncompleteHint = "rerun when every server answers, or write it anyway with --save-incomplete"
	return o
}

// refused reports a cassette that was not written. An incomplete run
// (vcr.IncompleteError) still shows its results: they say what failed.
func refused(err error, run *vcr.Run, stdout, stderr io.Writer, asJSON bool) error {
	var ie *vcr.IncompleteError
	if !errors.As(err, &ie) {
		return err
	}
	if werr := writeResults(stdout, run, "", asJSON); werr != nil {
		return werr
	}
	writeHints(stderr, run)
	return &exitError{code: exitHarness, err: err}
}

// writeHints prints a hint for failures a flag can fix.
func writeHints(w io.Writer, run *vcr.Run) {
	for _, f := range run.Failures {
		if strings.Contains(f.Err.Error(), "x509:") {
			fmt.Fprintf(w, "corsvcr: hint: the certificate of %s did not verify; if it is signed by a private CA, pass its PEM with --upstream-ca FILE\n", f.Host)
			return
		}
	}
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
	return fmt.Errorf("a check could not be run, or a request failed on the network (see above)")
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
	status := func(v *checks.Verdict, ms []checks.Mismatch) string {
		switch {
		case r.Error != "", len(r.Upstream) > 0, v != nil && v.NetworkError != "":
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
		return []row{{name: r.Name, status: status(nil, r.Mismatches), mismatches: r.Mismatches, last: true}}
	case 1:
		return []row{{name: r.Name, status: status(&r.Verdicts[0], r.Mismatches), verdict: &r.Verdicts[0], mismatches: r.Mismatches, last: true}}
	}
	out := make([]row, len(r.Verdicts))
	for i := range r.Verdicts {
		var ms []checks.Mismatch
		for _, m := range r.Mismatches {
			if m.Step == i+1 || (m.Step == 0 && i == len(out)-1) {
				ms = append(ms, m)
			}
		}
		out[i] = row{name: fmt.Sprintf("%s#%d", r.Name, i+1), status: status(&r.Verdicts[i], ms), verdict: &r.Verdicts[i], mismatches: ms, last: i == len(out)-1}
	}
	return out
}

// writeResults prints the results of run as a table, or as JSON. The checks
// an interruption kept from running are counted at the end.
func writeResults(w io.Writer, run *vcr.Run, cassette string, asJSON bool) error {
	results := run.Results
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(struct {
			Cassette string       `json:"cassette,omitempty"`
			Checks   []vcr.Result `json:"checks"`
			NotRun   int          `json:"not_run,omitempty"`
		}{cassette, results, run.NotRun})
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
				for _, u := range r.Upstream {
					fmt.Fprintf(w, "%s  cause: %s\n", indent, u)
				}
			}
			if x.verdict != nil && x.verdict.Console != "" {
				fmt.Fprintf(w, "%s  console: %s\n", indent, x.verdict.Console)
			}
			writeNote(w, indent, r, x.last)
		}
	}
	if run.NotRun > 0 {
		fmt.Fprintf(w, "\ninterrupted: %d of %d checks did not run\n", run.NotRun, len(results)+run.NotRun)
	}
	if cassette != "" {
		fmt.Fprintf(w, "\ncassette: %s\n", cassette)
	}
	return nil
}
