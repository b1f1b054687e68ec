package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/corsvcr/corsvcr/cassettes"
	"github.com/corsvcr/corsvcr/replay"
	"github.com/corsvcr/corsvcr/vcr"
)

func cmdRecord(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var c common
	fs := flag.NewFlagSet("record", flag.ContinueOnError)
	c.register(fs, true)
	fs.StringVar(&c.cassette, "cassette", "", "cassette file to write")
	c.shardFlag(fs)
	var sec secretFlags
	sec.register(fs)
	inc := incompleteFlag(fs)
	var rf reportFlags
	rf.register(fs)
	var page pageFlags
	page.register(fs)
	if err := parse(fs, args, stderr); err != nil {
		return err
	}
	if page.set() {
		return recordPage(ctx, &c, &page, sec, inc, rf, stdout, stderr)
	}
	if c.checks == "" || c.cassette == "" {
		return usageErrorf("record: --checks and --cassette are required (or, in page mode, --url, --cassette and --checks-out)")
	}
	file, err := c.load("record")
	if err != nil {
		return err
	}
	if _, err := os.Stat(c.cassette); err == nil && c.shard != "" && !*inc.force {
		// The recording would hold this shard's exchanges only.
		return usageErrorf("record: --shard with the existing cassette %q would replace it with the exchanges of shard %s only; give each shard a cassette of its own (--cassette cors-%s.yaml), or replace it anyway with --save-incomplete", c.cassette, c.shard, strings.ReplaceAll(c.shard, "/", "of"))
	}
	if _, err := os.Stat(c.cassette); err == nil && c.run != "" && !*inc.force {
		// The recording would hold the selected checks' exchanges only.
		return usageErrorf("record: --run with the existing cassette %q would replace it with the exchanges of the selected checks only; record them with 'corsvcr check --mode record-missing --run …' to add them, name another --cassette, or replace it anyway with --save-incomplete", c.cassette)
	}
	c.announceShard(stderr)
	if c.shardInfo != nil && len(file.Checks) == 0 {
		return c.emptyShard(ctx, stdout, stderr, rf, "corsvcr record", file) // no cassette: nothing to record
	}
	log := newLogger(stderr, *c.verbose)
	r, err := c.runner(log)
	if err != nil {
		return err
	}
	c.warnListen(stderr)
	run, err := r.Record(ctx, file)
	if err != nil {
		return err
	}
	run.Shard = c.shardInfo
	save := func() error { return vcr.SaveRun(c.cassette, run, inc.options(run, sec.options(log, nil))) }
	in := reportInput{name: "corsvcr record", run: run, file: file, checksPath: c.checks, cas: run.Cassette, secrets: sec}
	if err := saveRecording(ctx, &c, in, rf, save, stdout, stderr); err != nil {
		return err
	}
	log.Info("cassette written", "path", c.cassette, "interactions", len(run.Cassette.Interactions))
	return outcome(run, stderr)
}

// saveRecording saves a recording with save, then prints its verdicts and
// writes the reports of in (its cassette set when saved). The verdicts are
// printed whether or not the cassette may be written: a refusal (secrets,
// an incomplete run) must not hide them. Saving comes first so that what
// is printed shows what redaction made of discovered URLs (page mode); the
// JSON report names the cassette only when it was written.
func saveRecording(ctx context.Context, c *common, in reportInput, rf reportFlags, save func() error, stdout, stderr io.Writer) error {
	saveErr := save()
	written := c.cassette
	if saveErr != nil {
		written = ""
	}
	if err := writeResults(stdout, in.run, written, c.jsonOut); err != nil {
		return err
	}
	in.cassette = written
	rerr := rf.write(ctx, in, stderr)
	if saveErr != nil {
		return refused(saveErr, in.run, stderr)
	}
	if rerr != nil {
		return rerr
	}
	writeWritten(stdout, c.cassette, c.jsonOut)
	return nil
}

