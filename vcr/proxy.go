package vcr

import (
	"cmp"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/corsvcr/corsvcr/ca"
	"github.com/corsvcr/corsvcr/cassettes"
	"github.com/corsvcr/corsvcr/internal/fetch"
	"github.com/corsvcr/corsvcr/recorder"
	"github.com/corsvcr/corsvcr/replay"
)

// ProxyMode is what a Proxy does with the requests it gets.
type ProxyMode string

const (
	// ProxyRecord forwards every request to the live servers and records
	// the exchanges into a new cassette.
	ProxyRecord ProxyMode = "record"
	// ProxyReplay answers from a cassette and never touches the network; a
	// request the cassette lacks is a miss (599, journaled).
	ProxyReplay ProxyMode = "replay"
	// ProxyRecordMissing answers from a cassette and forwards the requests
	// it lacks to the live servers, recording them and appending them to
	// the cassette.
	ProxyRecordMissing ProxyMode = "record-missing"
)

// DefaultSaveEvery is how often a recording Proxy saves its cassette while
// running, when something changed, by default.
const DefaultSaveEvery = 3 * time.Second

// ProxyOptions configures Runner.Proxy. The Runner's Config supplies the
// upstreams (Config.Upstreams, UpstreamRootCAs), the hosts to record
// (Config.RecordHosts), the CA directory (Config.CADir), the cassette
// version (Config.Version) and the logger.
type ProxyOptions struct {
	// Mode is required.
	Mode ProxyMode
	// Addr is the loopback address to listen on (replay.ListenAddr); ""
	// means 127.0.0.1:0.
	Addr string
	// Cassette is what ProxyReplay and ProxyRecordMissing replay; required
	// for them, and must be nil for ProxyRecord. It is not modified.
	Cassette *cassettes.Cassette
	// Strict and OriginMap are those of Replay (replay modes only).
	Strict    bool
	OriginMap []cassettes.OriginMapping
	// Path is the cassette file the record modes save to (Save, with Save
	// options): every SaveEvery while running when something was recorded
	// since the last save, and at Close. "" saves nothing; Snapshot still
	// returns what would be saved.
	Path string
	// SaveEvery is the interval of the saves while running; 0 means
	// DefaultSaveEvery, a negative value saves at Close only.
	SaveEvery time.Duration
	// Save are the options of every save: redaction and the secrets scan
	// apply as for Save.
	Save SaveOptions
	// ExchangeTimeout bounds each exchange with a live server; 0 means
	// recorder.DefaultUpstreamTimeout.
	ExchangeTimeout time.Duration
	// OnSave, when non-nil, is called after every save attempt, from the
	// goroutine that saved; a failed save while running is then reported
	// to it only (else it is logged).
	OnSave func(SaveEvent)
}

// SaveEvent reports one save of a recording Proxy's cassette.
type SaveEvent struct {
	Path string
	// Interactions counts the interactions of the cassette written (the
	// replayed ones included in record-missing mode).
	Interactions int
	// Final is set for the save Close makes.
	Final bool
	// Err is why nothing was written (a *redact.SecretsError, an I/O
	// error); nil when the file was written.
	Err error
}

// Proxy is a running recording or replaying forward proxy for any browser
// or HTTP client (Runner.Proxy). Close stops it.
type Proxy struct {
	opts ProxyOptions
	r    *Runner
	auth *ca.CA
	url  string

	rec *recorder.Recorder // record modes
	srv *replay.Server     // replay modes
	// base is the replayed cassette (replay modes), deep-copied by
	// Snapshot.
	base *cassettes.Cassette

	background atomic.Int64 // background requests answered locally
	upgrades   atomic.Int64 // protocol upgrades (WebSocket) refused locally

	saveMu    sync.Mutex
	lastSaved int // interactions recorded at the last successful save; -1: none yet
	saves     int
	saveErr   error

	stop      chan struct{}
	stopped   chan struct{}
	closeOnce sync.Once
	summary   *ProxySummary
	closeErr  error
}

