package report_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/joshdk/go-junit"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/corsvcr/corsvcr/cassettes"
	"github.com/corsvcr/corsvcr/checks"
	"github.com/corsvcr/corsvcr/report"
	"github.com/corsvcr/corsvcr/vcr"
)

const fileSrc = `version: 1
page: http://localhost:8080
checks:
  - name: a
    request: {url: http://localhost:8000/a}
  - name: b
    request: {url: http://localhost:8000/b}
  - name: c
    request: {url: http://localhost:8000/c}
  - name: d
    request: {url: http://localhost:8000/d}
`

func parseFile(t *testing.T) *checks.File {
	t.Helper()
	f, err := checks.Parse("cors-checks.yaml", []byte(fileSrc))
	require.NoError(t, err)
	return f
}

var (
	ok      = checks.Verdict{Allowed: true, Status: 200, ReadableHeaders: []string{}}
	blocked = checks.Verdict{CorsError: "AllowOriginMismatch", FailedParameter: "http://x", Console: "Access to fetch at 'http://localhost:8000/b' from origin 'http://localhost:8080' has been blocked by CORS policy: …", ReadableHeaders: []string{}}
	netErr  = checks.Verdict{NetworkError: "net::ERR_EMPTY_RESPONSE", ReadableHeaders: []string{}}
)

func results() []vcr.Result {
	return []vcr.Result{
		{Name: "a", Verdicts: checks.Verdicts{ok}, Duration: 1500 * time.Millisecond},
		{Name: "b", Verdicts: checks.Verdicts{blocked}, Mismatches: []checks.Mismatch{{Field: "allowed", Want: "true", Got: "false"}}, Why: "the rule", Duration: time.Second},
		{Name: "c", Verdicts: checks.Verdicts{ok}, Misses: []string{"replay: no recorded interaction for GET http://localhost:8000/c"}},
		{Name: "d", Verdicts: checks.Verdicts{netErr}, Upstream: []string{"GET http://localhost:8000/d: upstream localhost:8000 unreachable: connection refused"}},
	}
}

func TestJUnitOutcomes(t *testing.T) {
	run := &vcr.Run{Results: results()}
	var b bytes.Buffer
	require.NoError(t, report.JUnit(&b, report.Run{Report: vcr.NewReport(run, "c.yaml"), Checks: parseFile(t), ChecksPath: "ci/cors-checks.yaml", Lines: checks.Lines([]byte(fileSrc))}))
	suites, err := junit.Ingest(b.Bytes())
	require.NoError(t, err)
	require.Len(t, suites, 1)
	assert.Equal(t, junit.Totals{Tests: 4, Passed: 1, Failed: 1, Error: 2, Duration: 2500 * time.Millisecond}, suites[0].Totals)
	tests := suites[0].Tests
	require.Len(t, tests, 4)
	assert.Equal(t, 1500*time.Millisecond, tests[0].Duration)
	assert.Equal(t, "6", tests[1].Properties["line"])
	assert.Equal(t, "ci/cors-checks.yaml", tests[1].Properties["file"])
	assert.Equal(t, "allowed: want true, got false", tests[1].Message)
	assert.Equal(t, "expectation", tests[1].Error.(junit.Error).Type)
	assert.Equal(t, "replay-miss", tests[2].Error.(junit.Error).Type)
	assert.Equal(t, "network-error", tests[3].Error.(junit.Error).Type)
	assert.Contains(t, tests[3].Error.Error(), "network error: network error net::ERR_EMPTY_RESPONSE")
	assert.Contains(t, tests[3].Error.Error(), "cause: GET http://localhost:8000/d: upstream localhost:8000 unreachable")
}

