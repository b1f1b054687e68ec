package report_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/joshdk/go-junit"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/corsvcr/corsvcr/browsercheck"
	"github.com/corsvcr/corsvcr/cassettes"
	"github.com/corsvcr/corsvcr/checks"
	"github.com/corsvcr/corsvcr/internal/sampleapi"
	"github.com/corsvcr/corsvcr/report"
	"github.com/corsvcr/corsvcr/vcr"
)

// browser is the Chrome the HTML report is looked at in, shared by the
// package's tests.
var browser *browsercheck.Browser

func TestMain(m *testing.M) { os.Exit(testMain(m)) }

func testMain(m *testing.M) int {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	b, err := browsercheck.New(ctx, browsercheck.Config{Timeout: 20 * time.Second})
	cancel()
	if err != nil {
		// A missing browser is a failure, never a skip: `make test`
		// installs one.
		fmt.Fprintln(os.Stderr, "FAIL: start chrome:", err)
		return 1
	}
	browser = b
	code := m.Run()
	if err := browser.Close(); err != nil {
		fmt.Fprintln(os.Stderr, "FAIL: close chrome:", err)
		code = 1
	}
	// Every Chrome of the tests (the inspecting one, the runs' ones) is
	// gone with its profile directory.
	if left, _ := filepath.Glob(filepath.Join(os.TempDir(), "corsvcr-chrome-"+strconv.Itoa(os.Getpid())+"-*")); len(left) > 0 {
		fmt.Fprintln(os.Stderr, "FAIL: leaked temp dirs:", left)
		code = 1
	}
	return code
}

// xssName and xssValue are what a hostile check file could write: they
// must be shown as text, never run.
const (
	xssName  = `<script>window.__xss=1</script>`
	xssValue = `"><img src=x onerror="window.__xss=2">`
)

// recorded are the checks recorded live from the sample API; replayed
// adds one the cassette lacks, a replay miss, and expects the wrong
// verdict of another, a failure.
var recorded = `version: 1
page: http://localhost:8080
checks:
  - name: chat-wildcard-with-credentials
    request:
      url: http://localhost:8001/messages
      credentials: include
    expect:
      allowed: false
  - name: expose-total-count
    request:
      url: http://localhost:8000/api/v1/items
    expect:
      allowed: true
      status: 200
  - name: '` + xssName + `'
    request:
      url: http://localhost:8001/messages
      headers: {X-Evil: '` + strings.ReplaceAll(xssValue, `'`, `''`) + `'}
  - name: login-then-read
    steps:
      - request: {url: http://localhost:8000/api/v1/items}
      - request: {url: http://localhost:8002/api/health}
        expect: {allowed: false, cors_error: MissingAllowOriginHeader}
`

var replayed = strings.Replace(recorded, "    expect:\n      allowed: false\n", "    expect:\n      allowed: true\n", 1) + `  - name: never-recorded
    request:
      url: http://localhost:8000/api/v1/never-recorded
`

// real is a recording of the sample API and a replay of it, run once for
// the package's tests.
type real struct {
	live, replay *vcr.Run
	file         *checks.File
	cassette     *cassettes.Cassette
}

var (
	realOnce sync.Once
	realRuns real
	realErr  error
)

func realRun(t *testing.T) real {
	t.Helper()
	realOnce.Do(func() { realRuns, realErr = runReal() })
	require.NoError(t, realErr)
	return realRuns
}

func runReal() (real, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return real{}, err
	}
	api := &http.Server{Handler: sampleapi.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go api.Serve(ln)
	defer api.Close()
	ups := map[string]string{}
	for _, h := range sampleapi.Hosts {
		ups[h] = ln.Addr().String()
	}
	r, err := vcr.New(vcr.Config{Upstreams: ups})
	if err != nil {
		return real{}, err
	}
	recFile, err := checks.Parse("recorded.yaml", []byte(recorded))
	if err != nil {
		return real{}, err
	}
	live, err := r.Record(ctx, recFile)
	if err != nil {
		return real{}, err
	}
	api.Close()
	file, err := checks.Parse("testdata/cors-checks.yaml", []byte(replayed))
	if err != nil {
		return real{}, err
	}
	rep, err := r.Replay(ctx, file, vcr.Replay{Cassette: live.Cassette})
	if err != nil {
		return real{}, err
	}
	return real{live: live, replay: rep, file: file, cassette: live.Cassette}, nil
}

