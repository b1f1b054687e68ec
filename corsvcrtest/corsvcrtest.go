// Package corsvcrtest runs corsvcr check files from Go tests, as httptest
// runs HTTP servers for them: one call replays a cassette in real headless
// Chrome and turns each check into a subtest named after it.
//
//	func TestCORS(t *testing.T) {
//		corsvcrtest.Run(t, "testdata/cors-checks.yaml", "testdata/cors.yaml")
//	}
//
// A check fails when Chrome's verdict breaks one of its expect: fields; the
// message is a diff in go-cmp's style, (-want +got), one field a line,
// followed by Chrome's verdict and
// its console line. A replay miss (a request the cassette does not hold)
// fails with the miss, naming the closest recorded interaction.
//
// # Record modes
//
// Like go-vcr's, chosen by the -corsvcr.record flag of the test binary, or
// else the environment variable CORSVCR_RECORD, or Options.Mode:
//
//   - replay (default; also "", "0", "false"): replay the cassette, never
//     touch the network; a missing cassette fails the test with the command
//     that records it.
//   - record ("1", "true", "all"): run the checks live against the servers
//     (Options.Config.Upstreams maps the names the checks use to where they
//     listen) and rewrite the cassette, secrets redacted as by corsvcr record.
//   - record-missing ("missing"): replay what the cassette holds, record
//     and append what it lacks (the whole file when there is no cassette).
//
// For example: CORSVCR_RECORD=1 go test ./... or go test -run TestCORS
// -args -corsvcr.record=missing.
//
// go test -run 'TestCORS/login' reports the login check alone, but every
// check of the file runs: a recording holds the whole file.
//
// # One browser per test binary
//
// The first Run starts one headless Chrome (no proxy flags), which every Run
// of the test binary shares: each Run gets a browser context of its own
// with its own proxy (browsercheck.Config.Parent), so nothing leaks from
// one Run to another. Main, called from TestMain, closes it when the tests
// end; without Main, each Run holds a reference in the cleanup of its test
// and the browser closes when the last Run still running ends (tests that
// run one after another then each start one). Either way no Chrome process
// or temporary directory outlives the tests. Check files naming https URLs
// need corsvcr's CA pinned at Chrome's launch, so their Runs start a Chrome
// of their own.
//
// A missing browser fails the test with the command that installs one:
// sudo apt-get install -y chromium-headless-shell (or make browser in the
// corsvcr repository); CORSVCR_CHROME names another binary.
package corsvcrtest

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/corsvcr/corsvcr/browsercheck"
	"github.com/corsvcr/corsvcr/cassettes"
	"github.com/corsvcr/corsvcr/checks"
	"github.com/corsvcr/corsvcr/replay"
	"github.com/corsvcr/corsvcr/vcr"
)

// Mode is a record mode.
type Mode int

const (
	// ModeAuto reads the mode from -corsvcr.record, else $CORSVCR_RECORD,
	// else uses ModeReplay.
	ModeAuto Mode = iota
	// ModeReplay replays the cassette and never touches the network.
	ModeReplay
	// ModeRecord runs the checks live and rewrites the cassette.
	ModeRecord
	// ModeRecordMissing replays the cassette and records what it lacks.
	ModeRecordMissing
)

func (m Mode) String() string {
	switch m {
	case ModeReplay:
		return "replay"
	case ModeRecord:
		return "record"
	case ModeRecordMissing:
		return "record-missing"
	}
	return "auto"
}

// ParseMode parses a mode as -corsvcr.record and CORSVCR_RECORD spell it.
func ParseMode(s string) (Mode, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "0", "false", "replay", "none":
		return ModeReplay, nil
	case "1", "true", "record", "all":
		return ModeRecord, nil
	case "missing", "record-missing", "new":
		return ModeRecordMissing, nil
	}
	return ModeAuto, fmt.Errorf("corsvcrtest: record mode %q: want replay (default), record (1, true, all) or record-missing (missing)", s)
}

// EnvRecord is the environment variable that chooses the record mode when
// the -corsvcr.record flag is not given.
const EnvRecord = "CORSVCR_RECORD"

var recordFlag = flag.String("corsvcr.record", "", "corsvcrtest record mode: replay (default), record (1), record-missing (missing); overrides $"+EnvRecord)

