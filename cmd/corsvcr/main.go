// Command corsvcr records real browser CORS traffic into cassettes, replays
// it offline and reports headless Chrome's own verdict on each check.
//
// Usage:
//
//	corsvcr record --checks F --cassette OUT [--run REGEXP] [--shard I/N] [--browser ws://…|http://HOST:PORT] [--listen HOST:PORT] [--upstream HOST[:PORT]=ADDR]... [--ca-dir DIR] [--save-incomplete] [--json]
//	corsvcr record --url PAGE --cassette OUT --checks-out F [--idle 500ms] [--after-load JS] [--name N] [--upstream …]
//	corsvcr check  --checks F [--cassette C] [--run REGEXP] [--shard I/N] [--browser ws://…|http://HOST:PORT] [--listen HOST:PORT] [--mode replay|record-missing] [--strict] [--save-incomplete] [--json]
//	corsvcr serve  --cassette C [--listen 127.0.0.1:PORT] [--host HOST:PORT]
//	corsvcr proxy  --cassette C --mode record|replay|record-missing [--listen 127.0.0.1:PORT] [--record-host HOST:PORT]... [--upstream HOST[:PORT]=ADDR]...
//	corsvcr import FILE.har -o CASSETTE [--checks-out CHECKS] [--map-origin FROM=TO]...
//	corsvcr explain --cassette C [--checks F] [--apply --out FIXED.yaml]
//	corsvcr export CASSETTE -o FILE.har
//	corsvcr demo   [--out DIR] [--run REGEXP] [--browser ws://…|http://HOST:PORT] [--listen HOST:PORT] [--json]
//	corsvcr merge  [--checks F] [-o MERGED.json] SHARD.json...
//	corsvcr ca     [--ca-dir DIR] [--json]
//	corsvcr version
//
// Exit codes: 0 every expectation holds, 1 harness failure (a network
// error, a failed exchange with a server, an interrupted run included),
// 2 usage, 3 a verdict differs from its expectation, 4 replay miss.
//
// A recording with failed exchanges, or an interrupted one, writes no
// cassette (an existing one stays unchanged) unless --save-incomplete;
// check --mode record-missing appends the exchanges it recorded completely
// even then. The first SIGINT or SIGTERM finishes up (bounded); a second
// one kills Chrome's process tree and exits at once with 130 (SIGINT).
//
// --json prints a vcr.Report (record, check) or a demo report, described by
// docs/report.schema.json (schema_version 1). record, check and demo also
// write JUnit XML (--junit F) and an HTML report (--report F.html), and,
// under GitHub Actions (GITHUB_ACTIONS=true), an error annotation per
// failing check on stderr; merge combines the JSON reports of shards.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/corsvcr/corsvcr/browsercheck"
	"github.com/corsvcr/corsvcr/vcr"
)

// version is the corsvcr version written into cassettes.
const version = "0.1.0"

// Exit codes.
const (
	exitOK       = 0
	exitHarness  = 1
	exitUsage    = 2
	exitMismatch = 3
	exitMiss     = 4
)

const usage = `corsvcr tests CORS the way Chrome sees it: record real traffic, replay it offline.

Usage:
  corsvcr record  --checks F --cassette OUT   run checks live through the recording proxy, write a cassette
  corsvcr record  --url PAGE --cassette OUT --checks-out F
                                              load a real page through the recording proxy, write a cassette and a page-visit check
  corsvcr check   --checks F [--cassette C]   run checks against a cassette (or live without one)
  corsvcr serve   --cassette C                serve a cassette to other clients
  corsvcr proxy   --cassette C --mode M       record or replay any browser or E2E runner (record|replay|record-missing)
  corsvcr import  FILE.har -o CASSETTE        turn a HAR file into a cassette (and --checks-out CHECKS)
  corsvcr explain --cassette C [--checks F]   why Chrome blocks each exchange, and the fix (--apply --out F)
  corsvcr export  CASSETTE -o FILE.har        write a cassette as a HAR 1.2 file
  corsvcr demo                                record the built-in sample API, replay it offline, compare
  corsvcr merge   SHARD.json...               merge the JSON reports of sharded runs (-o, --junit, --report)
  corsvcr ca                                  show the HTTPS certificate authority, its pin and how to trust it
  corsvcr version                             print the version

Run 'corsvcr COMMAND -h' for a command's flags.

Exit codes: 0 all expectations hold, 1 harness failure, 2 usage,
            3 a verdict differs from its expectation, 4 replay miss.
`

// exitError carries an exit code out of a command.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func usageErrorf(format string, args ...any) error {
	return &exitError{code: exitUsage, err: fmt.Errorf(format, args...)}
}

func main() {
	// Chrome's helper processes orphaned when Chrome stops are reparented
	// to corsvcr, which reaps them (browsercheck.Browser.Close), instead of
	// to a PID 1 that may never reap them (a container without init).
	becomeSubreaper()
	ctx, cancel := context.WithCancel(context.Background())
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go onSignals(sigs, cancel, os.Stderr, func(code int) {
		browsercheck.Abort() // never leave Chrome running
		os.Exit(code)
	})
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	os.Exit(code)
}

// onSignals handles SIGINT and SIGTERM: the first cancels the run, which
// then finishes up (the checks stop, the recorder and the replay close
// within their bounds, the results are printed, what may be saved is); the
// second aborts at once through abort, with 128 + the signal number (130
// for Ctrl-C).
func onSignals(sigs <-chan os.Signal, cancel context.CancelFunc, stderr io.Writer, abort func(code int)) {
	<-sigs
	fmt.Fprintln(stderr, "interrupted: finishing up (Ctrl-C again to abort now)")
	cancel()
	sig := <-sigs
	code := 130
	if s, ok := sig.(syscall.Signal); ok {
		code = 128 + int(s)
	}
	fmt.Fprintf(stderr, "corsvcr: aborted (%v): Chrome killed, nothing more written\n", sig)
	abort(code)
}

// run executes one corsvcr invocation and returns its exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	cmds := map[string]func(context.Context, []string, io.Writer, io.Writer) error{
		"record":  cmdRecord,
		"check":   cmdCheck,
		"serve":   cmdServe,
		"proxy":   cmdProxy,
		"import":  cmdImport,
		"explain": cmdExplain,
		"export":  cmdExport,
		"demo":    cmdDemo,
		"merge":   cmdMerge,
		"ca":      cmdCA,
		"version": func(context.Context, []string, io.Writer, io.Writer) error {
			fmt.Fprintln(stdout, "corsvcr", version)
			return nil
		},
	}
	name := args[0]
	switch name {
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, usage)
		return exitOK
	}
	cmd, ok := cmds[name]
	if !ok {
		fmt.Fprintf(stderr, "corsvcr: unknown command %q\n\n%s", name, usage)
		return exitUsage
	}
	err := cmd(ctx, args[1:], stdout, stderr)
	if err == nil {
		return exitOK
	}
	code := exitHarness
	var ee *exitError
	switch {
	case errors.As(err, &ee):
		code = ee.code
		if ee.err == nil {
			return code // the table or JSON already says why
		}
	case errors.Is(err, vcr.ErrStrictOriginMap):
		code = exitUsage
	}
	fmt.Fprintln(stderr, "corsvcr:", err)
	return code
}

// newLogger is the one place logging is configured.
func newLogger(w io.Writer, verbose bool) *slog.Logger {
	level := slog.LevelWarn
	if verbose {
		level = slog.LevelDebug
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}))
}
