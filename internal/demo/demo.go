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
}

// Outcome is the demo's outcome: Mismatch when a check's live and replayed
// verdicts differ, else the worse of the two runs'.
func (r *Report) Outcome() vcr.Outcome {
	o := max(r.Live.Outcome(), r.Replay.Outcome())
	for _, row := range r.Rows {
		if !row.Same {
			o = max(o, vcr.Mismatch)
		}
	}
	return o
}

// Run runs the demo with cfg (its Upstreams are the sample API's) and
// writes its check file and cassette into dir.
func Run(ctx context.Context, cfg vcr.Config, dir string) (*Report, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	rep := &Report{ChecksPath: filepath.Join(dir, "checks.yaml"), CassettePath: filepath.Join(dir, "cassette.yaml")}
	if err := atomicfile.WriteFile(rep.ChecksPath, sampleapi.Checks, atomicfile.Options{}); err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	file, err := checks.Parse(rep.ChecksPath, sampleapi.Checks)
	if err != nil {
		return nil, err
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
		}
		rep.Rows = append(rep.Rows, row)
	}
	return rep, nil
}
