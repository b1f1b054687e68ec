package vcr

import (
	"cmp"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/corsvcr/corsvcr/browsercheck"
	"github.com/corsvcr/corsvcr/ca"
	"github.com/corsvcr/corsvcr/cassettes"
	"github.com/corsvcr/corsvcr/checks"
	"github.com/corsvcr/corsvcr/recorder"
	"github.com/corsvcr/corsvcr/replay"
)

// Config configures a Runner. The zero value finds Chrome itself, records
// the hosts the checks name, dials them as named and logs nothing.
type Config struct {
	// Chrome is the browser binary; "" looks up $CORSVCR_CHROME, then
	// chromium-headless-shell, chromium, google-chrome on PATH.
	Chrome string
	// Timeout bounds one check; 0 means browsercheck.DefaultTimeout. When
	// running live, each exchange with an origin is bounded by four fifths
	// of it (recorder.Config.UpstreamTimeout), so that a hanging origin is
	// a network error Chrome reports, not a check that times out.
	Timeout time.Duration
	// Upstreams maps an authority the checks name ("localhost:8000", or a
	// host alone for its scheme's default port) to the address to dial
	// instead when running live (recorder.Config.Upstreams).
	Upstreams map[string]string
	// UpstreamRootCAs verifies https origins when running live; nil means
	// the system roots.
	UpstreamRootCAs *x509.CertPool
	// RecordHosts lists the authorities ("host:port") whose exchanges are
	// recorded; nil means the hosts the checks' request URLs name.
	RecordHosts []string
	// CADir is the directory of the per-user certificate authority used
	// when a check or a cassette names an https URL (created if missing);
	// "" means ca.ResolveDir("").
	CADir string
	// Browser is the DevTools address of a running Chrome to run the checks
	// in instead of starting one (browsercheck.Config.Remote):
	// ws://HOST:PORT/devtools/browser/ID or http://HOST:PORT. The checks run
	// in a browser context of their own that is disposed of afterwards;
	// that Chrome keeps running. Not for checks or cassettes naming https
	// URLs (browsercheck.ErrAttachedHTTPS).
	Browser string
	// SharedBrowser, when not nil, is a running Browser whose Chrome runs
	// the checks of every run, each run in a browser context of its own
	// (browsercheck.Config.Parent), instead of a Chrome started per run. A
	// run that needs the HTTPS CA pinned (a launch flag) starts a Chrome of
	// its own anyway. The caller closes it. Not with Browser.
	SharedBrowser *browsercheck.Browser
	// Listen is the address the recording or replay proxy is reached at by
	// the browser, for a browser on another machine (Browser): HOST:PORT,
	// HOST the address that browser reaches this machine at, PORT 0 for
	// any free port. "" means an ephemeral loopback port. The proxies
	// themselves stay on loopback; a relay on Listen pipes connections to
	// them. Anyone who reaches a non-loopback address reaches the proxy
	// (see IsLoopback): callers warn.
	Listen string
	// Parallel is how many checks a replay runs at once, each in a Chrome
	// tab of its own browser context (browsercheck.Config.Workers); 0 means
	// DefaultParallel(). Checks that may reach the same recorded answers
	// (the same URL, or one a recorded redirect leads to) still run one
	// after another in file order, so every verdict, miss and prediction
	// is the one of a serial run, and results are in file order. Record,
	// Live and record-missing replays run one check at a time.
	Parallel int
	// Version is the corsvcr version written into recorded cassettes.
	Version string
	// Logger receives diagnostics; nil discards them.
	Logger *slog.Logger
}

// Runner runs check files in headless Chrome. It holds no browser between
// calls: each run starts one and stops it, or, with Config.Browser or
// Config.SharedBrowser, creates a browser context in a running Chrome and
// disposes of it.
type Runner struct {
	cfg Config
	log *slog.Logger
}