// Proxy starts a forward proxy for HTTP and HTTPS on opts.Addr: record
// mode forwards every request and records it as Record does (preflights,
// actual requests and redirect hops; failed exchanges are reported, never
// recorded); replay mode answers from opts.Cassette and never touches the
// network; record-missing mode replays and forwards and records the
// misses. HTTPS is intercepted with the per-user certificate authority
// (created if missing; Proxy.CA), which the client must trust.
//
// With Config.RecordHosts empty every host is recorded except the
// browsers' own background traffic (fetch.IsBackgroundHost): those
// requests are answered locally, in every mode, with a 503 and an
// X-Corsvcr-Background header, never forwarded, recorded or counted as
// misses. A background host listed in Config.RecordHosts is treated like
// any other. A protocol upgrade (WebSocket handshake) is answered locally
// too, in every mode, with UpgradeAnswer.
func (r *Runner) Proxy(opts ProxyOptions) (*Proxy, error) {
	var errs []error
	switch opts.Mode {
	case ProxyRecord:
		if opts.Cassette != nil {
			errs = append(errs, errors.New("vcr: proxy: record mode records a new cassette: Cassette must be nil"))
		}
	case ProxyReplay, ProxyRecordMissing:
		if opts.Cassette == nil {
			errs = append(errs, fmt.Errorf("vcr: proxy: %s mode: nil cassette", opts.Mode))
		}
		if opts.Path != "" && opts.Mode == ProxyReplay {
			errs = append(errs, errors.New("vcr: proxy: replay mode writes nothing: Path must be empty"))
		}
	default:
		errs = append(errs, fmt.Errorf("vcr: proxy: mode %q is not one of record, replay, record-missing", opts.Mode))
	}
	if opts.ExchangeTimeout < 0 {
		errs = append(errs, fmt.Errorf("vcr: proxy: exchange timeout %s: negative", opts.ExchangeTimeout))
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	var ms []cassettes.OriginMapping
	if opts.Cassette != nil {
		var err error
		if ms, err = (Replay{Cassette: opts.Cassette, Strict: opts.Strict, OriginMap: opts.OriginMap}).originMap(); err != nil {
			return nil, err
		}
	}
	dir, err := ca.ResolveDir(r.cfg.CADir)
	if err != nil {
		return nil, err
	}
	auth, err := ca.LoadOrCreate(dir)
	if err != nil {
		return nil, err
	}
	if opts.SaveEvery == 0 {
		opts.SaveEvery = DefaultSaveEvery
	}
	p := &Proxy{opts: opts, r: r, auth: auth, lastSaved: -1, stop: make(chan struct{}), stopped: make(chan struct{})}
	bg := p.backgroundIntercept()
	recCfg := recorder.Config{
		Hosts:           r.cfg.RecordHosts,
		Upstreams:       r.cfg.Upstreams,
		CA:              auth,
		UpstreamRootCAs: r.cfg.UpstreamRootCAs,
		UpstreamTimeout: opts.ExchangeTimeout,
		Logger:          r.log,
	}
	switch opts.Mode {
	case ProxyRecord:
		recCfg.Addr = opts.Addr
		recCfg.Intercept = bg
		if recCfg.Addr == "" {
			recCfg.Addr = "127.0.0.1:0"
		} else if recCfg.Addr, err = replay.ListenAddr(opts.Addr); err != nil {
			return nil, fmt.Errorf("vcr: proxy: listen %q: %w", opts.Addr, err)
		}
		if p.rec, err = recorder.Start(recCfg); err != nil {
			return nil, err
		}
		p.url = p.rec.URL()
	default:
		cas := *opts.Cassette
		cas.Meta.OriginMap = ms
		p.base = &cas
		cfg := replay.Config{Cassette: &cas, Strict: opts.Strict, OriginMap: ms, Intercept: bg}
		if opts.Mode == ProxyRecordMissing {
			if p.rec, err = recorder.Start(recCfg); err != nil {
				return nil, err
			}
			cfg.Forward = viaProxy(p.rec.URL(), auth.Pool())
			// Every forward is a journal entry, and the exit summary reads
			// the failed ones from the journal: keep as many as the
			// recorder keeps exchanges, not the default first 1024.
			cfg.JournalLimit = recordMissingJournal
		}
		if p.srv, err = replay.NewServer(cfg, opts.Addr, replay.WithCA(auth)); err != nil {
			if p.rec != nil {
				p.rec.Close()
			}
			return nil, err
		}
		p.url = p.srv.URL()
	}
	go p.autosave()
	return p, nil
}

// URL is the proxy's URL, e.g. "http://127.0.0.1:41234".
func (p *Proxy) URL() string { return p.url }

// CA is the certificate authority the proxy intercepts HTTPS with: the
// client must trust it (its SPKIPin for Chrome, its CertFile elsewhere).
func (p *Proxy) CA() *ca.CA { return p.auth }

// BackgroundAnswer is the status of the answer a Proxy gives a browser's
// background request (fetch.IsBackgroundHost).
const BackgroundAnswer = http.StatusServiceUnavailable

// backgroundIntercept answers browser background traffic locally, unless
// the host is listed in Config.RecordHosts. CONNECT tunnels are let
// through: the requests inside them are answered.
func (p *Proxy) backgroundIntercept() func(*http.Request) http.Handler {
	listed := map[string]bool{}
	for _, h := range p.r.cfg.RecordHosts {
		host := h
		if hh, _, err := net.SplitHostPort(h); err == nil {
			host = hh
		}
		listed[strings.ToLower(strings.TrimSuffix(host, "."))] = true
	}
	answer := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("X-Corsvcr-Background", "browser background traffic: answered by corsvcr, not forwarded or recorded")
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(BackgroundAnswer)
		fmt.Fprintln(w, "corsvcr: browser background traffic is not forwarded or recorded")
	})
	upgrade := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("X-Corsvcr-Upgrade", "protocol upgrades (WebSocket) are not proxied, recorded or replayed")
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(UpgradeAnswer)
		fmt.Fprintln(w, "corsvcr: protocol upgrades (WebSocket) are not proxied, recorded or replayed")
	})
	return func(req *http.Request) http.Handler {
		if req.Method == http.MethodConnect {
			return nil
		}
		if isUpgrade(req) {
			p.upgrades.Add(1)
			return upgrade
		}
		host := cmp.Or(req.URL.Host, req.Host)
		if h, _, err := net.SplitHostPort(host); err == nil {
			host = h
		}
		if !fetch.IsBackgroundHost(host) || listed[strings.ToLower(strings.TrimSuffix(host, "."))] {
			return nil
		}
		p.background.Add(1)
		return answer
	}
}

