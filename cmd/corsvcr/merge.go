package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/corsvcr/corsvcr/cassettes"
	"github.com/corsvcr/corsvcr/checks"
	"github.com/corsvcr/corsvcr/internal/atomicfile"
	"github.com/corsvcr/corsvcr/report"
	"github.com/corsvcr/corsvcr/vcr"
)

const mergeUsage = `corsvcr merge [--checks F] [-o MERGED.json] [--junit F.xml] [--report F.html] [--json] SHARD.json...

Merges the JSON reports of the shards of one run (each written by
'corsvcr check --json' or 'corsvcr record --json' on some of the checks of
one check file) into the report of the whole run: the checks in check-file
order (with --checks; else shard by shard), the summary recomputed, and the
exit code 'corsvcr check' would give for all of them. With --checks, a check
no shard ran counts as not run, so a shard whose report is missing fails the
merge (exit 1). A check in two shards, or one the check file lacks, is an
error (exit 2). Prints the table (or, with --json, the merged report);
-o writes the merged report, --junit and --report as on check. The HTML
report shows the exchanges of each check when --checks is given and the
shards name one cassette that can be read (or --cassette names it).
`

func cmdMerge(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("merge", flag.ContinueOnError)
	fs.Usage = func() { fmt.Fprint(stderr, mergeUsage); fs.PrintDefaults() }
	checksPath := fs.String("checks", "", "the check file the shards ran: orders the checks, counts the ones no shard ran as not run, gives JUnit and the HTML report their lines")
	out := fs.String("o", "", "write the merged JSON report (docs/report.schema.json) to this file")
	asJSON := fs.Bool("json", false, "print the merged report as JSON instead of the table")
	cassette := fs.String("cassette", "", "the cassette the shards replayed, for the HTML report's exchanges (default: the one the shards name)")
	var rf reportFlags
	rf.register(fs)
	fs.SetOutput(stderr)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return &exitError{code: exitOK}
		}
		return &exitError{code: exitUsage}
	}
	if fs.NArg() == 0 {
		return usageErrorf("merge: no shard reports given (corsvcr merge [--checks F] [-o MERGED.json] SHARD.json...)")
	}
	var file *checks.File
	if *checksPath != "" {
		f, err := checks.Load(*checksPath)
		if err != nil {
			return err
		}
		file = f
	}
	var shards []vcr.Report
	for _, p := range fs.Args() {
		rep, err := report.ReadReport(p)
		if err != nil {
			return err
		}
		shards = append(shards, rep)
	}
	merged, err := report.Merge(shards, file)
	if dup := (*report.DuplicateError)(nil); errors.As(err, &dup) {
		// Name the files: the positions of the error mean nothing to a
		// CI log, and the same report given twice is the usual cause.
		a, b := fs.Arg(dup.Shards[0]-1), fs.Arg(dup.Shards[1]-1)
		return usageErrorf("merge: check %q ran in two shards, in %q and in %q: the shards of one run split the checks (was a report given twice, or were the shards of different --shard counts?)", dup.Check, a, b)
	}
	if errors.Is(err, report.ErrDuplicate) || errors.Is(err, report.ErrUnknownCheck) {
		return &exitError{code: exitUsage, err: err}
	} else if err != nil {
		return err
	}
	run := &vcr.Run{Results: merged.Checks, NotRun: merged.Summary.NotRun}
	if err := writeResults(stdout, run, merged.Cassette, *asJSON); err != nil {
		return err
	}
	var errs []error
	if *out != "" {
		var b bytes.Buffer
		if err := writeJSON(&b, merged); err != nil {
			return err
		}
		if err := writeReportFile("merge: -o", *out, b.Bytes(), atomicfile.Options{}); err != nil {
			errs = append(errs, err)
		}
	}
	in := reportInput{name: "corsvcr merge", run: run, file: file, checksPath: *checksPath, cassette: merged.Cassette}
	if file != nil {
		in.notRunWhy = report.NotRunMerge
	}
	if rf.html != "" && file != nil {
		in.cas = mergeCassette(*cassette, merged.Cassette, stderr)
	}
	// The shards' jobs annotated their own failures: no second annotation.
	errs = append(errs, rf.files(ctx, in))
	if err := joinErrors(errs...); err != nil {
		return err
	}
	if file != nil && merged.Summary.NotRun > 0 {
		return notInShards(file, *checksPath, merged)
	}
	return exitFor(vcr.Outcomes(merged.Checks), merged.Summary.NotRun)
}

// notInShards is the error of a merge whose shard reports lack checks of
// the check file: it names them, rather than calling the run interrupted.
func notInShards(file *checks.File, checksPath string, merged vcr.Report) error {
	ran := map[string]bool{}
	for _, r := range merged.Checks {
		ran[r.Name] = true
	}
	var missing []string
	for _, c := range file.Checks {
		if !ran[c.Name] {
			missing = append(missing, strconv.Quote(c.Name))
		}
	}
	const most = 5
	list := strings.Join(missing[:min(len(missing), most)], ", ")
	if len(missing) > most {
		list += fmt.Sprintf(" and %d more", len(missing)-most)
	}
	return fmt.Errorf("merge: %d of %d checks of %q are in no shard's report: %s (a shard was interrupted, its job died, or its report is missing)", len(missing), len(file.Checks), checksPath, list)
}

// mergeCassette loads the cassette shown in a merged HTML report: flag,
// else the one the shards name; nil (said on stderr) when it cannot be read.
func mergeCassette(flagPath, named string, stderr io.Writer) *cassettes.Cassette {
	p := flagPath
	if p == "" {
		p = named
	}
	if p == "" {
		fmt.Fprintln(stderr, "corsvcr: merge: the shards name no one cassette (pass --cassette): the HTML report shows no exchange")
		return nil
	}
	if flagPath == "" {
		if _, err := os.Stat(p); err != nil {
			fmt.Fprintf(stderr, "corsvcr: merge: the shards' cassette %s is not here (pass --cassette): the HTML report shows no exchange\n", checks.Printable(p))
			return nil
		}
	}
	cas, err := cassettes.Load(p)
	if err != nil {
		fmt.Fprintf(stderr, "corsvcr: merge: %v: the HTML report shows no exchange\n", err)
		return nil
	}
	return cas
}
