package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/corsvcr/corsvcr/cassettes"
	"github.com/corsvcr/corsvcr/checks"
	"github.com/corsvcr/corsvcr/internal/atomicfile"
	"github.com/corsvcr/corsvcr/internal/demo"
	"github.com/corsvcr/corsvcr/report"
	"github.com/corsvcr/corsvcr/vcr"
)

// reportFlags are --junit and --report, the same on record, check, demo
// and merge.
type reportFlags struct {
	junit string
	html  string
}

func (f *reportFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.junit, "junit", "", "also write the results as JUnit XML to this file (one test case per check)")
	fs.StringVar(&f.html, "report", "", "also write a self-contained HTML report to this file (per check: the exchanges Chrome had, the header that decided, the fix)")
}

// reportInput is what a command knows of its run for the report files.
type reportInput struct {
	name       string // the command: "corsvcr check"
	run        *vcr.Run
	live       *vcr.Run // demo: the live run beside the replay
	file       *checks.File
	checksPath string
	cassette   string              // the cassette's path, "" for none
	cas        *cassettes.Cassette // shown in the HTML report; nil for none
	secrets    secretFlags
	notRunWhy  string // report.Run.NotRunWhy
}

// write writes the files the flags ask for and, under GitHub Actions
// (GITHUB_ACTIONS=true), an error annotation per check that did not pass,
// on stderr. The cassette shown in the HTML report is a copy redacted as a
// saved cassette is; when secrets remain in it (or it cannot be copied),
// the report shows no exchange rather than a secret. With --keep-secrets
// the report files are private (mode 0600), as the cassette is.
func (f reportFlags) write(ctx context.Context, in reportInput, stderr io.Writer) error {
	run := f.run(in)
	var errs []error
	if report.InGitHubActions() {
		errs = append(errs, report.GitHubAnnotations(stderr, run))
	}
	errs = append(errs, f.writeFiles(ctx, run, in))
	return joinErrors(errs...)
}

// run is the run the report files describe.
func (f reportFlags) run(in reportInput) report.Run {
	run := report.Run{Report: vcr.NewReport(in.run, in.cassette), Checks: in.file, ChecksPath: in.checksPath, Name: in.name, Browser: in.run.Browser, NotRunWhy: in.notRunWhy}
	if in.checksPath != "" {
		// The file was read a moment ago; a line is a pointer, not a must.
		run.Lines, _ = checks.LoadLines(in.checksPath)
	}
	if in.live != nil {
		live := vcr.NewReport(in.live, "")
		run.Live = &live
		if run.Browser == "" {
			run.Browser = in.live.Browser
		}
	}
	return run
}

// files writes the files the flags ask for, atomically.
func (f reportFlags) files(ctx context.Context, in reportInput) error {
	return f.writeFiles(ctx, f.run(in), in)
}

// writeFiles writes the files the flags ask for about run, atomically.
func (f reportFlags) writeFiles(ctx context.Context, run report.Run, in reportInput) error {
	var errs []error
	private := atomicfile.Options{Private: in.secrets.keep}
	if f.junit != "" {
		var b bytes.Buffer
		if err := report.JUnit(&b, run); err != nil {
			errs = append(errs, err)
		} else if err := writeReportFile("--junit", f.junit, b.Bytes(), private); err != nil {
			errs = append(errs, err)
		}
	}
	if f.html != "" {
		if in.cas != nil {
			run.Cassette = reportCassette(in.cas, in.secrets)
			if run.Cassette == nil {
				run.NoExchanges = "not shown: the cassette still holds what looks like a secret after redaction (see --redact-names)"
			}
		}
		var b bytes.Buffer
		if err := report.HTML(ctx, &b, run); err != nil {
			errs = append(errs, err)
		} else if err := writeReportFile("--report", f.html, b.Bytes(), private); err != nil {
			errs = append(errs, err)
		}
	}
	return joinErrors(errs...)
}

// writeReportFile writes a file a flag names, atomically, creating its
// directory as CI steps expect of an output path (--junit
// build/cors-junit.xml in a fresh clone). An error names the flag and the
// path as given, not the temporary file the write went through.
func writeReportFile(flagName, path string, data []byte, opts atomicfile.Options) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("%s %q: %w", flagName, path, pathCause(err))
	}
	if err := atomicfile.WriteFile(path, data, opts); err != nil {
		return fmt.Errorf("%s %q: %w", flagName, path, pathCause(err))
	}
	return nil
}

// pathCause returns what failed of a file operation without the path it
// failed on (which may be a temporary file beside the one the user named):
// "open: permission denied".
func pathCause(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s: %w", pe.Op, pe.Err)
	}
	return err
}

// joinedErrors is errors.Join on one line: the command prints an error
// after "corsvcr: ", and a second line would lack it.
type joinedErrors []error

func (e joinedErrors) Error() string {
	var parts []string
	for _, err := range e {
		parts = append(parts, err.Error())
	}
	return strings.Join(parts, "; ")
}

func (e joinedErrors) Unwrap() []error { return e }

// joinErrors joins the non-nil errs on one line; nil if there are none.
func joinErrors(errs ...error) error {
	var out joinedErrors
	for _, err := range errs {
		if err != nil {
			out = append(out, err)
		}
	}
	switch len(out) {
	case 0:
		return nil
	case 1:
		return out[0]
	}
	return out
}

// reportCassette returns a copy of cas fit to show in a report file:
// redacted and scanned as a cassette about to be saved (vcr.Protect), as
// recorded with --keep-secrets, or nil when a secret remains.
func reportCassette(cas *cassettes.Cassette, sec secretFlags) *cassettes.Cassette {
	data, err := cassettes.Encode(cas)
	if err != nil {
		return nil
	}
	cp, err := cassettes.Decode("report", data)
	if err != nil {
		return nil
	}
	if sec.keep {
		return cp
	}
	if err := vcr.Protect("the HTML report", cp, vcr.SaveOptions{RedactNames: sec.names}); err != nil {
		return nil
	}
	return cp
}

// demo writes the report files of a demo: its replay, with the live run
// beside it, of the demo's checks (those sel selects).
func (f reportFlags) demo(ctx context.Context, rep *demo.Report, sel *regexp.Regexp, stderr io.Writer) error {
	file, err := checks.Load(rep.ChecksPath)
	if err != nil {
		return err
	}
	if sel != nil {
		if file, err = file.Select(sel); err != nil {
			return err
		}
	}
	return f.write(ctx, reportInput{name: "corsvcr demo", run: rep.Replay, live: rep.Live, file: file, checksPath: rep.ChecksPath, cassette: rep.CassettePath, cas: rep.Replay.Cassette}, stderr)
}
