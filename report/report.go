// Package report renders a corsvcr run for CI servers and for people: JUnit
// XML (JUnit), a self-contained HTML page (HTML), GitHub Actions annotations
// (GitHubAnnotations), and merges the JSON reports of sharded runs into one
// (Merge).
//
// Its input is the workflow's own model, a vcr.Report, with what only some
// renderers need beside it (Run): the check file, for requests, pages and
// line numbers; the cassette, for the exchanges Chrome had with the replay
// and the predictor's fix (vcr.Explain); the live run of the same checks,
// for a run that also replayed (corsvcr demo). No browser runs here.
package report

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/corsvcr/corsvcr/cassettes"
	"github.com/corsvcr/corsvcr/checks"
	"github.com/corsvcr/corsvcr/internal/inputfile"
	"github.com/corsvcr/corsvcr/vcr"
)

// Run is one run of a check file, as the renderers read it.
type Run struct {
	// Report holds the results (vcr.NewReport, or Merge's). Required.
	Report vcr.Report
	// Checks is the check file that ran; nil when unknown (a merged report
	// without its check file): the renderers then know the checks by name
	// only, with no request, page or line.
	Checks *checks.File
	// ChecksPath is where the check file is, as annotations name it
	// (relative to the repository root for GitHub).
	ChecksPath string
	// Lines maps a check's name to the line of its entry in ChecksPath
	// (checks.Lines), for JUnit's file/line and annotations; nil: unknown.
	Lines map[string]int
	// Cassette is the cassette replayed (or recorded, for a recording);
	// nil for a live run. The HTML report shows, per check, the exchanges
	// Chrome had with it and the predictor's fix (vcr.Explain).
	Cassette *cassettes.Cassette
	// NoExchanges says why a run that had a cassette shows no exchange
	// (Cassette nil), e.g. a cassette withheld because it holds secrets;
	// "" says what fits a run without a cassette.
	NoExchanges string
	// Live is the live run of the same checks when Report is their replay
	// (corsvcr demo): the HTML shows both side by side, and a check whose
	// live and replayed verdicts differ fails in JUnit.
	Live *vcr.Report
	// Name names the run (the command, say "corsvcr check"); "" means
	// "corsvcr".
	Name string
	// Browser is the Chrome that ran the checks, e.g. "Chromium Headless
	// Shell 156.0.8078.79"; "" for unknown.
	Browser string
	// NotRunWhy says why the checks of Checks without a result did not run
	// when that is a fault rather than an interruption, e.g. a merge of
	// shard reports one of which is missing (NotRunMerge): JUnit then makes
	// each of them an <error type="not-run">, not <skipped>, so that a
	// consumer of the JUnit alone cannot read the run as green. "" means
	// the run was interrupted.
	NotRunWhy string
}

// NotRunMerge is Run.NotRunWhy for a merge of shard reports with its check
// file: a check that is in no shard's report.
const NotRunMerge = "it is in no shard's report (a shard was interrupted, its job died, or its report is missing)"

// check is one check of a run, as every renderer sees it: its result (nil
// when it did not run) and what the check file says of it.
type check struct {
	name   string
	notRun string // why it did not run (Run.NotRunWhy); "": interrupted
	result *vcr.Result
	live   *vcr.Result // Run.Live's result of the same check
	def    *checks.Check
	line   int
}

// checksOf returns the checks of run in order: the check file's order when
// it is known (a check without a result did not run), else the results'
// order, followed by placeholders for checks counted as not run.
func (run Run) checksOf() []check {
	results := map[string]*vcr.Result{}
	for i := range run.Report.Checks {
		results[run.Report.Checks[i].Name] = &run.Report.Checks[i]
	}
	lives := map[string]*vcr.Result{}
	if run.Live != nil {
		for i := range run.Live.Checks {
			lives[run.Live.Checks[i].Name] = &run.Live.Checks[i]
		}
	}
	var out []check
	if run.Checks != nil {
		for i := range run.Checks.Checks {
			c := &run.Checks.Checks[i]
			out = append(out, check{name: c.Name, notRun: run.NotRunWhy, result: results[c.Name], live: lives[c.Name], def: c, line: run.Lines[c.Name]})
		}
		return out
	}
	for i := range run.Report.Checks {
		r := &run.Report.Checks[i]
		out = append(out, check{name: r.Name, result: r, live: lives[r.Name], line: run.Lines[r.Name]})
	}
	return out
}