// TestJUnitInterrupted: checks an interruption kept from running are
// skipped, by name when the check file is known, else one error test, so
// an interrupted run never reads as green.
func TestJUnitInterrupted(t *testing.T) {
	run := &vcr.Run{Results: results()[:1], NotRun: 3}
	var b bytes.Buffer
	require.NoError(t, report.JUnit(&b, report.Run{Report: vcr.NewReport(run, ""), Checks: parseFile(t)}))
	suites, err := junit.Ingest(b.Bytes())
	require.NoError(t, err)
	assert.Equal(t, 4, suites[0].Totals.Tests)
	assert.Equal(t, 3, suites[0].Totals.Skipped)
	assert.Equal(t, "d", suites[0].Tests[3].Name)

	b.Reset()
	require.NoError(t, report.JUnit(&b, report.Run{Report: vcr.NewReport(run, "")}))
	suites, err = junit.Ingest(b.Bytes())
	require.NoError(t, err)
	assert.Equal(t, junit.Totals{Tests: 2, Passed: 1, Error: 1, Duration: 1500 * time.Millisecond}, suites[0].Totals)
	assert.Equal(t, "3 checks did not run: the run was interrupted", suites[0].Tests[1].Message)
}

// TestJUnitEscapes: what no XML may hold (control characters) and what
// XML must escape survive a parser.
func TestJUnitEscapes(t *testing.T) {
	name := "evil\x1b[31m <x> & \"q\" ]]>"
	run := &vcr.Run{Results: []vcr.Result{{Name: name, Error: "browsercheck: \x00boom\n<b>"}}}
	var b bytes.Buffer
	require.NoError(t, report.JUnit(&b, report.Run{Report: vcr.NewReport(run, "")}))
	suites, err := junit.Ingest(b.Bytes())
	require.NoError(t, err, "%s", b.String())
	tc := suites[0].Tests[0]
	assert.Equal(t, "evil\uFFFD[31m <x> & \"q\" ]]>", tc.Name)
	assert.Equal(t, junit.StatusError, tc.Status)
	assert.Contains(t, tc.Error.Error(), "<b>")
}

func TestGitHubAnnotations(t *testing.T) {
	t.Setenv("GITHUB_WORKSPACE", "") // paths as given
	rs := results()
	rs[1].Name = "b"
	rs[1].Mismatches[0].Got = "false, 100%\r\nforged"
	run := &vcr.Run{Results: rs}
	file := parseFile(t)
	var b bytes.Buffer
	require.NoError(t, report.GitHubAnnotations(&b, report.Run{Report: vcr.NewReport(run, ""), Checks: file, ChecksPath: "ci/a,b:c%.yaml", Lines: checks.Lines([]byte(fileSrc))}))
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	require.Len(t, lines, 3, "one per failing check: %s", b.String())
	assert.Equal(t, "::error file=ci/a%2Cb%3Ac%25.yaml,line=6,title=corsvcr%3A b failed::allowed: want true, got false, 100%25%0D%0Aforged%0Aconsole: Access to fetch at 'http://localhost:8000/b' from origin 'http://localhost:8080' has been blocked by CORS policy: …%0Awhy: the rule", lines[0])
	assert.True(t, strings.HasPrefix(lines[1], "::error file=ci/a%2Cb%3Ac%25.yaml,line=8,title=corsvcr%3A c missed::replay miss: replay: no recorded interaction for GET http://localhost:8000/c"), lines[1])
	assert.True(t, strings.HasPrefix(lines[2], "::error file=ci/a%2Cb%3Ac%25.yaml,line=10,title=corsvcr%3A d error::network error: "), lines[2])
	for _, l := range lines {
		assert.NotContains(t, l, "\r")
	}

	// Every check passed: nothing.
	b.Reset()
	one, err := file.Select(regexp.MustCompile("^a$"))
	require.NoError(t, err)
	require.NoError(t, report.GitHubAnnotations(&b, report.Run{Report: vcr.NewReport(&vcr.Run{Results: rs[:1]}, ""), Checks: one, ChecksPath: "c.yaml"}))
	assert.Empty(t, b.String())

	// A check name with a newline cannot forge a second command.
	b.Reset()
	require.NoError(t, report.GitHubAnnotations(&b, report.Run{Report: vcr.NewReport(&vcr.Run{Results: []vcr.Result{{Name: "x\n::error::forged", Error: "boom"}}}, "")}))
	assert.Equal(t, "::error title=corsvcr%3A x%0A%3A%3Aerror%3A%3Aforged error::error: boom\n", b.String())
}