// artifacts is where tests keep what people may want to look at.
func artifacts(t *testing.T) string {
	t.Helper()
	dir := filepath.Join("..", "build", "test-artifacts")
	require.NoError(t, os.MkdirAll(dir, 0o755))
	return dir
}

func (r real) run() report.Run {
	live := vcr.NewReport(r.live, "")
	return report.Run{
		Report:     vcr.NewReport(r.replay, "testdata/cors.yaml"),
		Checks:     r.file,
		ChecksPath: "testdata/cors-checks.yaml",
		Lines:      checks.Lines([]byte(replayed)),
		Cassette:   r.cassette,
		Live:       &live,
		Name:       "corsvcr check",
		Browser:    r.replay.Browser,
	}
}

// domProbe collects what a reader of the report sees.
const domProbe = `(() => {
  const all = (root, s) => Array.from(root.querySelectorAll(s));
  return {
    total: document.getElementById("summary").dataset.total,
    counts: Object.fromEntries(all(document, "[data-count]").map(e => [e.dataset.count, e.querySelector("b").textContent])),
    checks: all(document, "section.check").map(s => ({
      name: s.querySelector(".name").textContent,
      status: s.dataset.status,
      decides: all(s, "tr.decides").map(tr => tr.closest(".exchange").dataset.kind + " " + tr.querySelector(".hname").textContent + ": " + tr.querySelector(".hval").textContent),
      kinds: all(s, ".exchange").map(e => e.dataset.kind),
      console: all(s, ".console").map(e => e.textContent),
      runs: all(s, ".verdict").map(e => e.dataset.run),
      problems: all(s, "ul.problems li").map(e => e.textContent),
      fixes: all(s, ".fixes li").map(e => e.textContent),
      why: all(s, ".why").map(e => e.textContent),
      requestHeaders: all(s, ".exchange .cols > div:first-child td.hval").map(e => e.textContent),
    })),
    xss: window.__xss === undefined ? null : window.__xss,
    images: document.images.length,
    scripts: document.scripts.length,
    external: all(document, "link,[src],[href]").length,
  };
})()`

type probe struct {
	Total  string
	Counts map[string]string
	Checks []struct {
		Name, Status                                        string
		Decides, Kinds, Console, Runs, Problems, Fixes, Why []string
		RequestHeaders                                      []string
	}
	XSS      any
	Images   int
	Scripts  int
	External int
}

// TestHTMLInChrome renders a real recording and replay of the sample API
// and looks at it in headless Chrome: the counts, the sequence of
// exchanges, the header that decided a blocked verdict highlighted,
// Chrome's console message, live and replay side by side, no error in the
// page's console, and hostile names and header values shown as text.
func TestHTMLInChrome(t *testing.T) {
	rr := realRun(t)
	var b bytes.Buffer
	require.NoError(t, report.HTML(context.Background(), &b, rr.run()))
	dir := artifacts(t)
	page := filepath.Join(dir, "report.html")
	require.NoError(t, os.WriteFile(page, b.Bytes(), 0o644))
	abs, err := filepath.Abs(page)
	require.NoError(t, err)

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	p, err := browser.Inspect(ctx, "file://"+abs, domProbe)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "report.png"), p.Screenshot, 0o644))
	t.Logf("report: %s, screenshot: %s", page, filepath.Join(dir, "report.png"))

	assert.Empty(t, p.Errors(), "the page's console has errors")
	var got probe
	require.NoError(t, json.Unmarshal(p.Value, &got), "%s", p.Value)

	assert.Equal(t, "5", got.Total)
	assert.Equal(t, map[string]string{"passed": "3", "failed": "1", "missed": "1", "error": "0", "not-run": "0", "differed": "0"}, got.Counts)
	require.Len(t, got.Checks, 5)
	names := []string{}
	for _, c := range got.Checks {
		names = append(names, c.Name)
	}
	assert.Equal(t, []string{"chat-wildcard-with-credentials", "expose-total-count", xssName, "login-then-read", "never-recorded"}, names, "check-file order, names as text")

	chat := got.Checks[0]
	assert.Equal(t, "failed", chat.Status)
	assert.Equal(t, []string{"actual Access-Control-Allow-Origin: *"}, chat.Decides, "the header that decided the verdict is highlighted")
	assert.Equal(t, []string{"actual"}, chat.Kinds)
	require.Len(t, chat.Console, 2, "live and replay")
	assert.Contains(t, chat.Console[1], "must not be the wildcard '*' when the request's credentials mode is 'include'")
	assert.Equal(t, []string{"live", "replay"}, chat.Runs, "live and replay side by side")
	assert.Contains(t, chat.Problems, "allowed: want true, got false")
	require.NotEmpty(t, chat.Fixes)
	assert.Contains(t, chat.Fixes[0], "set Access-Control-Allow-Origin: http://localhost:8080")
	require.NotEmpty(t, chat.Why)

	assert.Equal(t, "passed", got.Checks[1].Status)
	assert.Empty(t, got.Checks[1].Decides, "an allowed check has no deciding header")

	xss := got.Checks[2]
	assert.Equal(t, []string{"preflight", "actual"}, xss.Kinds[:2], "a custom header is preflighted: %v", xss.Kinds)
	assert.Contains(t, xss.RequestHeaders, xssValue, "the header value is shown as text")
	assert.Nil(t, got.XSS, "a value from the check file ran as script")
	assert.Equal(t, 0, got.Images, "a value from the check file became an element")
	assert.Equal(t, 1, got.Scripts)
	assert.Equal(t, 0, got.External, "the page loads nothing")

	steps := got.Checks[3]
	assert.Equal(t, []string{"actual", "actual"}, steps.Kinds, "one exchange per step")
	assert.Equal(t, []string{"actual Access-Control-Allow-Origin: (missing)"}, steps.Decides, "a missing header is shown as missing")

	miss := got.Checks[4]
	assert.Equal(t, "missed", miss.Status)
	require.NotEmpty(t, miss.Problems)
	assert.Contains(t, miss.Problems[0], "replay miss: replay: no recorded interaction for GET http://localhost:8000/api/v1/never-recorded")
	assert.Equal(t, []string{"replay"}, miss.Runs[1:], "no live run of a check recorded later")
}