// New validates cfg and returns a Runner. Every problem is reported at once.
func New(cfg Config) (*Runner, error) {
	var errs []error
	if cfg.Timeout < 0 {
		errs = append(errs, fmt.Errorf("vcr: config: timeout %s: negative", cfg.Timeout))
	}
	if cfg.Parallel < 0 {
		errs = append(errs, fmt.Errorf("vcr: config: parallel %d: negative", cfg.Parallel))
	}
	for from, to := range cfg.Upstreams {
		if err := checkUpstream(from, to); err != nil {
			errs = append(errs, fmt.Errorf("vcr: config: upstream %q: %w", from, err))
		}
	}
	if cfg.Listen != "" {
		if err := checkListen(cfg.Listen); err != nil {
			errs = append(errs, err)
		}
	}
	if cfg.Browser != "" && cfg.SharedBrowser != nil {
		errs = append(errs, errors.New("vcr: config: Browser and SharedBrowser are exclusive"))
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	log := cfg.Logger
	if log == nil {
		log = discard
	}
	return &Runner{cfg: cfg, log: log}, nil
}

// discard is the Logger of a nil Config.Logger.
var discard = slog.New(slog.DiscardHandler)

// Run is the outcome of running a check file.
type Run struct {
	// Results holds one Result per check that ran, in check-file order.
	// When the context was cancelled, the check it interrupted and the
	// ones after it are missing (see NotRun).
	Results []Result
	// NotRun counts the checks that did not run, or did not finish,
	// because the context was cancelled (the run was interrupted).
	NotRun int
	// Failures lists the exchanges with the live servers that failed
	// (recorder.Failure: refused, unreachable, reset, broken off, TLS
	// verification, timeout), for Record, Live and record-missing
	// replays. They are not in Cassette; each is also in the Upstream of
	// the result of the check that caused it.
	Failures []recorder.Failure

	seenFailures int // Failures taken by Results while the checks ran
	// Cassette is, for Record, what was recorded; for Replay, the cassette
	// replayed, with the interactions recorded in record-missing mode
	// appended (Added of them) and the origin map in force in its meta.
	Cassette *cassettes.Cassette
	// Added counts the interactions recorded in record-missing mode.
	Added int
	// appendOnly: a record-missing replay, whose Cassette is the replayed
	// one with only complete recorded exchanges appended (SaveRun).
	appendOnly bool
	// Browser is the version of the Chrome that ran the checks.
	Browser string
	// Shard is the share of the check file the run ran (SelectShard); nil
	// for the whole file. The caller sets it.
	Shard *ShardInfo
	// OriginMap is the origin mapping the replay used (Replay.OriginMap, or
	// the cassette's meta.origin_map); nil for none.
	OriginMap []cassettes.OriginMapping
}

// Record runs the checks of file live, through a recording proxy, and
// returns Chrome's verdicts and the cassette of what was recorded.
func (r *Runner) Record(ctx context.Context, file *checks.File) (*Run, error) {
	auth, err := r.recordAuthority(file, nil)
	if err != nil {
		return nil, err
	}
	rec, err := r.startRecorder(file, auth, browsercheck.Intercept)
	if err != nil {
		return nil, err
	}
	defer rec.Close()
	run, err := r.runIn(ctx, file, rec.URL(), auth, sources{rec: rec})
	if err != nil {
		return nil, err
	}
	if err := rec.Close(); err != nil {
		return nil, err
	}
	run.addFailures(rec.Failures())
	run.Cassette = &cassettes.Cassette{
		Version:      cassettes.FormatVersion,
		Meta:         cassettes.Meta{Corsvcr: r.cfg.Version, Browser: run.Browser},
		Interactions: rec.Interactions(),
	}
	return run, nil
}

// Live runs the checks of file live, as Record does, and keeps no cassette.
func (r *Runner) Live(ctx context.Context, file *checks.File) (*Run, error) {
	run, err := r.Record(ctx, file)
	if err != nil {
		return nil, err
	}
	run.Cassette = nil
	return run, nil
}

// Replay configures Runner.Replay.
type Replay struct {
	// Cassette holds the exchanges to replay. Required. Replay does not
	// modify it.
	Cassette *cassettes.Cassette
	// Strict makes a request whose matching recorded answers are used up,
	// or whose script-set headers or body match no recording of its match
	// key, a miss (replay.Config.Strict).
	Strict bool
	// OriginMap maps recorded origins to the origins the browser uses now
	// (replay.Config.OriginMap); nil means the cassette's meta.origin_map.
	// Not with Strict.
	OriginMap []cassettes.OriginMapping
	// RecordMissing sends every miss to the live server through a
	// recording proxy and appends what it records to Run.Cassette.
	RecordMissing bool
}

// ActiveOriginMap returns the origin mapping a replay configured by rp
// uses, and whether it comes from the cassette's meta.origin_map rather
// than rp.OriginMap. A mapping is never silent: callers say it is active.
func (rp Replay) ActiveOriginMap() (ms []cassettes.OriginMapping, fromCassette bool) {
	if len(rp.OriginMap) > 0 || rp.Cassette == nil {
		return rp.OriginMap, false
	}
	return rp.Cassette.Meta.OriginMap, len(rp.Cassette.Meta.OriginMap) > 0
}

// ErrStrictOriginMap is the error (wrapped) of a strict replay given an
// origin mapping: strict replay serves the recording unchanged.
var ErrStrictOriginMap = errors.New("strict replay serves the recording unchanged: it refuses an origin mapping")

// originMap returns the origin mapping in force, refusing one with Strict.
func (rp Replay) originMap() ([]cassettes.OriginMapping, error) {
	ms, fromCassette := rp.ActiveOriginMap()
	if len(ms) > 0 && rp.Strict {
		src := "Replay.OriginMap"
		if fromCassette {
			src = "the cassette's meta.origin_map"
		}
		return nil, fmt.Errorf("vcr: %s (%s): %w", src, DescribeOriginMap(ms), ErrStrictOriginMap)
	}
	return ms, nil
}

// Replay runs the checks of file against a replay of rp.Cassette (or, with
// rp.RecordMissing, against the replay with misses forwarded to the live
// servers and recorded), and returns Chrome's verdicts, the misses each
// check caused and the predictor's note on each verdict.
func (r *Runner) Replay(ctx context.Context, file *checks.File, rp Replay) (*Run, error) {
	if rp.Cassette == nil {
		return nil, errors.New("vcr: replay: nil cassette")
	}
	ms, err := rp.originMap()
	if err != nil {
		return nil, err
	}
	cas := *rp.Cassette
	cas.Meta.OriginMap = ms
	cfg := replay.Config{Cassette: &cas, Strict: rp.Strict, Intercept: browsercheck.Intercept, OriginMap: ms}

	authority := r.authority
	if rp.RecordMissing {
		authority = r.recordAuthority
	}
	auth, err := authority(file, &cas)
	if err != nil {
		return nil, err
	}
	var rec *recorder.Recorder
	if rp.RecordMissing {
		rec, err = r.startRecorder(file, auth, nil)
		if err != nil {
			return nil, err
		}
		defer rec.Close()
		cfg.Forward = viaProxy(rec.URL(), pool(auth))
	}
	srv, err := replay.NewServer(cfg, "", replay.WithCA(auth))
	if err != nil {
		return nil, err
	}
	defer srv.Close()
	run, err := r.runIn(ctx, file, srv.URL(), auth, sources{rp: srv.Replayer, rec: rec})
	if err != nil {
		return nil, err
	}
	if err := srv.Close(); err != nil {
		return nil, err
	}
	run.OriginMap = ms
	run.Cassette = &cas
	if rec != nil {
		if err := rec.Close(); err != nil {
			return nil, err
		}
		run.addFailures(rec.Failures())
		// The recorder holds complete exchanges only: failed or cut
		// ones are in Failures, never in Interactions.
		added := rec.Interactions()
		run.Added = len(added)
		run.appendOnly = true
		cas.Interactions = append(slices.Clip(cas.Interactions), added...)
	}
	return run, nil
}

// sources are what a run reads besides Chrome: the replay's journal (rp,
// for replays) and the recorder's failures (rec, when running live or
// recording misses). Either may be nil.
type sources struct {
	rp  *replay.Replayer
	rec *recorder.Recorder
}

// runIn runs the checks of file in a Chrome whose proxy is proxyURL and
// that trusts auth. Each result gets the recorder failures and (for a
// replay) the misses that arrived while its check ran, and, for a replay,
// the predictor's note. A run interrupted before Chrome started has every
// check in NotRun.
func (r *Runner) runIn(ctx context.Context, file *checks.File, proxyURL string, auth *ca.CA, src sources) (*Run, error) {
	if r.cfg.Listen != "" {
		rl, err := startRelay(r.cfg.Listen, strings.TrimPrefix(proxyURL, "http://"))
		if err != nil {
			return nil, err
		}
		defer rl.Close()
		proxyURL = rl.URL()
	}
	n := r.parallelism(src)
	bcfg := r.browserConfig(proxyURL, auth)
	bcfg.Workers = n
	b, err := browsercheck.New(ctx, bcfg)
	if err != nil {
		if ctx.Err() != nil {
			return &Run{NotRun: len(file.Checks)}, nil
		}
		return nil, err
	}
	run := &Run{Browser: b.Version()}
	start := time.Now()
	if src.rp != nil && src.rec == nil {
		run.Results = runParallel(ctx, b, file.Checks, src.rp, n)
	} else {
		run.Results, run.seenFailures = runChecks(ctx, b, file.Checks, src)
	}
	logThroughput(r.log, len(run.Results), n, time.Since(start))
	run.NotRun = len(file.Checks) - len(run.Results)
	if err := b.Close(); err != nil {
		return nil, err
	}
	return run, nil
}

// runChecks runs every check in b, one after another, until ctx is done. A
// check that ctx interrupted has no result. It also returns how many
// recorder failures the results took.
func runChecks(ctx context.Context, b *browsercheck.Browser, cs []checks.Check, src sources) ([]Result, int) {
	results := make([]Result, 0, len(cs))
	seenFailures := 0
	for _, c := range cs {
		if ctx.Err() != nil {
			break
		}
		var mark replay.JournalMark
		var sess *replay.Session
		if src.rp != nil {
			mark = src.rp.Mark()
			sess = src.rp.Session() // the replay as this check's requests find it
		}
		start := time.Now()
		vs, err := b.Check(ctx, c)
		took := time.Since(start)
		if err != nil && ctx.Err() != nil {
			break // interrupted: not a harness failure, and not a result
		}
		var upstream []string
		if src.rec != nil {
			// A failure is reported before the browser sees its connection
			// fail: the ones this check caused are here.
			fs := src.rec.Failures()
			upstream = failureTexts(fs[seenFailures:])
			seenFailures = len(fs)
		}
		var misses []string
		if src.rp != nil {
			es, dropped := src.rp.Since(mark)
			for _, e := range es {
				if e.Miss != nil {
					misses = append(misses, e.Miss.Error())
				}
			}
			if dropped > 0 {
				misses = append(misses, droppedMisses(dropped))
			}
		}
		res := result(c, vs, err, sess, misses)
		res.Duration, res.Upstream = took, upstream
		results = append(results, res)
	}
	return results, seenFailures
}

// addFailures sets run.Failures to all, the recorder's final list, and
// gives the failures no check took (they ended after the last check ran,
// e.g. past its timeout) to the last result.
func (run *Run) addFailures(all []recorder.Failure) {
	run.Failures = all
	if len(run.Results) > 0 && len(all) > run.seenFailures {
		last := &run.Results[len(run.Results)-1]
		for _, u := range failureTexts(all[run.seenFailures:]) {
			if !slices.Contains(last.Upstream, u) {
				last.Upstream = append(last.Upstream, u)
			}
		}
	}
}

// failureTexts renders failures, each once.
func failureTexts(fs []recorder.Failure) []string {
	var out []string
	for _, f := range fs {
		if s := f.Error(); !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// startRecorder starts a recording proxy for file's checks.
func (r *Runner) startRecorder(file *checks.File, auth *ca.CA, intercept func(*http.Request) http.Handler) (*recorder.Recorder, error) {
	hosts := r.cfg.RecordHosts
	if len(hosts) == 0 {
		hosts = file.Hosts()
	}
	timeout := cmp.Or(r.cfg.Timeout, browsercheck.DefaultTimeout)
	return recorder.Start(recorder.Config{
		Hosts:           hosts,
		Upstreams:       r.cfg.Upstreams,
		Intercept:       intercept,
		Logger:          r.log,
		CA:              auth,
		UpstreamRootCAs: r.cfg.UpstreamRootCAs,
		UpstreamTimeout: timeout - timeout/5,
	})
}

// authority returns the per-user certificate authority, created if
// missing, when a check (page or request) or an interaction of cas names
// an https URL; else nil.
func (r *Runner) authority(file *checks.File, cas *cassettes.Cassette) (*ca.CA, error) {
	if !usesHTTPS(file, cas) {
		return nil, nil
	}
	dir, err := ca.ResolveDir(r.cfg.CADir)
	if err != nil {
		return nil, err
	}
	return ca.LoadOrCreate(dir)
}

// recordAuthority is authority for a run that records: when nothing names
// https, a CA held in memory for this run only (nothing is written), so
// that a redirect from an http URL to an https one is recorded too, hops
// included, with Chrome trusting the CA by its pin. An attached or shared
// browser cannot be given a pin: there such a redirect fails as before.
func (r *Runner) recordAuthority(file *checks.File, cas *cassettes.Cassette) (*ca.CA, error) {
	auth, err := r.authority(file, cas)
	if auth != nil || err != nil || r.cfg.Browser != "" || r.cfg.SharedBrowser != nil {
		return auth, err
	}
	return ca.New()
}

// usesHTTPS reports whether a check or an interaction names an https URL.
func usesHTTPS(file *checks.File, cas *cassettes.Cassette) bool {
	if file != nil {
		for _, ch := range file.Checks {
			if isHTTPS(ch.Page) {
				return true
			}
			for _, s := range ch.Steps {
				if isHTTPS(s.Request.URL) {
					return true
				}
			}
		}
	}
	if cas != nil {
		for _, in := range cas.Interactions {
			if isHTTPS(in.Request.URL) {
				return true
			}
		}
	}
	return false
}

func isHTTPS(raw string) bool {
	u, err := url.Parse(raw)
	return err == nil && u.Scheme == "https"
}

// pins returns the SPKI pins Chrome must trust for a: none for nil.
func pins(a *ca.CA) []string {
	if a == nil {
		return nil
	}
	return []string{a.SPKIPin()}
}

// pool returns a's certificate pool, or nil (the system roots) for nil.
func pool(a *ca.CA) *x509.CertPool {
	if a == nil {
		return nil
	}
	return a.Pool()
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

// Serve starts a replay of rp for clients other than corsvcr's Chrome: a
// replay.Server on addr ("" means 127.0.0.1:0) that answers proxy requests,
// and direct ones as if sent to host (replay.Config.Host). When the
// cassette holds https exchanges it serves them with certificates of the
// per-user authority, which it returns (else nil). rp.RecordMissing is not
// supported. The caller closes the server.
func (r *Runner) Serve(rp Replay, addr, host string) (*replay.Server, *ca.CA, error) {
	if rp.Cassette == nil {
		return nil, nil, errors.New("vcr: serve: nil cassette")
	}
	if rp.RecordMissing {
		return nil, nil, errors.New("vcr: serve: record-missing is not supported")
	}
	ms, err := rp.originMap()
	if err != nil {
		return nil, nil, err
	}
	auth, err := r.authority(nil, rp.Cassette)
	if err != nil {
		return nil, nil, err
	}
	srv, err := replay.NewServer(replay.Config{Cassette: rp.Cassette, Strict: rp.Strict, Host: host, OriginMap: ms}, addr, replay.WithCA(auth))
	if err != nil {
		return nil, nil, err
	}
	return srv, auth, nil
}
