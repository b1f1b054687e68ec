package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"

	"github.com/corsvcr/corsvcr/browsercheck"
	"github.com/corsvcr/corsvcr/cassettes"
	"github.com/corsvcr/corsvcr/checks"
	"github.com/corsvcr/corsvcr/recorder"
	"github.com/corsvcr/corsvcr/replay"
)

func cmdRecord(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var c common
	fs := flag.NewFlagSet("record", flag.ContinueOnError)
	c.register(fs, true)
	fs.StringVar(&c.cassette, "cassette", "", "cassette file to write")
	var sec secretFlags
	sec.register(fs)
	if err := parse(fs, args, stderr); err != nil {
		return err
	}
	if c.checks == "" || c.cassette == "" {
		return usageErrorf("record: --checks and --cassette are required")
	}
	file, err := checks.Load(c.checks)
	if err != nil {
		return err
	}
	log := newLogger(stderr, c.verbose)
	results, cas, err := recordLive(ctx, file, c, log)
	if err != nil {
		return err
	}
	if err := saveCassetteSecrets(c.cassette, cas, sec, log); err != nil {
		return err
	}
	log.Info("cassette written", "path", c.cassette, "interactions", len(cas.Interactions))
	if err := writeResults(stdout, results, c.cassette, c.jsonOut); err != nil {
		return err
	}
	return outcome(results)
}

// recordLive runs the checks through a recording proxy against the live
// servers and returns their results and the recorded cassette.
func recordLive(ctx context.Context, file *checks.File, c common, log *slog.Logger) ([]result, *cassettes.Cassette, error) {
	auth, err := c.httpsCA(file, nil)
	if err != nil {
		return nil, nil, err
	}
	roots, err := c.upstreamRoots()
	if err != nil {
		return nil, nil, err
	}
	rec, err := recorder.Start(recorder.Config{
		Hosts:           c.recordHosts(file),
		Upstreams:       c.upstreams,
		Intercept:       browsercheck.Intercept,
		Logger:          log,
		CA:              auth,
		UpstreamRootCAs: roots,
	})
	if err != nil {
		return nil, nil, err
	}
	defer rec.Close()
	b, err := browsercheck.New(ctx, browsercheck.Config{ExecPath: c.chrome, Proxy: rec.URL(), Timeout: c.timeout, SPKIPins: pins(auth)})
	if err != nil {
		return nil, nil, err
	}
	results := runChecks(ctx, b, file.Checks, nil)
	browser := b.Version()
	if err := b.Close(); err != nil {
		return nil, nil, err
	}
	if err := rec.Close(); err != nil {
		return nil, nil, err
	}
	cas := &cassettes.Cassette{
		Version:      cassettes.FormatVersion,
		Meta:         cassettes.Meta{Corsvcr: version, Browser: browser},
		Interactions: rec.Interactions(),
	}
	return results, cas, nil
}

func cmdCheck(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var c common
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	c.register(fs, true)
	fs.StringVar(&c.cassette, "cassette", "", "cassette to replay (default: run live, record nothing)")
	mode := fs.String("mode", "replay", "replay (never touches the network) or record-missing (replay hits, record and append misses)")
	strict := fs.Bool("strict", false, "a request whose recorded answers are used up is a miss instead of repeating the last answer")
	var sec secretFlags
	sec.register(fs)
	var maps originMapFlag
	fs.Var(&maps, "map-origin", mapOriginUsage)
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
	file, err := checks.Load(c.checks)
	if err != nil {
		return err
	}
	log := newLogger(stderr, c.verbose)
	if c.cassette == "" {
		results, _, err := recordLive(ctx, file, c, log)
		if err != nil {
			return err
		}
		if err := writeResults(stdout, results, "", c.jsonOut); err != nil {
			return err
		}
		return outcome(results)
	}
	cas, err := cassettes.Load(c.cassette)
	if err != nil {
		return err
	}
	cfg := replay.Config{Cassette: cas, Strict: *strict, Intercept: browsercheck.Intercept}
	if err := useOriginMap(&cfg, maps, stderr); err != nil {
		return err
	}
	var rec *recorder.Recorder
	if *mode == "record-missing" {
		auth, err := c.httpsCA(file, cas)
		if err != nil {
			return err
		}
		roots, err := c.upstreamRoots()
		if err != nil {
			return err
		}
		rec, err = recorder.Start(recorder.Config{
			Hosts:           c.recordHosts(file),
			Upstreams:       c.upstreams,
			Logger:          log,
			CA:              auth,
			UpstreamRootCAs: roots,
		})
		if err != nil {
			return err
		}
		defer rec.Close()
		cfg.Forward = viaProxy(rec.URL(), pool(auth))
	}
	results, err := replayChecks(ctx, file, cfg, c)
	if err != nil {
		return err
	}
	if rec != nil {
		if err := rec.Close(); err != nil {
			return err
		}
		if added := rec.Interactions(); len(added) > 0 {
			cas.Interactions = append(cas.Interactions, added...)
			if err := saveCassetteSecrets(c.cassette, cas, sec, log); err != nil {
				return err
			}
			log.Info("appended recorded misses", "path", c.cassette, "interactions", len(added))
		}
	}
	if err := writeResults(stdout, results, c.cassette, c.jsonOut); err != nil {
		return err
	}
	return outcome(results)
}