// UpgradeAnswer is the status of the answer a Proxy gives a request for a
// protocol upgrade (a WebSocket handshake, such as a dev server's hot
// reload socket): it answers it itself, in every mode. Forwarded, the
// upgraded connection never ends, so the exchange could never be recorded
// and Close would wait for it forever.
const UpgradeAnswer = http.StatusNotImplemented

// isUpgrade reports whether req asks to switch protocols (RFC 9110
// Upgrade; a WebSocket handshake).
func isUpgrade(req *http.Request) bool {
	if req.Header.Get("Sec-Websocket-Key") != "" {
		return true
	}
	// Only a WebSocket handshake: another Upgrade (h2c) is a request the
	// server may answer as usual, and is forwarded without it.
	for _, v := range req.Header.Values("Upgrade") {
		for tok := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(strings.TrimSpace(tok), "websocket") {
				return true
			}
		}
	}
	return false
}

// recorded returns what the recorder holds: complete exchanges only.
func (p *Proxy) recorded() []cassettes.Interaction {
	if p.rec == nil {
		return nil
	}
	return p.rec.Interactions()
}

// Snapshot returns the cassette the proxy would save now, unredacted: in
// record mode what was recorded so far, in the replay modes the replayed
// cassette with what was recorded appended. It is a copy.
func (p *Proxy) Snapshot() *cassettes.Cassette {
	return p.snapshot(p.recorded())
}

func (p *Proxy) snapshot(added []cassettes.Interaction) *cassettes.Cassette {
	if p.base == nil {
		return &cassettes.Cassette{
			Version:      cassettes.FormatVersion,
			Meta:         cassettes.Meta{Corsvcr: p.r.cfg.Version},
			Interactions: added,
		}
	}
	cas := *p.base
	cas.Meta.OriginMap = slices.Clone(cas.Meta.OriginMap)
	cas.Interactions = make([]cassettes.Interaction, 0, len(p.base.Interactions)+len(added))
	for _, in := range p.base.Interactions {
		cas.Interactions = append(cas.Interactions, cloneInteraction(in))
	}
	cas.Interactions = append(cas.Interactions, added...)
	return &cas
}