func cmdCheck(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var c common
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	c.register(fs, true)
	fs.StringVar(&c.cassette, "cassette", "", "cassette to replay (default: run live, record nothing)")
	c.shardFlag(fs)
	mode := fs.String("mode", "replay", "replay (never touches the network) or record-missing (replay hits, record and append misses)")
	strict := fs.Bool("strict", false, "a request whose matching recorded answers are used up, or whose script-set headers or body match no recording of its match key, is a miss instead of getting the last or closest answer")
	var sec secretFlags
	sec.register(fs)
	inc := incompleteFlag(fs)
	var maps originMapFlag
	fs.Var(&maps, "map-origin", mapOriginUsage)
	var rf reportFlags
	rf.register(fs)
	if err := parse(fs, args, stderr); err != nil {
		return err
	}
	if c.checks == "" {
		return usageErrorf("check: --checks is required")
	}
	if len(maps) > 0 && (c.cassette == "" || *strict) {
		return usageErrorf("check: --map-origin needs --cassette and cannot be used with --strict (strict replay serves the recording unchanged)")
	}
	if *mode != "replay" && *mode != "record-missing" {
		return usageErrorf("check: --mode %q is not one of replay, record-missing", *mode)
	}
	if c.cassette == "" && (*mode != "replay" || *strict) {
		return usageErrorf("check: --mode and --strict need --cassette")
	}
	file, err := c.load("check")
	if err != nil {
		return err
	}
	c.announceShard(stderr)
	if c.shardInfo != nil && len(file.Checks) == 0 {
		return c.emptyShard(ctx, stdout, stderr, rf, "corsvcr check", file)
	}
	log := newLogger(stderr, *c.verbose)
	r, err := c.runner(log)
	if err != nil {
		return err
	}
	c.warnListen(stderr)
	if c.cassette == "" {
		run, err := r.Live(ctx, file)
		if err != nil {
			return err
		}
		run.Shard = c.shardInfo
		if err := writeResults(stdout, run, "", c.jsonOut); err != nil {
			return err
		}
		if err := rf.write(ctx, reportInput{name: "corsvcr check", run: run, file: file, checksPath: c.checks, secrets: sec}, stderr); err != nil {
			return err
		}
		return outcome(run, stderr)
	}
	cas, err := cassettes.Load(c.cassette)
	if err != nil {
		return err
	}
	rp := vcr.Replay{Cassette: cas, Strict: *strict, OriginMap: maps, RecordMissing: *mode == "record-missing"}
	announceOriginMap(rp, stderr)
	run, err := r.Replay(ctx, file, rp)
	if err != nil {
		return err
	}
	run.Shard = c.shardInfo
	// The verdicts first: a refusal to write (secrets, an incomplete run)
	// must not hide them.
	if err := writeResults(stdout, run, c.cassette, c.jsonOut); err != nil {
		return err
	}
	// A report that cannot be written does not keep recorded exchanges
	// from being appended.
	rerr := rf.write(ctx, reportInput{name: "corsvcr check", run: run, file: file, checksPath: c.checks, cassette: c.cassette, cas: run.Cassette, secrets: sec}, stderr)
	if run.Added > 0 {
		// Only complete exchanges were recorded: an interrupted or partly
		// failed run appends them too, and a rerun records the rest.
		if err := vcr.SaveRun(c.cassette, run, inc.options(run, sec.options(log, nil))); err != nil {
			return refused(err, run, stderr)
		}
		log.Info("appended recorded misses", "path", c.cassette, "interactions", run.Added)
	}
	if rp.RecordMissing && run.Incomplete() {
		writeAppended(stderr, c.cassette, run)
	}
	if rerr != nil {
		return rerr
	}
	writeWritten(stdout, c.cassette, c.jsonOut)
	return outcome(run, stderr)
}

func cmdServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	cassette := fs.String("cassette", "", "cassette to serve")
	listen := fs.String("listen", "127.0.0.1:0", "loopback address to listen on: 127.0.0.1:PORT, [::1]:PORT, localhost:PORT or :PORT (127.0.0.1); another address is refused")
	host := fs.String("host", "", "authority assumed for direct (non-proxy) requests, e.g. localhost:8000 (default: match on path against any recorded host)")
	strict := fs.Bool("strict", false, "a request whose matching recorded answers are used up, or whose script-set headers or body match no recording of its match key, is a miss instead of getting the last or closest answer")
	verbose := verboseFlag(fs)
	caDir := fs.String("ca-dir", "", caDirUsage)
	if err := parse(fs, args, stderr); err != nil {
		return err
	}
	if *cassette == "" {
		return usageErrorf("serve: --cassette is required")
	}
	log := newLogger(stderr, *verbose)
	// Loopback only, with no way around it: whoever reaches a replay server
	// gets the recorded exchanges, and it proxies any request it is sent.
	// Reaching it from elsewhere is a tunnel's job (ssh -L), chosen knowingly.
	if _, err := replay.ListenAddr(*listen); errors.Is(err, replay.ErrNotLoopback) {
		return usageErrorf("serve: --listen %q: not a loopback address: a replay server listens on loopback only (127.0.0.1:PORT, [::1]:PORT, localhost:PORT, or :PORT for 127.0.0.1); reach it from another machine through a tunnel such as ssh -L", *listen)
	} else if err != nil {
		return usageErrorf("serve: --listen %q: %v", *listen, errors.Unwrap(err))
	}
	cas, err := cassettes.Load(*cassette)
	if err != nil {
		return err
	}
	r, err := vcr.New(vcr.Config{CADir: *caDir, Logger: log})
	if err != nil {
		return err
	}
	rp := vcr.Replay{Cassette: cas, Strict: *strict}
	announceOriginMap(rp, stderr)
	srv, auth, err := r.Serve(rp, *listen, *host)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "serving %s (%d interactions) at %s — use it as an HTTP proxy or call it directly; Ctrl-C stops\n",
		*cassette, len(cas.Interactions), srv.URL())
	if auth != nil {
		fmt.Fprintf(stdout, "https is served with certificates of the corsvcr CA %s (SPKI pin %s); 'corsvcr ca' says how to trust it\n",
			auth.CertFile, auth.SPKIPin())
	}
	<-ctx.Done()
	if err := srv.Close(); err != nil {
		return err
	}
	// One line per distinct miss, not per miss: a long-running server can
	// collect millions of them.
	sum := vcr.SummarizeReplayMisses(srv.Replayer, maxMissGroups)
	for _, g := range sum.Groups {
		log.Warn("replay miss", "count", g.Count, "error", g.Example)
	}
	if sum.More > 0 {
		log.Warn(fmt.Sprintf("… and %d more distinct replay misses", sum.More), "count", sum.MoreMisses)
	}
	if sum.Ungrouped > 0 {
		log.Warn("… and more replay misses of requests not grouped (too many distinct ones)", "count", sum.Ungrouped)
	}
	if sum.Total > 0 {
		distinct := fmt.Sprint(len(sum.Groups) + sum.More)
		if sum.Ungrouped > 0 {
			distinct = "more than " + distinct
		}
		return &exitError{code: exitMiss, err: fmt.Errorf("%d replay misses (%s distinct)", sum.Total, distinct)}
	}
	return nil
}

// maxMissGroups is how many distinct misses serve lists when it stops.
const maxMissGroups = 20