// modeFromEnv returns the mode -corsvcr.record or $CORSVCR_RECORD chooses.
func modeFromEnv() (Mode, string, error) {
	if flag.Parsed() && *recordFlag != "" {
		m, err := ParseMode(*recordFlag)
		return m, "-corsvcr.record", err
	}
	m, err := ParseMode(os.Getenv(EnvRecord))
	return m, "$" + EnvRecord, err
}

// resolveMode returns m, or for ModeAuto the mode of the environment.
func resolveMode(m Mode) (Mode, error) {
	if m != ModeAuto {
		return m, nil
	}
	m, from, err := modeFromEnv()
	if err != nil {
		return m, fmt.Errorf("%w (from %s)", err, from)
	}
	return m, nil
}

// Options configure RunOptions and Results.
type Options struct {
	// Mode is the record mode; ModeAuto (the zero value) reads it from
	// -corsvcr.record or $CORSVCR_RECORD.
	Mode Mode
	// Config configures the run (vcr.Config): Chrome, Timeout, the
	// Upstreams that record modes dial, the CA directory. SharedBrowser is
	// set by corsvcrtest.
	Config vcr.Config
	// Strict makes a replayed request whose recorded answers are used up,
	// or whose headers or body match no recording, a miss (vcr.Replay.Strict).
	Strict bool
}

// Run runs the checks of the check file checksPath against the cassette
// cassettePath in the record mode of the environment (see the package
// documentation): each check is a subtest named after it that fails with
// the expectations Chrome's verdict broke, a replay miss or a harness error.
func Run(t *testing.T, checksPath, cassettePath string) {
	t.Helper()
	RunOptions(t, checksPath, cassettePath, Options{})
}

// RunOptions is Run with options.
func RunOptions(t *testing.T, checksPath, cassettePath string, opts Options) {
	t.Helper()
	// A mistyped mode is said before a browser starts (or is found
	// missing).
	mode, err := resolveMode(opts.Mode)
	if err != nil {
		t.Fatal(err)
	}
	opts.Mode = mode
	b, err := acquire(t, opts.Config.Chrome)
	if err != nil {
		t.Fatal(err)
	}
	opts.Config.SharedBrowser = b
	ctx := t.Context()
	if d, ok := t.Deadline(); ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, d)
		defer cancel()
	}
	run, mode, wrote, err := results(ctx, checksPath, cassettePath, opts)
	if err != nil {
		t.Fatal(err)
	}
	switch {
	case wrote:
		t.Logf("corsvcrtest: %s: %s mode: wrote %s", checksPath, mode, cassettePath)
	case mode != ModeReplay:
		t.Logf("corsvcrtest: %s: %s mode: nothing was missing, %s unchanged", checksPath, mode, cassettePath)
	}
	for _, res := range run.Results {
		t.Run(res.Name, func(t *testing.T) {
			t.Helper()
			if msg := Failure(res); msg != "" {
				t.Error(msg + recordHint(t, res))
			}
		})
	}
	if run.NotRun > 0 {
		t.Errorf("corsvcrtest: %s: %d checks did not run: %v", checksPath, run.NotRun, ctx.Err())
	}
}

// recordHint tells how to record what a replay missed.
func recordHint(t *testing.T, res vcr.Result) string {
	if len(res.Misses) == 0 {
		return ""
	}
	return fmt.Sprintf("\nrecord what is missing against the live servers: %s=missing go test -run %s", EnvRecord, shellQuote(runPattern(t.Name())))
}

// runPattern returns the go test -run pattern that selects the test named
// name (as testing.T.Name gives it) and no other: each level of the name,
// split at "/" as go test splits the pattern, anchored and with its regular
// expression metacharacters quoted (a check named "get (v2)" is not the
// group "(v2)").
func runPattern(name string) string {
	parts := strings.Split(name, "/")
	for i, p := range parts {
		parts[i] = "^" + regexp.QuoteMeta(p) + "$"
	}
	return strings.Join(parts, "/")
}