func TestMerge(t *testing.T) {
	file := parseFile(t)
	rs := results()
	shard := func(cassette string, notRun int, res ...vcr.Result) vcr.Report {
		return vcr.NewReport(&vcr.Run{Results: res, NotRun: notRun}, cassette)
	}
	// Shards hold checks in any order; the merge is in file order.
	got, err := report.Merge([]vcr.Report{shard("c.yaml", 0, rs[3], rs[1]), shard("c.yaml", 0, rs[2], rs[0])}, file)
	require.NoError(t, err)
	assert.Equal(t, []string{"a", "b", "c", "d"}, names(got))
	assert.Equal(t, vcr.Totals{Checks: 4, Passed: 1, Failed: 1, Missed: 1, Errors: 1}, got.Summary)
	assert.False(t, got.Pass)
	assert.Equal(t, "c.yaml", got.Cassette)
	assert.Equal(t, vcr.Error, vcr.Outcomes(got.Checks))

	// Passing shards merge into a pass.
	pass := rs[0]
	pass2 := pass
	pass2.Name = "b"
	got, err = report.Merge([]vcr.Report{shard("c.yaml", 0, pass2), shard("other.yaml", 0, pass)}, nil)
	require.NoError(t, err)
	assert.Equal(t, []string{"b", "a"}, names(got), "without the check file: shard order")
	assert.True(t, got.Pass)
	assert.Empty(t, got.Cassette, "shards of different cassettes")

	// A shard whose report is missing: its checks did not run.
	got, err = report.Merge([]vcr.Report{shard("c.yaml", 0, pass)}, file)
	require.NoError(t, err)
	assert.Equal(t, vcr.Totals{Checks: 4, Passed: 1, NotRun: 3, Interrupted: true}, got.Summary)
	assert.False(t, got.Pass)

	// An interrupted shard stays interrupted without the check file too.
	got, err = report.Merge([]vcr.Report{shard("", 2, pass)}, nil)
	require.NoError(t, err)
	assert.Equal(t, vcr.Totals{Checks: 3, Passed: 1, NotRun: 2, Interrupted: true}, got.Summary)

	_, err = report.Merge([]vcr.Report{shard("", 0, pass), shard("", 0, pass)}, file)
	assert.ErrorIs(t, err, report.ErrDuplicate)
	assert.ErrorContains(t, err, `report: merge: check "a" ran in two shards (1 and 2)`)
	stranger := pass
	stranger.Name = "zz"
	_, err = report.Merge([]vcr.Report{shard("", 0, stranger)}, file)
	assert.ErrorIs(t, err, report.ErrUnknownCheck)
}

func names(rep vcr.Report) []string {
	var out []string
	for _, r := range rep.Checks {
		out = append(out, r.Name)
	}
	return out
}

func TestReadReport(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, v any) string {
		data, err := json.Marshal(v)
		require.NoError(t, err)
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, data, 0o644))
		return p
	}
	want := vcr.NewReport(&vcr.Run{Results: results()}, "c.yaml")
	got, err := report.ReadReport(write("ok.json", want))
	require.NoError(t, err)
	assert.Equal(t, want, got, "a report round-trips, durations included")

	bad := want
	bad.SchemaVersion = 2
	_, err = report.ReadReport(write("v2.json", bad))
	assert.ErrorContains(t, err, "schema_version 2: want 1")
	dup := want
	dup.Checks = append([]vcr.Result{}, want.Checks[0], want.Checks[0])
	_, err = report.ReadReport(write("dup.json", dup))
	assert.ErrorContains(t, err, `check "a" appears twice`)
	_, err = report.ReadReport(dir)
	assert.ErrorContains(t, err, "report: read")
}

