package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/corsvcr/corsvcr/checks"
	"github.com/corsvcr/corsvcr/internal/demo"
	"github.com/corsvcr/corsvcr/vcr"
)

func cmdDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var c common
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	c.register(fs, false)
	out := fs.String("out", "corsvcr-demo", "directory for the demo's check file and cassette")
	var rf reportFlags
	rf.register(fs)
	if err := parse(fs, args, stderr); err != nil {
		return err
	}
	if c.checks != "" {
		return usageErrorf("demo: --checks is not used; the demo runs its own checks (see %s/checks.yaml)", *out)
	}
	sel, err := c.selection("demo")
	if err != nil {
		return err
	}
	if c.parallel < 0 {
		return usageErrorf("demo: --parallel %d: negative", c.parallel)
	}
	log := newLogger(stderr, *c.verbose)
	cfg := vcr.Config{Chrome: c.chrome, Timeout: c.timeout, Parallel: c.parallel, CADir: c.caDir, Browser: c.browser, Listen: c.listen, Version: version, Logger: log}
	c.warnListen(stderr)
	rep, err := demo.Run(ctx, cfg, *out, sel)
	if errors.Is(err, checks.ErrNoMatch) {
		return &exitError{code: exitUsage, err: fmt.Errorf("demo: --run %q: %w in the demo's checks (%s)", sel.String(), checks.ErrNoMatch, filepath.Join(*out, "checks.yaml"))}
	} else if err != nil {
		return err
	}
	if c.jsonOut {
		if err := writeJSON(stdout, rep.JSON()); err != nil {
			return err
		}
	} else {
		writeDemo(stdout, rep.Rows)
		fmt.Fprintf(stdout, "\nrecorded %d interactions live in %s, replayed offline in %s\n", rep.Interactions, rep.Recorded.Round(time.Millisecond), rep.Replayed.Round(time.Millisecond))
		fmt.Fprintf(stdout, "checks:   %s\ncassette: %s\n", rep.ChecksPath, rep.CassettePath)
		run := ""
		if sel != nil {
			run = " --run " + strconv.Quote(sel.String())
		}
		fmt.Fprintf(stdout, "again offline: corsvcr check --checks %s --cassette %s%s\n", rep.ChecksPath, rep.CassettePath, run)
	}
	if err := rf.demo(ctx, rep, sel, stderr); err != nil {
		return err
	}
	for _, r := range rep.Rows {
		if !r.Same {
			return &exitError{code: exitMismatch, err: fmt.Errorf("demo: live and replay verdicts differ for %q", r.Name)}
		}
	}
	return exitFor(rep.Outcome(), rep.Live.NotRun+rep.Replay.NotRun)
}

func writeDemo(w io.Writer, rows []demo.Row) {
	width := len("CHECK")
	for _, r := range rows {
		width = max(width, len(checks.Printable(r.Name)))
	}
	fmt.Fprintf(w, "%-*s  %-14s  %-6s  %s\n", width, "CHECK", "LIVE vs REPLAY", "EXPECT", "CHROME'S VERDICT (live)")
	indent := strings.Repeat(" ", width+2)
	for _, r := range rows {
		same, expect := "same", "ok"
		if !r.Same {
			same = "DIFFERENT"
		}
		if len(r.Replay.Mismatches) > 0 || len(r.Live.Mismatches) > 0 {
			expect = "FAIL"
		}
		fmt.Fprintf(w, "%-*s  %-14s  %-6s  %s\n", width, checks.Printable(r.Name), same, expect, oneLine(lastSummary(r.Live.Verdicts)))
		if !r.Same {
			fmt.Fprintf(w, "%s  replay verdict: %s\n", indent, oneLine(lastSummary(r.Replay.Verdicts)))
		}
		for _, m := range r.Replay.Mismatches {
			fmt.Fprintf(w, "%s  expected %s %s, got %s\n", indent, m.Field, oneLine(m.Want), oneLine(m.Got))
		}
		for _, res := range []vcr.Result{r.Live, r.Replay} {
			for _, m := range res.Misses {
				fmt.Fprintf(w, "%s  replay miss: %s\n", indent, oneLine(m))
			}
			if res.Error != "" {
				fmt.Fprintf(w, "%s  error: %s\n", indent, oneLine(res.Error))
			}
		}
		if v := r.Replay.Verdicts.Last(); v.Console != "" {
			fmt.Fprintf(w, "%s  console: %s\n", indent, oneLine(v.Console))
		}
	}
}

// lastSummary renders the verdict of the last step of vs, "-" for none.
func lastSummary(vs checks.Verdicts) string {
	if len(vs) == 0 {
		return "-"
	}
	v := vs.Last()
	return vcr.Summary(&v)
}