// shellQuote quotes s for a POSIX shell: in single quotes, a single quote
// of s closed, escaped and reopened.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// Results runs the checks of checksPath against cassettePath as Run does,
// without a testing.T: in the record mode of opts (ModeAuto: of the
// environment), in the shared browser (see Main), and writes the cassette
// in the record modes. The error is for harness failures only (no browser,
// an invalid file, a cassette not written); a check that fails is a Result
// whose Failure is not "".
func Results(ctx context.Context, checksPath, cassettePath string, opts Options) (*vcr.Run, error) {
	mode, err := resolveMode(opts.Mode)
	if err != nil {
		return nil, err
	}
	opts.Mode = mode
	b, release, err := acquireShared(opts.Config.Chrome)
	if err != nil {
		return nil, err
	}
	defer release()
	opts.Config.SharedBrowser = b
	run, _, _, err := results(ctx, checksPath, cassettePath, opts)
	return run, err
}

// results runs the file in the mode opts chooses and saves the cassette in
// the record modes; wrote says whether it did (record-missing writes only
// what was missing).
func results(ctx context.Context, checksPath, cassettePath string, opts Options) (run *vcr.Run, mode Mode, wrote bool, err error) {
	mode, err = resolveMode(opts.Mode)
	if err != nil {
		return nil, mode, false, err
	}
	file, err := checks.Load(checksPath)
	if err != nil {
		return nil, mode, false, err
	}
	r, err := vcr.New(opts.Config)
	if err != nil {
		return nil, mode, false, err
	}
	var cas *cassettes.Cassette
	if mode != ModeRecord {
		cas, err = cassettes.Load(cassettePath)
		switch {
		case errors.Is(err, os.ErrNotExist) && mode == ModeRecordMissing:
			mode = ModeRecord // nothing to replay: record it all
		case errors.Is(err, os.ErrNotExist):
			return nil, mode, false, fmt.Errorf("corsvcrtest: cassette %q does not exist; record it against the live servers: %s=1 go test (or -corsvcr.record=record)", cassettePath, EnvRecord)
		case err != nil:
			return nil, mode, false, err
		}
	}
	switch mode {
	case ModeRecord:
		run, err = r.Record(ctx, file)
	default:
		run, err = r.Replay(ctx, file, vcr.Replay{Cassette: cas, Strict: opts.Strict, RecordMissing: mode == ModeRecordMissing})
	}
	if err != nil {
		return nil, mode, false, err
	}
	wrote = mode == ModeRecord || mode == ModeRecordMissing && run.Added > 0
	if wrote {
		if err := vcr.SaveRun(cassettePath, run, vcr.SaveOptions{Logger: opts.Config.Logger}); err != nil {
			return nil, mode, false, fmt.Errorf("corsvcrtest: %w", err)
		}
	}
	return run, mode, wrote, nil
}

// Failure returns why the check of res failed, "" when it passed: a diff of
// the expectations it broke (-want +got) with Chrome's verdict and
// console line, the replay misses it caused, or the harness error.
func Failure(res vcr.Result) string {
	if res.Passed() {
		return ""
	}
	var b strings.Builder
	fmt.Fprintf(&b, "check %q: ", res.Name)
	switch {
	case res.Error != "":
		fmt.Fprintf(&b, "could not run: %s", res.Error)
	case len(res.Misses) > 0:
		fmt.Fprintf(&b, "%d replay %s: the cassette lacks a request Chrome sent", len(res.Misses), plural(len(res.Misses), "miss", "misses"))
		for _, m := range res.Misses {
			b.WriteString("\n  " + m)
		}
	case len(res.Mismatches) > 0:
		b.WriteString("Chrome's verdict breaks the expectation (-want +got):")
		for _, m := range res.Mismatches {
			k := m.Field
			if m.Step > 0 && len(res.Verdicts) > 1 {
				k = "step " + strconv.Itoa(m.Step) + " " + m.Field
			}
			fmt.Fprintf(&b, "\n  -%s: %s\n  +%s: %s", k, m.Want, k, m.Got)
		}
	default:
		b.WriteString("failed")
	}
	for _, u := range res.Upstream {
		b.WriteString("\n  upstream: " + u)
	}
	for i, v := range res.Verdicts {
		prefix := ""
		if len(res.Verdicts) > 1 {
			prefix = fmt.Sprintf("step %d ", i+1)
		}
		fmt.Fprintf(&b, "\n%sverdict: %s", prefix, verdictSummary(v))
		if v.Console != "" {
			fmt.Fprintf(&b, "\n%sconsole: %s", prefix, v.Console)
		}
	}
	if res.Why != "" {
		b.WriteString("\nwhy: " + res.Why)
	}
	return strings.TrimRight(b.String(), "\n")
}

