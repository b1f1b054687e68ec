package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"time"

	"github.com/corsvcr/corsvcr/browsercheck"
	"github.com/corsvcr/corsvcr/cassettes"
	"github.com/corsvcr/corsvcr/checks"
	"github.com/corsvcr/corsvcr/internal/sampleapi"
	"github.com/corsvcr/corsvcr/replay"
)

// demoRow compares one check's live and replayed verdicts.
type demoRow struct {
	Name       string     `json:"name"`
	Live       result     `json:"live"`
	Replay     result     `json:"replay"`
	Same       bool       `json:"same"`
	Mismatches []mismatch `json:"mismatches,omitempty"`
}

func cmdDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var c common
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	c.register(fs, false)
	out := fs.String("out", "corsvcr-demo", "directory for the demo's check file and cassette")
	if err := parse(fs, args, stderr); err != nil {
		return err
	}
	if c.checks != "" {
		return usageErrorf("demo: --checks is not used; the demo runs its own checks (see %s/checks.yaml)", *out)
	}
	log := newLogger(stderr, c.verbose)
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	checksPath := filepath.Join(*out, "checks.yaml")
	if err := os.WriteFile(checksPath, sampleapi.Checks, 0o644); err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	file, err := checks.Parse(checksPath, sampleapi.Checks)
	if err != nil {
		return err
	}
	casPath := filepath.Join(*out, "cassette.yaml")

	// 1. The sample API on an ephemeral loopback port, named by the checks
	//    as localhost:8000..8004: no fixed port needs to be free.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("demo: start sample API: %w", err)
	}
	api := &http.Server{Handler: sampleapi.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go api.Serve(ln)
	c.upstreams = upstreamFlag{}
	for _, h := range sampleapi.Hosts {
		c.upstreams[h] = ln.Addr().String()
	}

	// 2. Record live.
	start := time.Now()
	live, cas, err := recordLive(ctx, file, c, log)
	if err != nil {
		api.Close()
		return err
	}
	if err := saveCassette(casPath, cas); err != nil {
		api.Close()
		return err
	}
	recorded := time.Since(start)

	// 3. Stop the API: the replay below has nothing live to reach.
	if err := api.Close(); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("demo: stop sample API: %w", err)
	}

	// 4. Replay offline from the file just written.
	start = time.Now()
	loaded, err := cassettes.Load(casPath)
	if err != nil {
		return err
	}
	replayed, err := replayChecks(ctx, file, replay.Config{Cassette: loaded, Strict: true, Intercept: browsercheck.Intercept}, c)
	if err != nil {
		return err
	}
	replayTime := time.Since(start)

	rows := make([]demoRow, len(live))
	for i := range live {
		rows[i] = demoRow{
			Name:       live[i].Name,
			Live:       live[i],
			Replay:     replayed[i],
			Same:       live[i].Error == "" && replayed[i].Error == "" && len(replayed[i].Misses) == 0 && reflect.DeepEqual(live[i].Verdict, replayed[i].Verdict),
			Mismatches: replayed[i].Mismatches,
		}
	}
	if c.jsonOut {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(struct {
			Cassette string    `json:"cassette"`
			Checks   []demoRow `json:"checks"`
		}{casPath, rows}); err != nil {
			return err
		}
	} else {
		writeDemo(stdout, rows)
		fmt.Fprintf(stdout, "\nrecorded %d interactions live in %s, replayed offline in %s\n", len(cas.Interactions), recorded.Round(time.Millisecond), replayTime.Round(time.Millisecond))
		fmt.Fprintf(stdout, "checks:   %s\ncassette: %s\n", checksPath, casPath)
		fmt.Fprintf(stdout, "again offline: corsvcr check --checks %s --cassette %s\n", checksPath, casPath)
	}
	for _, r := range rows {
		if !r.Same {
			return &exitError{code: exitMismatch, err: fmt.Errorf("demo: live and replay verdicts differ for %q", r.Name)}
		}
	}
	return outcome(append(live, replayed...))
}

func writeDemo(w io.Writer, rows []demoRow) {
	width := len("CHECK")
	for _, r := range rows {
		width = max(width, len(r.Name))
	}
	fmt.Fprintf(w, "%-*s  %-14s  %-6s  %s\n", width, "CHECK", "LIVE vs REPLAY", "EXPECT", "CHROME'S VERDICT (live)")
	indent := strings.Repeat(" ", width+2)
	for _, r := range rows {
		same, expect := "same", "ok"
		if !r.Same {
			same = "DIFFERENT"
		}
		if len(r.Mismatches) > 0 || len(r.Live.Mismatches) > 0 {
			expect = "FAIL"
		}
		fmt.Fprintf(w, "%-*s  %-14s  %-6s  %s\n", width, r.Name, same, expect, summary(r.Live.Verdict))
		if !r.Same {
			fmt.Fprintf(w, "%s  replay verdict: %s\n", indent, summary(r.Replay.Verdict))
		}
		for _, m := range r.Mismatches {
			fmt.Fprintf(w, "%s  expected %s %s, got %s\n", indent, m.Field, m.Want, m.Got)
		}
		for _, res := range []result{r.Live, r.Replay} {
			for _, m := range res.Misses {
				fmt.Fprintf(w, "%s  replay miss: %s\n", indent, m)
			}
			if res.Error != "" {
				fmt.Fprintf(w, "%s  error: %s\n", indent, res.Error)
			}
		}
		if v := r.Replay.Verdict; v != nil && v.Console != "" {
			fmt.Fprintf(w, "%s  console: %s\n", indent, v.Console)
		}
	}
}