// TestHTMLWithoutCassette: a live run without a cassette, or a merged
// report without its check file, still renders every check and says why
// no exchange is shown.
func TestHTMLWithoutCassette(t *testing.T) {
	run := &vcr.Run{Results: results(), NotRun: 1}
	var b bytes.Buffer
	require.NoError(t, report.HTML(context.Background(), &b, report.Run{Report: vcr.NewReport(run, "")}))
	s := b.String()
	assert.Contains(t, s, `data-total="5"`)
	assert.Contains(t, s, `data-count="not-run"><b>1</b>`)
	assert.Contains(t, s, "no cassette: the exchanges of a live run without one are not kept")
	assert.NotContains(t, s, " src=", "the page loads nothing")
	assert.NotContains(t, s, " href=", "the page links nothing")

	b.Reset()
	require.NoError(t, report.HTML(context.Background(), &b, report.Run{Report: vcr.NewReport(run, "c.yaml"), NoExchanges: "not shown: secrets"}))
	assert.Contains(t, b.String(), "not shown: secrets")
	assert.NotContains(t, b.String(), "no cassette:")
}

// TestHTMLRedirectHops: the exchanges of a redirected request are shown in
// order, each hop Chrome followed as a redirect, then the actual request.
func TestHTMLRedirectHops(t *testing.T) {
	cas, err := cassettes.Decode("redirect.yaml", []byte(`version: 1
interactions:
  - kind: actual
    request:
      method: GET
      url: http://localhost:8000/old
      headers:
        - {name: Origin, value: "http://localhost:8080"}
    response:
      status: 302
      headers:
        - {name: Location, value: "http://localhost:8000/new"}
        - {name: Access-Control-Allow-Origin, value: "http://localhost:8080"}
  - kind: actual
    request:
      method: GET
      url: http://localhost:8000/new
      headers:
        - {name: Origin, value: "http://localhost:8080"}
    response:
      status: 200
      headers:
        - {name: Content-Type, value: text/plain}
      body: moved here
`))
	require.NoError(t, err)
	file, err := checks.Parse("c.yaml", []byte("version: 1\npage: http://localhost:8080\nchecks:\n  - name: moved\n    request: {url: http://localhost:8000/old}\n"))
	require.NoError(t, err)
	blockedMoved := checks.Verdict{CorsError: "MissingAllowOriginHeader", ReadableHeaders: []string{}}
	run := &vcr.Run{Results: []vcr.Result{{Name: "moved", Verdicts: checks.Verdicts{blockedMoved}}}}
	var b bytes.Buffer
	require.NoError(t, report.HTML(context.Background(), &b, report.Run{Report: vcr.NewReport(run, "redirect.yaml"), Checks: file, Cassette: cas}))
	s := b.String()
	redirect := strings.Index(s, `data-kind="redirect"`)
	actual := strings.Index(s, `data-kind="actual"`)
	require.Positive(t, redirect, s)
	assert.Greater(t, actual, redirect, "the redirect hop, then the actual request")
	assert.Contains(t, s, "interaction #1")
	assert.Contains(t, s, `<tr class="decides missing"><td class="hname">Access-Control-Allow-Origin</td><td class="hval">(missing)</td></tr>`, "the final response's missing header decided")
}