// verdictSummary is vcr.Summary, but Chrome's verdict on the replay's
// answer to a miss (replay.MissStatus with replay.MissHeader) says so
// rather than "allowed 599": it says nothing of the server.
func verdictSummary(v checks.Verdict) string {
	if v.Allowed && v.Status == replay.MissStatus && slices.ContainsFunc(v.ReadableHeaders, func(h string) bool { return strings.EqualFold(h, replay.MissHeader) }) {
		return "replay miss (Chrome got the replay's " + strconv.Itoa(replay.MissStatus) + ", no recorded answer)"
	}
	return vcr.Summary(&v)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// The shared browsers, one per browser binary ("" for the default one).
var shared struct {
	mu       sync.Mutex
	browsers map[string]*browsercheck.Browser
	users    int  // Runs and Results in progress
	managed  bool // Main closes the browsers at the end
}

// startTimeout bounds the start of the shared browser.
const startTimeout = time.Minute

// acquire returns the shared browser for chrome, started if needed, and
// releases it in t's cleanup.
func acquire(t *testing.T, chrome string) (*browsercheck.Browser, error) {
	b, release, err := acquireShared(chrome)
	if err != nil {
		return nil, err
	}
	t.Cleanup(release)
	return b, nil
}

// acquireShared returns the shared browser for chrome, started if needed,
// and the func that releases it: the last release closes the browsers,
// unless Main manages them.
func acquireShared(chrome string) (*browsercheck.Browser, func(), error) {
	shared.mu.Lock()
	defer shared.mu.Unlock()
	b := shared.browsers[chrome]
	if b == nil {
		var err error
		b, err = startBrowser(chrome)
		if err != nil {
			return nil, nil, err
		}
		if shared.browsers == nil {
			shared.browsers = map[string]*browsercheck.Browser{}
		}
		shared.browsers[chrome] = b
	}
	shared.users++
	return b, sync.OnceFunc(func() {
		shared.mu.Lock()
		defer shared.mu.Unlock()
		shared.users--
		if shared.users == 0 && !shared.managed {
			closeLocked()
		}
	}), nil
}

// installHint is the command that installs a browser.
const installHint = "sudo apt-get install -y chromium-headless-shell (or make browser in the corsvcr repository); or set CORSVCR_CHROME to a Chrome or Chromium binary"

// startBrowser starts the shared browser, saying how to install one when
// none is found.
func startBrowser(chrome string) (*browsercheck.Browser, error) {
	if chrome == "" {
		if _, err := browsercheck.FindChrome(); err != nil {
			return nil, fmt.Errorf("corsvcrtest: no browser: %v\ninstall one: %s", err, installHint)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	b, err := browsercheck.New(ctx, browsercheck.Config{ExecPath: chrome})
	if err != nil {
		return nil, fmt.Errorf("corsvcrtest: start the browser: %w\ninstall one: %s", err, installHint)
	}
	return b, nil
}

// closeLocked closes the shared browsers; shared.mu is held.
func closeLocked() error {
	var errs []error
	for k, b := range shared.browsers {
		errs = append(errs, b.Close())
		delete(shared.browsers, k)
	}
	return errors.Join(errs...)
}

// Close closes the shared browser, for a TestMain that cannot call Main:
//
//	func TestMain(m *testing.M) {
//		code := m.Run()
//		if err := corsvcrtest.Close(); err != nil { … }
//		os.Exit(code)
//	}
//
// A later Run starts a new one.
func Close() error {
	shared.mu.Lock()
	defer shared.mu.Unlock()
	return closeLocked()
}

// Main runs the tests of m with one browser shared by all of them, closes
// it and exits; call it from TestMain:
//
//	func TestMain(m *testing.M) { corsvcrtest.Main(m) }
//
// A failure to close the browser (a process left behind) makes the test
// binary fail.
func Main(m *testing.M) {
	shared.mu.Lock()
	shared.managed = true
	shared.mu.Unlock()
	code := m.Run()
	shared.mu.Lock()
	shared.managed = false
	err := closeLocked()
	shared.mu.Unlock()
	if err != nil {
		fmt.Fprintln(os.Stderr, "corsvcrtest: close the shared browser:", err)
		if code == 0 {
			code = 1
		}
	}
	os.Exit(code)
}
