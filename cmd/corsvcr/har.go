package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/corsvcr/corsvcr/cassettes"
	"github.com/corsvcr/corsvcr/checks"
	"github.com/corsvcr/corsvcr/har"
	"github.com/corsvcr/corsvcr/internal/atomicfile"
	"github.com/corsvcr/corsvcr/internal/fetch"
	"github.com/corsvcr/corsvcr/vcr"
)

// originMapFlag is the repeatable --map-origin FROM=TO flag: declared
// mappings of recorded (production) origins to the origins the browser
// uses now.
type originMapFlag []cassettes.OriginMapping

func (m *originMapFlag) String() string {
	var parts []string
	for _, o := range *m {
		parts = append(parts, o.From+"="+o.To)
	}
	return strings.Join(parts, ",")
}

func (m *originMapFlag) Set(s string) error {
	from, to, ok := strings.Cut(s, "=")
	if !ok {
		return fmt.Errorf("%q is not FROM=TO, e.g. https://app.prod.example=http://localhost:5173", s)
	}
	for _, o := range []string{from, to} {
		if prob := fetch.OriginProblem(o); prob != "" {
			return fmt.Errorf("%q: %s", s, prob)
		}
	}
	for _, o := range *m {
		if o.From == from {
			return fmt.Errorf("%q: %q is already mapped", s, from)
		}
	}
	*m = append(*m, cassettes.OriginMapping{From: from, To: to})
	return nil
}

const mapOriginUsage = "FROM=TO: replay the recorded origin FROM as the origin TO the browser uses now: TO's requests match FROM's recordings and a served Access-Control-Allow-Origin FROM becomes TO (repeatable; recorded in the cassette meta; not with --strict)"

// announceOriginMap says on stderr which origin mapping the replay rp
// uses, if any: a mapping is never silent. (A strict replay refuses one:
// vcr reports vcr.ErrStrictOriginMap.)
func announceOriginMap(rp vcr.Replay, stderr io.Writer) {
	ms, fromCassette := rp.ActiveOriginMap()
	if len(ms) == 0 || rp.Strict {
		return
	}
	from := "--map-origin"
	if fromCassette {
		from = "the cassette's meta.origin_map"
	}
	fmt.Fprintf(stderr, "corsvcr: origin mapping active (from %s): %s; Origin and Access-Control-Allow-Origin are mapped on exact equality\n", from, vcr.DescribeOriginMap(ms))
}

// parseWithFile parses args into fs, taking one positional argument, the
// input file, before or after the flags.
func parseWithFile(fs *flag.FlagSet, args []string, stderr io.Writer, what string) (string, error) {
	var file string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		file, args = args[0], args[1:]
	}
	fs.SetOutput(stderr)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return "", &exitError{code: exitOK}
		}
		return "", &exitError{code: exitUsage}
	}
	rest := fs.Args()
	if file == "" && len(rest) > 0 {
		file, rest = rest[0], rest[1:]
	}
	if len(rest) > 0 {
		return "", usageErrorf("%s: unexpected argument %q", fs.Name(), rest[0])
	}
	if file == "" {
		return "", usageErrorf("%s: %s is required", fs.Name(), what)
	}
	return file, nil
}

func cmdImport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("import", flag.ContinueOnError)
	out := fs.String("o", "", "cassette to write")
	checksOut := fs.String("checks-out", "", "check file to write: one check per cross-origin request in the HAR")
	verbose := verboseFlag(fs)
	var maps originMapFlag
	fs.Var(&maps, "map-origin", "FROM=TO: the HAR's page origin FROM is TO when replaying, e.g. https://app.prod.example=http://localhost:5173 (repeatable; recorded in the cassette)")
	var sec secretFlags
	sec.register(fs)
	harPath, err := parseWithFile(fs, args, stderr, "the HAR file (corsvcr import FILE.har -o CASSETTE)")
	if err != nil {
		return err
	}
	if *out == "" {
		return usageErrorf("import: -o CASSETTE is required")
	}
	switch {
	case sameFile(harPath, *out):
		return usageErrorf("import: -o %q is the HAR file %q itself: the cassette would overwrite it; name another file", *out, harPath)
	case *checksOut != "" && sameFile(harPath, *checksOut):
		return usageErrorf("import: --checks-out %q is the HAR file %q itself: the check file would overwrite it; name another file", *checksOut, harPath)
	case *checksOut != "" && sameFile(*out, *checksOut):
		return usageErrorf("import: --checks-out %q and -o %q are the same file; name two files", *checksOut, *out)
	}
	log := newLogger(stderr, *verbose)
	res, err := vcr.ImportHAR(harPath, vcr.Import{
		Cassette: *out, Checks: *checksOut, OriginMap: maps, Save: sec.options(log, nil), Version: version,
	})
	if err != nil {
		if res != nil { // what was imported, then the refusal: nothing was written
			printImport(stdout, harPath, "", "", &res.Report, res.CookiesDropped, maps, nil)
		}
		return err
	}
	printImport(stdout, harPath, *out, *checksOut, &res.Report, res.CookiesDropped, maps, res.Checks)
	return nil
}

