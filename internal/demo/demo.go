// Package demo is `corsvcr demo`: it records the built-in sample API live
// in headless Chrome, stops the API, replays the cassette it wrote offline
// and compares the two verdicts of every check.
package demo

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"time"

	"github.com/corsvcr/corsvcr/cassettes"
	"github.com/corsvcr/corsvcr/checks"
	"github.com/corsvcr/corsvcr/internal/atomicfile"
	"github.com/corsvcr/corsvcr/internal/sampleapi"
	"github.com/corsvcr/corsvcr/vcr"
)

// Report is what a demo run found.
type Report struct {
	ChecksPath   string // the demo's check file, written into the directory
	CassettePath string // the cassette recorded live
	Interactions int    // recorded
	Recorded     time.Duration
	Replayed     time.Duration
	Live, Replay *vcr.Run
	Rows         []Row // one a check, in check-file order
}

// Row compares one check's live and replayed results.
type Row struct {
	Name   string     `json:"name"`
	Live   vcr.Result `json:"live"`
	Replay vcr.Result `json:"replay"`
	// Same is set when both carry the same verdict, with no error and no
	// miss (vcr.Same).
	Same bool `json:"same"`
	// Pass is set when the check is Same and both results passed.
	Pass bool `json:"pass"`
	// NotRun is set when the replay of the check did not run (the demo
	// was interrupted).
	NotRun bool `json:"not_run,omitempty"`
}

// Outcome is the row's outcome: Mismatch when live and replay differ, else
// the worse of the two results'.
func (r Row) Outcome() vcr.Outcome {
	o := max(r.Live.Outcome(), r.Replay.Outcome())
	if !r.Same {
		o = max(o, vcr.Mismatch)
	}
	return o
}

// JSON is the demo's report as `corsvcr demo --json` prints it
// (docs/report.schema.json, #/$defs/demoReport).
type JSON struct {
	SchemaVersion int        `json:"schema_version"` // vcr.ReportVersion
	Pass          bool       `json:"pass"`
	Summary       vcr.Totals `json:"summary"`
	Checks        string     `json:"checks_file"`
	Cassette      string     `json:"cassette"`
	Rows          []Row      `json:"checks"`
}

// JSON returns the report as `corsvcr demo --json` prints it: each check
// counts once in the summary, by its row's outcome.
func (r *Report) JSON() JSON {
	var t vcr.Totals
	for _, row := range r.Rows {
		if !row.NotRun {
			t.Add(row.Outcome())
		}
	}
	t.AddNotRun(r.Live.NotRun + len(r.Rows) - t.Checks)
	rows := r.Rows
	if rows == nil {
		rows = []Row{}
	}
	return JSON{SchemaVersion: vcr.ReportVersion, Pass: t.Pass(), Summary: t, Checks: r.ChecksPath, Cassette: r.CassettePath, Rows: rows}
}

// Outcome is the demo's outcome: Mismatch when a check's live and replayed
// verdicts differ, else the worse of the two runs'.
func (r *Report) Outcome() vcr.Outcome {
	o := max(r.Live.Outcome(), r.Replay.Outcome())
	for _, row := range r.Rows {
		o = max(o, row.Outcome())
	}
	return o
}

// Run runs the demo with cfg (its Upstreams are the sample API's) and
// writes its check file and cassette into dir. A non-nil sel runs only
// the checks whose name it matches (checks.File.Select).
func Run(ctx context.Context, cfg vcr.Config, dir string, sel *regexp.Regexp) (*Report, error) {
	rep := &Report{ChecksPath: filepath.Join(dir, "checks.yaml"), CassettePath: filepath.Join(dir, "cassette.yaml")}
	file, err := checks.Parse(rep.ChecksPath, sampleapi.Checks)
	if err != nil {
		return nil, err
	}
	if sel != nil {
		if file, err = file.Select(sel); err != nil {
			return nil, err
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	if err := atomicfile.WriteFile(rep.ChecksPath, sampleapi.Checks, atomicfile.Options{}); err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}

	// 1. The sample API on an ephemeral loopback port, named by the checks
	//    as localhost:8000..8004: no fixed port needs to be free.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("demo: start sample API: %w", err)
	}
	api := &http.Server{Handler: sampleapi.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go api.Serve(ln)
	defer api.Close()
	cfg.Upstreams = maps.Clone(cfg.Upstreams)
	if cfg.Upstreams == nil {
		cfg.Upstreams = map[string]string{}
	}
	for _, h := range sampleapi.Hosts {
		cfg.Upstreams[h] = ln.Addr().String()
	}
	r, err := vcr.New(cfg)
	if err != nil {
		return nil, err
	}

	// 2. Record live.
	start := time.Now()
	rep.Live, err = r.Record(ctx, file)
	if err != nil {
		return nil, err
	}
	if err := vcr.SaveRun(rep.CassettePath, rep.Live, vcr.SaveOptions{Logger: cfg.Logger}); err != nil {
		return nil, err
	}
	rep.Interactions = len(rep.Live.Cassette.Interactions)
	rep.Recorded = time.Since(start)

	// 3. Stop the API: the replay below has nothing live to reach.
	if err := api.Close(); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return nil, fmt.Errorf("demo: stop sample API: %w", err)
	}

	// 4. Replay offline from the file just written.
	start = time.Now()
	loaded, err := cassettes.Load(rep.CassettePath)
	if err != nil {
		return nil, err
	}
	rep.Replay, err = r.Replay(ctx, file, vcr.Replay{Cassette: loaded, Strict: true})
	if err != nil {
		return nil, err
	}
	rep.Replayed = time.Since(start)

	for i, live := range rep.Live.Results {
		row := Row{Name: live.Name, Live: live}
		if i < len(rep.Replay.Results) {
			row.Replay = rep.Replay.Results[i]
			row.Same = vcr.Same(live, row.Replay)
			row.Pass = row.Outcome() == vcr.Pass
		} else {
			row.NotRun = true
		}
		rep.Rows = append(rep.Rows, row)
	}
	return rep, nil
}