// cloneInteraction deep-copies in: a save redacts in place.
func cloneInteraction(in cassettes.Interaction) cassettes.Interaction {
	in.Request.Headers = slices.Clone(in.Request.Headers)
	in.Request.Body = slices.Clone(in.Request.Body)
	in.Response.Headers = slices.Clone(in.Response.Headers)
	in.Response.Body = slices.Clone(in.Response.Body)
	return in
}

// Save writes the cassette to ProxyOptions.Path now, if something was
// recorded since the last save (or nothing was saved yet and something
// was recorded), and reports whether it wrote. The replay mode, and a
// proxy without Path, never write.
func (p *Proxy) Save() (bool, error) { return p.save(false) }

func (p *Proxy) save(final bool) (bool, error) {
	if p.opts.Path == "" || p.rec == nil {
		return false, nil
	}
	p.saveMu.Lock()
	defer p.saveMu.Unlock()
	added := p.recorded()
	if len(added) == p.lastSaved || (p.lastSaved < 0 && len(added) == 0) {
		return false, nil
	}
	cas := p.snapshot(added)
	err := Save(p.opts.Path, cas, p.opts.Save)
	if err == nil {
		p.lastSaved = len(added)
		p.saves++
	}
	p.saveErr = err
	if p.opts.OnSave != nil {
		p.opts.OnSave(SaveEvent{Path: p.opts.Path, Interactions: len(cas.Interactions), Final: final, Err: err})
	}
	return err == nil, err
}

// autosave saves every SaveEvery until Close.
func (p *Proxy) autosave() {
	defer close(p.stopped)
	if p.opts.SaveEvery < 0 || p.opts.Path == "" || p.rec == nil {
		<-p.stop
		return
	}
	tick := time.NewTicker(p.opts.SaveEvery)
	defer tick.Stop()
	for {
		select {
		case <-p.stop:
			return
		case <-tick.C:
			// OnSave, when set, reports the failure: logging it too would
			// say it twice at every interval.
			if _, err := p.save(false); err != nil && p.opts.OnSave == nil {
				p.r.log.Error("vcr: proxy: save failed; retrying at the next interval", "path", p.opts.Path, "err", err)
			}
		}
	}
}

// HostCount is a number of interactions of one authority.
type HostCount struct {
	Host  string // "host:port", the port written out
	Count int
}

// ProxySummary is what a Proxy did, returned by Close.
type ProxySummary struct {
	Mode ProxyMode
	// Recorded counts the exchanges recorded by this proxy, per host, most
	// first; Replayed the requests answered from the cassette.
	Recorded []HostCount
	Replayed []HostCount
	// Misses are the requests the cassette lacked (replay mode), as for
	// a Server (SummarizeMisses, all groups). In record-missing mode only
	// those not forwarded: a miss forwarded to a live server that failed
	// is one of Failures.
	Misses MissSummary
	// Failures are the exchanges with live servers that failed: they are
	// not in the cassette.
	Failures []recorder.Failure
	// Background counts the browser background requests answered locally.
	Background int
	// Upgrades counts the protocol upgrade (WebSocket) requests answered
	// locally with UpgradeAnswer.
	Upgrades int
	// Path is the cassette written (record modes), Interactions its
	// interactions and Saves how many times it was written; Saves is 0
	// when nothing was recorded (nothing is written then).
	Path         string
	Interactions int
	Saves        int
	// Unsaved counts the exchanges this proxy recorded that are not in
	// the file: a save after the last successful one failed (or none
	// succeeded).
	Unsaved int
}