// TestHTMLMissIsNotAVerdict: Chrome's verdict on the replay's answer to a
// miss (599, X-Corsvcr-Miss) is shown as a miss, not as a green "allowed
// 599", and the request no interaction answered as not in the cassette,
// not as an empty "response 0".
func TestHTMLMissIsNotAVerdict(t *testing.T) {
	cas, err := cassettes.Decode("c.yaml", []byte(`version: 1
interactions:
  - kind: actual
    request:
      method: GET
      url: http://localhost:8000/a
      headers:
        - {name: Origin, value: "http://localhost:8080"}
    response:
      status: 200
      headers:
        - {name: Access-Control-Allow-Origin, value: "http://localhost:8080"}
`))
	require.NoError(t, err)
	file, err := checks.Parse("c.yaml", []byte("version: 1\npage: http://localhost:8080\nchecks:\n  - name: gone\n    request: {url: http://localhost:8000/zzz}\n"))
	require.NoError(t, err)
	missed := checks.Verdict{Allowed: true, Status: 599, ReadableHeaders: []string{"cache-control", "content-length", "content-type", "x-corsvcr-miss"}}
	run := &vcr.Run{Results: []vcr.Result{{Name: "gone", Verdicts: checks.Verdicts{missed}, Misses: []string{"replay: no recorded interaction for GET http://localhost:8000/zzz"}}}}
	var b bytes.Buffer
	require.NoError(t, report.HTML(context.Background(), &b, report.Run{Report: vcr.NewReport(run, "c.yaml"), Checks: file, Cassette: cas}))
	s := b.String()
	// Contains as booleans: a failure names the fragment, not the whole page.
	assert.False(t, strings.Contains(s, `<div class="verdict allowed"`), "a miss reads as an allowed verdict")
	assert.True(t, strings.Contains(s, `<div class="verdict missed" data-run="Chrome&#39;s verdict">`), "the miss's verdict box is not marked missed")
	assert.True(t, strings.Contains(s, "replay miss: the cassette has no answer (Chrome got the replay&#39;s 599)"), "the miss's verdict does not say miss")
	assert.False(t, strings.Contains(s, `<span class="status">0</span>`), "the unrecorded request is shown as answered with 0")
	assert.True(t, strings.Contains(s, `<div class="unrecorded">not in the cassette (replay miss)</div>`), "the unrecorded request is not said to be missing from the cassette")
}

// TestJUnitMissIsNotAVerdict: the <system-out> of a replay miss says miss,
// not "verdict: allowed 599".
func TestJUnitMissIsNotAVerdict(t *testing.T) {
	missed := checks.Verdict{Allowed: true, Status: 599, ReadableHeaders: []string{"content-type", "x-corsvcr-miss"}}
	run := &vcr.Run{Results: []vcr.Result{{Name: "gone", Verdicts: checks.Verdicts{missed}, Misses: []string{"replay: no recorded interaction for GET http://localhost:8000/zzz"}}}}
	var b bytes.Buffer
	require.NoError(t, report.JUnit(&b, report.Run{Report: vcr.NewReport(run, "c.yaml")}))
	suites, err := junit.Ingest(b.Bytes())
	require.NoError(t, err)
	require.Len(t, suites[0].Tests, 1)
	assert.Equal(t, "verdict: replay miss: the cassette has no answer (Chrome got the replay's 599)\n", suites[0].Tests[0].SystemOut)
}

// TestGitHubAnnotationsWorkspacePath: an annotation's file is relative to
// the repository root ($GITHUB_WORKSPACE) however --checks was given, from
// a subdirectory or as an absolute path; it used to be the path as given,
// which GitHub could not place on the diff ("cors-checks.yaml" for
// api/cors-checks.yaml, run from api/).
func TestGitHubAnnotationsWorkspacePath(t *testing.T) {
	ws := t.TempDir()
	api := filepath.Join(ws, "services", "api")
	require.NoError(t, os.MkdirAll(api, 0o755))
	t.Setenv("GITHUB_WORKSPACE", ws)
	t.Chdir(api)
	run := &vcr.Run{Results: []vcr.Result{{Name: "a", Error: "boom"}}}
	annotation := func(checksPath string) string {
		var b bytes.Buffer
		require.NoError(t, report.GitHubAnnotations(&b, report.Run{Report: vcr.NewReport(run, ""), ChecksPath: checksPath}))
		return b.String()
	}
	assert.Equal(t, "::error file=services/api/cors-checks.yaml,title=corsvcr%3A a error::error: boom\n", annotation("cors-checks.yaml"), "relative to a subdirectory")
	assert.Equal(t, "::error file=services/api/ci/cors-checks.yaml,title=corsvcr%3A a error::error: boom\n", annotation(filepath.Join(api, "ci", "cors-checks.yaml")), "absolute")
	assert.Equal(t, "::error file=services/cors-checks.yaml,title=corsvcr%3A a error::error: boom\n", annotation("../cors-checks.yaml"))
	outside := filepath.Join(t.TempDir(), "cors-checks.yaml")
	assert.Equal(t, "::error file="+strings.ReplaceAll(outside, ":", "%3A")+",title=corsvcr%3A a error::error: boom\n", annotation(outside), "outside the workspace: as given")
}
