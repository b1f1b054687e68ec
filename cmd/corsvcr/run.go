package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/corsvcr/corsvcr/checks"
	"github.com/corsvcr/corsvcr/replay"
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
		"write the cassette even when exchanges failed (network errors) or the run was interrupted; it then lacks those exchanges (default: write nothing and leave an existing cassette unchanged; check --mode record-missing appends the exchanges recorded completely in any case)")}
}

// options adds the flag, and the hint for run, to save options.
func (f incomplete) options(run *vcr.Run, o vcr.SaveOptions) vcr.SaveOptions {
	o.AllowIncomplete = *f.force
	o.IncompleteHint = incompleteHint(run)
	return o
}

// incompleteHint is the hint for a refused incomplete run: what to rerun
// for, then how to force it.
func incompleteHint(run *vcr.Run) string {
	h := "write it anyway with --save-incomplete"
	switch {
	case len(run.Failures) > 0:
		return "rerun when every server answers, or " + h
	case run.NotRun > 0:
		return "rerun to completion, or " + h
	}
	return h
}

// refused reports a cassette that was not written (the results are printed
// already): an incomplete run (vcr.IncompleteError) adds its hints, exit 1.
func refused(err error, run *vcr.Run, stderr io.Writer) error {
	var ie *vcr.IncompleteError
	if !errors.As(err, &ie) {
		return err
	}
	writeHints(stderr, run)
	return &exitError{code: exitHarness, err: err}
}

// writeAppended says, for an incomplete record-missing run, what was
// appended to the cassette and why the rest was not.
func writeAppended(w io.Writer, cassette string, run *vcr.Run) {
	var why []string
	if run.NotRun > 0 {
		why = append(why, fmt.Sprintf("the run was interrupted (%d %s did not run)", run.NotRun, plural(run.NotRun, "check", "checks")))
	}
	if n := len(run.Failures); n > 0 {
		why = append(why, fmt.Sprintf("%d %s failed and %s not appended", n, plural(n, "exchange", "exchanges"), plural(n, "was", "were")))
	}
	fmt.Fprintf(w, "corsvcr: appended %d recorded %s to %s, every one complete; %s; rerun to record the rest\n",
		run.Added, plural(run.Added, "interaction", "interactions"), checks.Printable(cassette), strings.Join(why, "; "))
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
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
	name := checks.Printable(r.Name)
	switch len(r.Verdicts) {
	case 0:
		return []row{{name: name, status: status(nil, r.Mismatches), mismatches: r.Mismatches, last: true}}
	case 1:
		return []row{{name: name, status: status(&r.Verdicts[0], r.Mismatches), verdict: &r.Verdicts[0], mismatches: r.Mismatches, last: true}}
	}
	out := make([]row, len(r.Verdicts))
	for i := range r.Verdicts {
		var ms []checks.Mismatch
		for _, m := range r.Mismatches {
			if m.Step == i+1 || (m.Step == 0 && i == len(out)-1) {
				ms = append(ms, m)
			}
		}
		out[i] = row{name: fmt.Sprintf("%s#%d", name, i+1), status: status(&r.Verdicts[i], ms), verdict: &r.Verdicts[i], mismatches: ms, last: i == len(out)-1}
	}
	return out
}

// verdictText is a row's CHROME'S VERDICT column. Chrome's verdict on the
// replay's miss answer (status replay.MissStatus) is no verdict on the
// server: the column says so rather than "allowed 599".
func verdictText(x row) string {
	if x.status == "MISS" && x.verdict != nil && x.verdict.Status == replay.MissStatus {
		return fmt.Sprintf("none: the request is not in the cassette (Chrome got the replay's %d miss answer)", replay.MissStatus)
	}
	return oneLine(vcr.Summary(x.verdict))
}

// writeResults prints the results of run as a table, or as JSON (a
// vcr.Report: docs/report.schema.json).
func writeResults(w io.Writer, run *vcr.Run, cassette string, asJSON bool) error {
	if asJSON {
		return writeJSON(w, vcr.NewReport(run, cassette))
	}
	results := run.Results
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
			fmt.Fprintf(w, "%-*s  %-6s  %s\n", width, x.name, x.status, verdictText(x))
			for _, m := range x.mismatches {
				fmt.Fprintf(w, "%s  expected %s %s, got %s\n", indent, m.Field, oneLine(m.Want), oneLine(m.Got))
			}
			if x.last {
				for _, m := range r.Misses {
					fmt.Fprintf(w, "%s  replay miss: %s\n", indent, oneLine(m))
				}
				if r.Error != "" {
					fmt.Fprintf(w, "%s  error: %s\n", indent, oneLine(r.Error))
				}
				for _, u := range r.Upstream {
					fmt.Fprintf(w, "%s  cause: %s\n", indent, oneLine(u))
				}
			}
			if x.verdict != nil && x.verdict.Console != "" {
				fmt.Fprintf(w, "%s  console: %s\n", indent, oneLine(x.verdict.Console))
			}
			writeNote(w, indent, r, x.last)
		}
	}
	if run.NotRun > 0 {
		fmt.Fprintf(w, "\ninterrupted: %d of %d checks did not run\n", run.NotRun, len(results)+run.NotRun)
	}
	return nil
}

// writeWritten says, after the table, which cassette was written.
func writeWritten(w io.Writer, cassette string, asJSON bool) {
	if !asJSON && cassette != "" {
		fmt.Fprintf(w, "\ncassette: %s\n", checks.Printable(cassette))
	}
}

// writeJSON prints v as indented JSON.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// oneLine escapes, Go-style (\n, \x1b), the characters of free text
// (console messages, errors, replay misses) that are not printable, so that
// what a server or a check file says can neither break a row of the table
// nor drive the terminal. Printable text is returned unchanged.
func oneLine(s string) string {
	if checks.Printable(s) == s {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if r != utf8.RuneError && (r == ' ' || strconv.IsPrint(r)) {
			b.WriteRune(r)
			continue
		}
		q := strconv.QuoteRune(r)
		b.WriteString(q[1 : len(q)-1])
	}
	return b.String()
}