// replayChecks runs the checks in a browser whose proxy is a replay server.
func replayChecks(ctx context.Context, file *checks.File, cfg replay.Config, c common) ([]result, error) {
	auth, err := c.httpsCA(file, cfg.Cassette)
	if err != nil {
		return nil, err
	}
	srv, err := replay.NewServer(cfg, "", replay.WithCA(auth))
	if err != nil {
		return nil, err
	}
	defer srv.Close()
	b, err := browsercheck.New(ctx, browsercheck.Config{ExecPath: c.chrome, Proxy: srv.URL(), Timeout: c.timeout, SPKIPins: pins(auth)})
	if err != nil {
		return nil, err
	}
	results := runChecks(ctx, b, file.Checks, srv.Replayer)
	if err := b.Close(); err != nil {
		return nil, err
	}
	return results, srv.Close()
}

// viaProxy returns a transport that sends every request through proxyURL,
// leaving Accept-Encoding and bodies as the browser sent them. https
// requests go through the proxy's TLS, whose certificates roots verify
// (the corsvcr CA; nil: the system roots).
func viaProxy(proxyURL string, roots *x509.CertPool) http.RoundTripper {
	return &http.Transport{
		Proxy: func(*http.Request) (*url.URL, error) {
			return url.Parse(proxyURL)
		},
		TLSClientConfig:    &tls.Config{RootCAs: roots},
		DisableCompression: true,
	}
}

func cmdServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	cassette := fs.String("cassette", "", "cassette to serve")
	listen := fs.String("listen", "127.0.0.1:0", "address to listen on (loopback unless you name another)")
	host := fs.String("host", "", "authority assumed for direct (non-proxy) requests, e.g. localhost:8000 (default: match on path against any recorded host)")
	strict := fs.Bool("strict", false, "a request whose recorded answers are used up is a miss instead of repeating the last answer")
	verbose := fs.Bool("v", false, "verbose logging on stderr")
	var c common
	fs.StringVar(&c.caDir, "ca-dir", "", caDirUsage)
	if err := parse(fs, args, stderr); err != nil {
		return err
	}
	if *cassette == "" {
		return usageErrorf("serve: --cassette is required")
	}
	log := newLogger(stderr, *verbose)
	if h, _, err := net.SplitHostPort(*listen); err != nil {
		return usageErrorf("serve: --listen %q: %v", *listen, err)
	} else if ip := net.ParseIP(h); h != "localhost" && (ip == nil || !ip.IsLoopback()) {
		log.Warn("listening beyond loopback as asked", "listen", *listen)
	}
	cas, err := cassettes.Load(*cassette)
	if err != nil {
		return err
	}
	auth, err := c.httpsCA(nil, cas)
	if err != nil {
		return err
	}
	srv, err := replay.NewServer(replay.Config{Cassette: cas, Strict: *strict, Host: *host}, *listen, replay.WithCA(auth))
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
	misses := 0
	for _, e := range srv.Journal() {
		if e.Miss != nil {
			misses++
			log.Warn("replay miss", "error", e.Miss.Error())
		}
	}
	if err := srv.Close(); err != nil {
		return err
	}
	if misses > 0 {
		return &exitError{code: exitMiss, err: fmt.Errorf("%d replay misses", misses)}
	}
	return nil
}

// saveCassette writes cas to path atomically, creating its directory,
// after redacting its secrets and refusing when a scan still finds one
// (see secretFlags.protect; the flags' defaults apply).
func saveCassette(path string, cas *cassettes.Cassette) error {
	return saveCassetteSecrets(path, cas, secretFlags{}, discardLogger)
}