// Close stops the proxy: it stops accepting connections, waits (bounded,
// as recorder.Recorder.Close and replay.Server.Close do) for exchanges in
// flight, saves the cassette a last time in record modes (when something
// changed) and returns the summary. The error is a failed close or final
// save (a *redact.SecretsError refusal included); the summary is returned
// with it. Close is idempotent.
func (p *Proxy) Close() (*ProxySummary, error) {
	p.closeOnce.Do(func() {
		close(p.stop)
		<-p.stopped
		var errs []error
		if p.srv != nil {
			if err := p.srv.Close(); err != nil {
				errs = append(errs, err)
			}
		}
		if p.rec != nil {
			if err := p.rec.Close(); err != nil {
				errs = append(errs, err)
			}
		}
		sum := &ProxySummary{Mode: p.opts.Mode, Background: int(p.background.Load()), Upgrades: int(p.upgrades.Load())}
		if _, err := p.save(true); err != nil {
			errs = append(errs, err)
		}
		added := p.recorded()
		sum.Recorded = countHosts(len(added), func(i int) string { return added[i].Request.URL })
		if p.rec != nil {
			sum.Failures = p.rec.Failures()
		}
		if p.srv != nil {
			// The replay keeps counts, not every hit: each recorded
			// interaction's uses, under its recorded URL's host.
			ins, uses := p.srv.Cassette().Interactions, p.srv.Uses()
			sum.Replayed = countHostsWeighted(len(uses), func(i int) (string, int) { return ins[i].Request.URL, uses[i] })
			if p.rec != nil {
				// record-missing: a miss whose forward failed is a failed
				// exchange, not a miss (the kept journal entries).
				j := p.srv.Journal()
				j, sum.Failures = forwardFailures(j, sum.Failures)
				sum.Misses = SummarizeMisses(j, 0)
			} else {
				sum.Misses = SummarizeReplayMisses(p.srv.Replayer, 0)
			}
		}
		if p.opts.Path != "" && p.rec != nil {
			p.saveMu.Lock()
			sum.Path, sum.Saves = p.opts.Path, p.saves
			if p.saves > 0 {
				sum.Interactions = p.lastSaved
				if p.base != nil {
					sum.Interactions += len(p.base.Interactions)
				}
			}
			sum.Unsaved = len(added) - max(p.lastSaved, 0)
			p.saveMu.Unlock()
		}
		p.summary, p.closeErr = sum, errors.Join(errs...)
	})
	return p.summary, p.closeErr
}

// forwardFailures moves the misses of a record-missing journal that were
// forwarded and failed out of the journal: they are failed exchanges, as
// in record mode (the recorder reports those of recorded hosts; the
// others, e.g. of a host --record-host does not name, are added to
// failures), not replay misses. It returns the journal without them and
// the failures.
func forwardFailures(journal []replay.Entry, failures []recorder.Failure) ([]replay.Entry, []recorder.Failure) {
	reported := map[string]int{}
	for _, f := range failures {
		reported[f.Method+" "+authorityOf(f.URL)+" "+pathOf(f.URL)]++
	}
	kept := journal[:0:0]
	for _, e := range journal {
		if e.Miss == nil || e.Miss.ForwardErr == nil {
			kept = append(kept, e)
			continue
		}
		k := e.Miss.Method + " " + authorityOf(e.Miss.URL) + " " + pathOf(e.Miss.URL)
		if reported[k] > 0 {
			reported[k]--
			continue
		}
		host := authorityOf(e.Miss.URL)
		failures = append(failures, recorder.Failure{Method: e.Miss.Method, URL: e.Miss.URL, Host: host, Err: fmt.Errorf("upstream %s: forward failed: %w", host, e.Miss.ForwardErr)})
	}
	return kept, failures
}

// pathOf returns the path and query of an absolute URL; the URL itself
// when it cannot be parsed.
func pathOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	return u.RequestURI()
}

// recordMissingJournal is the replay journal limit of a record-missing
// proxy: the forwarded requests whose failures the exit summary lists.
const recordMissingJournal = 1 << 20

// countHosts counts n URLs (at(i)) by authority, most first, then by name.
func countHosts(n int, at func(i int) string) []HostCount {
	return countHostsWeighted(n, func(i int) (string, int) { return at(i), 1 })
}

// countHostsWeighted counts n URLs by authority, the i-th weighing w.
func countHostsWeighted(n int, at func(i int) (url string, w int)) []HostCount {
	counts := map[string]int{}
	for i := range n {
		if u, w := at(i); w > 0 {
			counts[authorityOf(u)] += w
		}
	}
	out := make([]HostCount, 0, len(counts))
	for h, c := range counts {
		out = append(out, HostCount{Host: h, Count: c})
	}
	slices.SortFunc(out, func(a, b HostCount) int {
		return cmp.Or(cmp.Compare(b.Count, a.Count), strings.Compare(a.Host, b.Host))
	})
	return out
}

// authorityOf returns the host:port of an absolute URL, the default port
// written out; the URL itself when it has no host.
func authorityOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return raw
	}
	port := u.Port()
	if port == "" {
		port = fetch.DefaultPort(u.Scheme)
	}
	return net.JoinHostPort(strings.ToLower(u.Hostname()), port)
}
