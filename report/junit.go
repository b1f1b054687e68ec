package report

import (
	"cmp"
	"encoding/xml"
	"fmt"
	"io"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/corsvcr/corsvcr/vcr"
)

// JUnit writes run as JUnit XML, the format CI servers read test results
// in (Jenkins, GitLab, GitHub test reporters, Azure Pipelines): one
// <testsuite> with one <testcase> per check, in check-file order, named
// after the check, with its duration and, when the check file is known,
// its file and line. A check of several steps is one test case; its
// message names the step of each problem and its <system-out> lists every
// step's verdict.
//
//   - A verdict that broke an expectation is a <failure> whose message is
//     the expectations broken, expected vs got, and whose text adds
//     Chrome's console message and the predictor's why.
//   - A replay miss is an <error type="replay-miss"> with the miss text.
//   - A network error, a failed exchange with a server and a check that
//     could not run are an <error>.
//   - A check an interruption kept from running is <skipped>; without the
//     check file, the not-run checks are one <error> test case, so that an
//     interrupted run is never green. A check that did not run for a fault
//     the run states (Run.NotRunWhy: in no shard's report) is an
//     <error type="not-run">.
//   - With a live run beside the replay (Run.Live), a check whose live and
//     replayed verdicts differ is a <failure type="live-replay-differ">.
func JUnit(w io.Writer, run Run) error {
	name := cmp.Or(run.Name, "corsvcr")
	classname := "corsvcr"
	if run.ChecksPath != "" {
		classname = "corsvcr." + strings.TrimSuffix(path.Base(strings.ReplaceAll(run.ChecksPath, "\\", "/")), path.Ext(run.ChecksPath))
	}
	suite := junitSuite{Name: name}
	if run.Cassette != nil || run.Report.Cassette != "" {
		suite.Properties = append(suite.Properties, junitProperty{"cassette", run.Report.Cassette})
	}
	if run.ChecksPath != "" {
		suite.Properties = append(suite.Properties, junitProperty{"checks", run.ChecksPath})
	}
	if run.Browser != "" {
		suite.Properties = append(suite.Properties, junitProperty{"browser", run.Browser})
	}
	var total time.Duration
	for _, c := range run.checksOf() {
		tc := junitCase{Name: c.name, Classname: classname}
		if c.line > 0 {
			tc.File, tc.Line = run.ChecksPath, strconv.Itoa(c.line)
		}
		if r := c.result; r != nil {
			tc.Time = seconds(r.Duration)
			total += r.Duration
			tc.SystemOut = stepsText(c)
		}
		problems := strings.Join(c.problems(), "\n")
		switch st := c.status(); st {
		case statusPass:
		case statusNotRun:
			if c.notRun != "" {
				tc.Error = &junitMessage{Message: problems, Type: "not-run", Text: problems}
				suite.Errors++
				break
			}
			tc.Skipped = &junitMessage{Message: "not run: the run was interrupted"}
			suite.Skipped++
		case statusFail, statusDiffered:
			typ := "expectation"
			msg := mismatchMessage(c.result)
			if st == statusDiffered {
				typ, msg = "live-replay-differ", "live and replay verdicts differ"
			}
			tc.Failure = &junitMessage{Message: msg, Type: typ, Text: problems + noteText(c.result)}
			suite.Failures++
		default:
			typ := "error"
			switch {
			case st == statusMiss:
				typ = "replay-miss"
			case len(c.result.Upstream) > 0 || hasNetworkError(c.result):
				typ = "network-error"
			}
			tc.Error = &junitMessage{Message: firstLine(problems), Type: typ, Text: problems}
			suite.Errors++
		}
		suite.Cases = append(suite.Cases, tc)
	}
	if run.Checks == nil && run.Report.Summary.NotRun > 0 {
		n := run.Report.Summary.NotRun
		msg := fmt.Sprintf("%d checks did not run: the run was interrupted", n)
		suite.Cases = append(suite.Cases, junitCase{Name: "(checks not run)", Classname: classname, Error: &junitMessage{Message: msg, Type: "interrupted", Text: msg}})
		suite.Errors++
	}
	suite.Tests = len(suite.Cases)
	suite.Time = seconds(total)
	doc := junitSuites{Name: name, Tests: suite.Tests, Failures: suite.Failures, Errors: suite.Errors, Skipped: suite.Skipped, Time: suite.Time, Suites: []junitSuite{suite}}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return fmt.Errorf("report: junit: %w", err)
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("report: junit: %w", err)
	}
	if _, err := io.WriteString(w, "\n"); err != nil {
		return fmt.Errorf("report: junit: %w", err)
	}
	return nil
}

func seconds(d time.Duration) string { return strconv.FormatFloat(d.Seconds(), 'f', 3, 64) }

// mismatchMessage is a failure's one-line message: the broken expectations.
func mismatchMessage(r *vcr.Result) string {
	var parts []string
	for _, m := range r.Mismatches {
		parts = append(parts, m.String())
	}
	return strings.Join(parts, "; ")
}

// stepsText lists a check's verdicts, a line per step.
func stepsText(c check) string {
	var b strings.Builder
	for i, v := range c.result.Verdicts {
		if len(c.result.Verdicts) > 1 {
			fmt.Fprintf(&b, "step %d: ", i+1)
		}
		fmt.Fprintf(&b, "verdict: %s\n", verdictSummary(v))
		if v.Console != "" {
			fmt.Fprintf(&b, "  console: %s\n", v.Console)
		}
	}
	if c.live != nil {
		fmt.Fprintf(&b, "live verdict: %s\n", summaries(c.live.Verdicts))
	}
	return b.String()
}

// noteText is the predictor's comment on r, for a failure's text.
func noteText(r *vcr.Result) string {
	var b strings.Builder
	if r.Why != "" {
		b.WriteString("\nwhy: " + r.Why)
	}
	if r.Disagree != "" {
		b.WriteString("\nwarning: replay and prediction disagree: " + r.Disagree)
	}
	return b.String()
}

func hasNetworkError(r *vcr.Result) bool {
	for _, v := range r.Verdicts {
		if v.NetworkError != "" {
			return true
		}
	}
	return false
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// The JUnit XML schema as CI servers read it (the de-facto Ant/Surefire
// format: testsuites > testsuite > testcase).
type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name       string          `xml:"name,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Errors     int             `xml:"errors,attr"`
	Skipped    int             `xml:"skipped,attr"`
	Time       string          `xml:"time,attr"`
	Properties []junitProperty `xml:"properties>property,omitempty"`
	Cases      []junitCase     `xml:"testcase"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr,omitempty"`
	File      string        `xml:"file,attr,omitempty"`
	Line      string        `xml:"line,attr,omitempty"`
	Skipped   *junitMessage `xml:"skipped"`
	Failure   *junitMessage `xml:"failure"`
	Error     *junitMessage `xml:"error"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitMessage struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr,omitempty"`
	Text    string `xml:",chardata"`
}