// printImport tells what the import did; out is "" when nothing was
// written.
func printImport(w io.Writer, harPath, out, checksOut string, rep *har.Report, dropped int, maps []cassettes.OriginMapping, file *checks.File) {
	creator := rep.Creator
	if creator == "" {
		creator = "unknown writer"
	}
	fmt.Fprintf(w, "imported %s (%s): %d entries, %d interactions, %d preflights\n", harPath, creator, rep.Entries, rep.Imported, rep.Preflights)
	if rep.NoPreflights() {
		fmt.Fprintln(w, "  no preflights: the HAR has none (Chrome DevTools and Playwright leave them out), so replay cannot reproduce a preflight failure;")
		fmt.Fprintln(w, "  run the checks once with --mode record-missing against the live servers to record the preflights")
	}
	unanswered := 0
	for _, s := range rep.Skipped {
		fmt.Fprintf(w, "  skipped entry %d %s %s: %s\n", s.Entry, oneLine(s.Method), oneLine(s.URL), oneLine(s.Reason))
	}
	for _, q := range rep.Requests {
		if q.Interaction < 0 {
			unanswered++
		}
	}
	for _, n := range rep.Notes {
		fmt.Fprintf(w, "  note: %s\n", oneLine(n))
	}
	if dropped > 0 {
		fmt.Fprintf(w, "  note: request Cookie dropped from %d interactions: a check starts with an empty cookie jar, so replay could never match them; their checks ask for credentials: include\n", dropped)
	}
	if len(maps) > 0 {
		fmt.Fprintf(w, "  origin mapping recorded in the cassette: %s\n", vcr.DescribeOriginMap(maps))
	}
	if out == "" {
		return
	}
	fmt.Fprintf(w, "wrote %s\n", out)
	if file != nil {
		fmt.Fprintf(w, "wrote %s: %d checks (no expectations: a HAR holds no CORS verdict; `corsvcr check` prints Chrome's)\n", checksOut, len(file.Checks))
		if unanswered > 0 {
			fmt.Fprintf(w, "  %d of them have no recorded answer (the browser blocked or failed them): record the answers once with\n", unanswered)
			fmt.Fprintf(w, "  corsvcr check --checks %s --cassette %s --mode record-missing\n", checksOut, out)
		}
	}
}

func cmdExport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("export", flag.ContinueOnError)
	out := fs.String("o", "", "HAR file to write")
	path, err := parseWithFile(fs, args, stderr, "the cassette (corsvcr export CASSETTE -o FILE.har)")
	if err != nil {
		return err
	}
	if *out == "" {
		return usageErrorf("export: -o FILE.har is required")
	}
	if sameFile(path, *out) {
		return usageErrorf("export: -o %q is the cassette %q itself: writing the HAR would overwrite it; name another file", *out, path)
	}
	cas, err := cassettes.Load(path)
	if err != nil {
		return err
	}
	data, err := har.Export(cas)
	if err != nil {
		return err
	}
	// A HAR of a private cassette (--keep-secrets) is as private.
	if err := atomicfile.WriteFile(*out, data, atomicfile.Options{Private: atomicfile.IsPrivate(path)}); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	fmt.Fprintf(stdout, "wrote %s: %d entries\n", *out, len(cas.Interactions))
	return nil
}

// sameFile reports whether the paths a and b name the same file: the same
// file once both exist (os.SameFile, symlinks followed), else the same
// cleaned absolute path (a file about to be created under two names).
func sameFile(a, b string) bool {
	sa, errA := os.Stat(a)
	sb, errB := os.Stat(b)
	if errA == nil && errB == nil {
		return os.SameFile(sa, sb)
	}
	absA, errA := filepath.Abs(a)
	absB, errB := filepath.Abs(b)
	return errA == nil && errB == nil && absA == absB
}