// status is a check's fate in a report.
type status string

const (
	statusPass     status = "passed"
	statusFail     status = "failed"
	statusMiss     status = "missed"
	statusError    status = "error"
	statusNotRun   status = "not run"
	statusDiffered status = "differed" // live and replay verdicts differ
)

// status returns c's status: its outcome, or, for a run with a live run
// beside it, "differed" when the two verdicts differ (and neither is worse).
func (c check) status() status {
	if c.result == nil {
		return statusNotRun
	}
	o := c.result.Outcome()
	if c.live != nil {
		o = max(o, c.live.Outcome())
	}
	switch o {
	case vcr.Error:
		return statusError
	case vcr.Miss:
		return statusMiss
	case vcr.Mismatch:
		return statusFail
	}
	if c.live != nil && !vcr.Same(*c.live, *c.result) {
		return statusDiffered
	}
	return statusPass
}

// problems returns, one per line, why c did not pass: broken expectations
// with Chrome's console message, replay misses, errors and network errors.
func (c check) problems() []string {
	r := c.result
	if r == nil {
		if c.notRun != "" {
			return []string{"did not run: " + c.notRun}
		}
		return []string{"did not run: the run was interrupted"}
	}
	var out []string
	multi := len(r.Verdicts) > 1
	for _, m := range r.Mismatches {
		out = append(out, m.String())
	}
	if len(r.Mismatches) > 0 {
		for i, v := range r.Verdicts {
			if v.Console != "" {
				out = append(out, stepPrefix(multi, i+1)+"console: "+v.Console)
			}
		}
	}
	for _, m := range r.Misses {
		out = append(out, "replay miss: "+m)
	}
	for i, v := range r.Verdicts {
		if v.NetworkError != "" {
			out = append(out, stepPrefix(multi, i+1)+"network error: "+vcr.Summary(&v))
		}
	}
	for _, u := range r.Upstream {
		out = append(out, "cause: "+u)
	}
	if r.Error != "" {
		out = append(out, "error: "+r.Error)
	}
	if c.live != nil && !vcr.Same(*c.live, *r) && c.live.Error == "" && r.Error == "" {
		out = append(out, fmt.Sprintf("live and replay verdicts differ: live %s, replay %s", summaries(c.live.Verdicts), summaries(r.Verdicts)))
	}
	return out
}

func stepPrefix(multi bool, step int) string {
	if !multi {
		return ""
	}
	return fmt.Sprintf("step %d: ", step)
}

// summaries renders the verdicts of a check's steps, "; "-separated.
func summaries(vs checks.Verdicts) string {
	if len(vs) == 0 {
		return "-"
	}
	parts := make([]string, len(vs))
	for i := range vs {
		parts[i] = vcr.Summary(&vs[i])
	}
	return strings.Join(parts, "; ")
}

// ReadReport reads a JSON report that `corsvcr record --json` or `corsvcr
// check --json` printed (docs/report.schema.json, #/$defs/report). It
// refuses another schema version and a report whose checks repeat a name.
func ReadReport(path string) (vcr.Report, error) {
	data, err := inputfile.Read(path, inputfile.Report)
	if err != nil {
		return vcr.Report{}, fmt.Errorf("report: read %q: %w", path, err)
	}
	var rep vcr.Report
	if err := json.Unmarshal(data, &rep); err != nil {
		return vcr.Report{}, fmt.Errorf("report: read %q: %w", path, err)
	}
	if rep.SchemaVersion != vcr.ReportVersion {
		return vcr.Report{}, fmt.Errorf("report: read %q: schema_version %d: want %d (a JSON report of corsvcr record or check --json)", path, rep.SchemaVersion, vcr.ReportVersion)
	}
	var names []string
	for _, r := range rep.Checks {
		if r.Name == "" {
			return vcr.Report{}, fmt.Errorf("report: read %q: a check without a name", path)
		}
		if slices.Contains(names, r.Name) {
			return vcr.Report{}, fmt.Errorf("report: read %q: check %q appears twice", path, r.Name)
		}
		names = append(names, r.Name)
	}
	return rep, nil
}
