package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/corsvcr/corsvcr/ca"
	"github.com/corsvcr/corsvcr/cassettes"
	"github.com/corsvcr/corsvcr/checks"
	"github.com/corsvcr/corsvcr/recorder"
	"github.com/corsvcr/corsvcr/replay"
	"github.com/corsvcr/corsvcr/vcr"
)

const proxyUsage = `Usage: corsvcr proxy --cassette C --mode record|replay|record-missing [--listen 127.0.0.1:PORT]
         [--record-host HOST:PORT]... [--upstream HOST[:PORT]=ADDR]... [--map-origin FROM=TO]... [--strict]

Runs a forward proxy for HTTP and HTTPS until SIGINT or SIGTERM, for any browser or
end-to-end runner (Playwright, Puppeteer, Selenium, Cypress) or HTTP client:
  record          forward everything to the live servers and record it into C (replaced)
  replay          answer from C and never touch the network; a request C lacks is a miss
                  (status 599), listed at exit, exit code 4
  record-missing  answer from C, forward and record what it lacks, append it to C
                  (C is created when missing)
Record modes write C atomically every --save-every when something was recorded, and at exit.
HTTPS is intercepted with corsvcr's CA: 'corsvcr ca' says how to make each client trust it.

`

func cmdProxy(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	flags := flag.NewFlagSet("proxy", flag.ContinueOnError)
	cassette := flags.String("cassette", "", "cassette to write (record), replay (replay) or replay and append to (record-missing)")
	mode := flags.String("mode", "", "record, replay or record-missing")
	listen := flags.String("listen", "127.0.0.1:0", "loopback address to listen on: 127.0.0.1:PORT, [::1]:PORT, localhost:PORT or :PORT (127.0.0.1); another address is refused")
	strict := flags.Bool("strict", false, "replay modes: a request whose matching recorded answers are used up, or whose script-set headers or body match no recording of its match key, is a miss")
	saveEvery := flags.Duration("save-every", vcr.DefaultSaveEvery, "record modes: save the cassette this often while running, when something was recorded since the last save")
	timeout := flags.Duration("timeout", recorder.DefaultUpstreamTimeout, "time limit for one exchange with a live server")
	upstreamCA := flags.String("upstream-ca", "", "PEM file of extra root certificates trusted for https origins (besides the system roots)")
	caDir := flags.String("ca-dir", "", caDirUsage)
	verbose := verboseFlag(flags)
	ups := upstreamFlag{}
	flags.Var(&ups, "upstream", "HOST[:PORT]=ADDR: dial ADDR for requests to HOST:PORT; HOST alone means its default port, 80 for http URLs and 443 for https (repeatable)")
	var hosts hostsFlag
	flags.Var(&hosts, "record-host", "HOST:PORT whose exchanges are recorded (repeatable; default: every host but the browsers' background traffic)")
	var maps originMapFlag
	flags.Var(&maps, "map-origin", mapOriginUsage)
	var sec secretFlags
	sec.register(flags)
	flags.Usage = func() {
		fmt.Fprint(flags.Output(), proxyUsage)
		flags.PrintDefaults()
	}
	if err := parse(flags, args, stderr); err != nil {
		return err
	}
	m := vcr.ProxyMode(*mode)
	switch {
	case *cassette == "":
		return usageErrorf("proxy: --cassette is required")
	case m != vcr.ProxyRecord && m != vcr.ProxyReplay && m != vcr.ProxyRecordMissing:
		return usageErrorf("proxy: --mode %q is not one of record, replay, record-missing", *mode)
	case len(maps) > 0 && (m == vcr.ProxyRecord || *strict):
		return usageErrorf("proxy: --map-origin needs --mode replay or record-missing and cannot be used with --strict (strict replay serves the recording unchanged)")
	case *strict && m == vcr.ProxyRecord:
		return usageErrorf("proxy: --strict needs --mode replay or record-missing")
	case *saveEvery <= 0:
		return usageErrorf("proxy: --save-every %s: must be positive", *saveEvery)
	case *timeout <= 0:
		return usageErrorf("proxy: --timeout %s: must be positive", *timeout)
	}
	if _, err := replay.ListenAddr(*listen); errors.Is(err, replay.ErrNotLoopback) {
		return usageErrorf("proxy: --listen %q: not a loopback address: a corsvcr proxy listens on loopback only (127.0.0.1:PORT, [::1]:PORT, localhost:PORT, or :PORT for 127.0.0.1); reach it from another machine through a tunnel such as ssh -L", *listen)
	} else if err != nil {
		return usageErrorf("proxy: --listen %q: %v", *listen, errors.Unwrap(err))
	}
	if _, port, _ := net.SplitHostPort(*listen); port != "" {
		if _, err := strconv.ParseUint(port, 10, 16); err != nil {
			return usageErrorf("proxy: --listen %q: port %q is not a number from 0 to 65535", *listen, port)
		}
	}
	if m != vcr.ProxyReplay {
		// Found now, not after the whole suite ran through the proxy.
		if err := checkWritable(*cassette); err != nil {
			return usageErrorf("proxy: --cassette %q: %v", *cassette, err)
		}
	}
	log := newLogger(stderr, *verbose)
	cfg := vcr.Config{Upstreams: ups, RecordHosts: hosts, CADir: *caDir, Version: version, Logger: log}
	if *upstreamCA != "" {
		roots, err := ca.SystemRootsWith(*upstreamCA)
		if err != nil {
			return usageErrorf("proxy: --upstream-ca: %v", err)
		}
		cfg.UpstreamRootCAs = roots
	}
	r, err := vcr.New(cfg)
	if err != nil {
		return err
	}
	opts := vcr.ProxyOptions{Mode: m, Addr: *listen, Strict: *strict, OriginMap: maps, SaveEvery: *saveEvery, ExchangeTimeout: *timeout}
	if m != vcr.ProxyReplay {
		opts.Path = *cassette
		opts.Save = sec.options(log, nil)
		opts.OnSave = func(e vcr.SaveEvent) {
			if e.Err != nil {
				fmt.Fprintf(stderr, "corsvcr: proxy: %s not saved: %v\n", checks.Printable(e.Path), e.Err)
				return
			}
			fmt.Fprintf(stdout, "saved %s: %d %s\n", checks.Printable(e.Path), e.Interactions, plural(e.Interactions, "interaction", "interactions"))
		}
	}
	if m != vcr.ProxyRecord {
		cas, err := cassettes.Load(*cassette)
		switch {
		case m == vcr.ProxyRecordMissing && errors.Is(err, fs.ErrNotExist):
			cas = &cassettes.Cassette{Version: cassettes.FormatVersion, Meta: cassettes.Meta{Corsvcr: version}}
		case err != nil:
			return err
		}
		opts.Cassette = cas
		announceOriginMap(vcr.Replay{Cassette: cas, Strict: *strict, OriginMap: maps}, stderr)
	}
	p, err := r.Proxy(opts)
	if errors.Is(err, syscall.EADDRINUSE) {
		return fmt.Errorf("proxy: --listen %q: %w", *listen, err)
	} else if err != nil {
		return err
	}
	started := time.Now()
	fmt.Fprintf(stdout, "corsvcr proxy (%s) listening at %s for %s; Ctrl-C stops\n", m, p.URL(), checks.Printable(*cassette))
	fmt.Fprintf(stdout, "https is intercepted with the corsvcr CA %s (SPKI pin %s); 'corsvcr ca' says how to trust it\n",
		checks.Printable(p.CA().CertFile), p.CA().SPKIPin())
	<-ctx.Done()
	sum, closeErr := p.Close()
	writeProxySummary(stdout, sum, time.Since(started))
	if closeErr != nil {
		return closeErr
	}
	switch {
	case sum.Misses.Total > 0:
		return &exitError{code: exitMiss, err: fmt.Errorf("proxy: %d replay %s (%d distinct)", sum.Misses.Total, plural(sum.Misses.Total, "miss", "misses"), len(sum.Misses.Groups))}
	case len(sum.Failures) > 0:
		return &exitError{code: exitHarness, err: fmt.Errorf("proxy: %d %s with live servers failed and %s not recorded", len(sum.Failures), plural(len(sum.Failures), "exchange", "exchanges"), plural(len(sum.Failures), "is", "are"))}
	}
	return nil
}