// TestJUnitOfARealRun reads the JUnit XML of a real replay with a JUnit
// parser CI tools use (github.com/joshdk/go-junit): one test per check,
// statuses, the failure's expected vs got and console message, the miss as
// an error, and each check's duration.
func TestJUnitOfARealRun(t *testing.T) {
	rr := realRun(t)
	var b bytes.Buffer
	require.NoError(t, report.JUnit(&b, rr.run()))
	require.NoError(t, os.WriteFile(filepath.Join(artifacts(t), "junit.xml"), b.Bytes(), 0o644))

	suites, err := junit.Ingest(b.Bytes())
	require.NoError(t, err)
	require.Len(t, suites, 1)
	s := suites[0]
	assert.Equal(t, junit.Totals{Tests: 5, Passed: 3, Failed: 1, Error: 1, Duration: s.Totals.Duration}, s.Totals)
	assert.Positive(t, s.Totals.Duration, "the suite's time")
	byName := map[string]junit.Test{}
	for _, tc := range s.Tests {
		byName[tc.Name] = tc
		assert.Positive(t, tc.Duration, "check %q has its time", tc.Name)
		assert.Equal(t, "corsvcr.cors-checks", tc.Classname)
	}
	chat := byName["chat-wildcard-with-credentials"]
	assert.Equal(t, junit.StatusFailed, chat.Status)
	require.Error(t, chat.Error)
	assert.Equal(t, "allowed: want true, got false", chat.Message)
	assert.Contains(t, chat.Error.Error(), "console: Access to fetch at 'http://localhost:8001/messages'")
	assert.Contains(t, chat.Error.Error(), "why: ")
	assert.Equal(t, "4", chat.Properties["line"])
	assert.Equal(t, "testdata/cors-checks.yaml", chat.Properties["file"])

	miss := byName["never-recorded"]
	assert.Equal(t, junit.StatusError, miss.Status)
	require.IsType(t, junit.Error{}, miss.Error)
	assert.Equal(t, "replay-miss", miss.Error.(junit.Error).Type)
	assert.Contains(t, miss.Message, "replay miss: replay: no recorded interaction for GET http://localhost:8000/api/v1/never-recorded")

	steps := byName["login-then-read"]
	assert.Equal(t, junit.StatusPassed, steps.Status)
	assert.Contains(t, steps.SystemOut, "step 2: verdict: blocked MissingAllowOriginHeader")
	assert.Equal(t, junit.StatusPassed, byName[xssName].Status)
}