// checkWritable reports why the cassette path cannot be written by the
// saves to come: it is a directory, or its directory (or the nearest
// existing parent, for a directory Save will create) is not a writable
// directory. It leaves nothing behind.
func checkWritable(path string) error {
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return errors.New("is a directory: name a file")
	}
	dir := filepath.Dir(path)
	for {
		fi, err := os.Stat(dir)
		if err == nil {
			if !fi.IsDir() {
				return fmt.Errorf("cannot be created: %s is not a directory", dir)
			}
			break
		}
		if !errors.Is(err, fs.ErrNotExist) || filepath.Dir(dir) == dir {
			return err
		}
		dir = filepath.Dir(dir)
	}
	f, err := os.CreateTemp(dir, ".corsvcr-probe-*")
	if err != nil {
		return fmt.Errorf("cannot be written: %w", err)
	}
	f.Close()
	return os.Remove(f.Name())
}

// writeProxySummary prints what a proxy did: interactions per host, the
// cassette written, failures and misses.
func writeProxySummary(w io.Writer, sum *vcr.ProxySummary, ran time.Duration) {
	fmt.Fprintf(w, "corsvcr proxy (%s) stopped after %s\n", sum.Mode, ran.Round(time.Second))
	hostTable := func(title string, hs []vcr.HostCount) {
		n := 0
		for _, h := range hs {
			n += h.Count
		}
		fmt.Fprintf(w, "  %s: %d\n", title, n)
		for _, h := range hs {
			fmt.Fprintf(w, "    %-40s %d\n", checks.Printable(h.Host), h.Count)
		}
	}
	if sum.Mode != vcr.ProxyReplay {
		hostTable("recorded interactions", sum.Recorded)
	}
	if sum.Mode != vcr.ProxyRecord {
		hostTable("replayed from the cassette", sum.Replayed)
		fmt.Fprintf(w, "  replay misses: %d\n", sum.Misses.Total)
		for _, g := range sum.Misses.Groups {
			fmt.Fprintf(w, "    %d× %s\n", g.Count, checks.Printable(g.Example))
		}
	}
	if sum.Background > 0 {
		fmt.Fprintf(w, "  browser background requests answered locally (not forwarded or recorded): %d\n", sum.Background)
	}
	if sum.Upgrades > 0 {
		fmt.Fprintf(w, "  WebSocket (protocol upgrade) requests refused with %d (not proxied or recorded): %d\n", vcr.UpgradeAnswer, sum.Upgrades)
	}
	if len(sum.Failures) > 0 {
		fmt.Fprintf(w, "  failed exchanges (not in the cassette; rerun them when the servers answer): %d\n", len(sum.Failures))
		for _, f := range sum.Failures {
			fmt.Fprintf(w, "    %s\n", checks.Printable(f.Error()))
		}
	}
	switch {
	case sum.Path == "":
	case sum.Saves == 0 && len(sum.Recorded) == 0:
		fmt.Fprintf(w, "  nothing recorded: %s not written\n", checks.Printable(sum.Path))
	case sum.Saves == 0:
		fmt.Fprintf(w, "  %s not written\n", checks.Printable(sum.Path))
	default:
		fmt.Fprintf(w, "  wrote %s: %d %s\n", checks.Printable(sum.Path), sum.Interactions, plural(sum.Interactions, "interaction", "interactions"))
		if sum.Unsaved > 0 {
			fmt.Fprintf(w, "  not in it: the last %d recorded (the last save failed)\n", sum.Unsaved)
		}
	}
}
