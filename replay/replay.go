package replay

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/corsvcr/corsvcr/cassettes"
	"github.com/corsvcr/corsvcr/internal/fetch"
)

// Config configures a Replayer.
type Config struct {
	// Cassette holds the exchanges to serve. Required. It must not be
	// modified while the Replayer is in use.
	Cassette *cassettes.Cassette
	// Strict makes a request whose recorded answers are all used up a miss;
	// by default the last recorded answer repeats.
	Strict bool
	// Forward, when non-nil, receives every miss (record-missing mode): the
	// response it returns is served and the journal marks it forwarded.
	// The request it gets is an outbound client request: absolute URL,
	// RequestURI empty, hop-by-hop headers removed, the inbound request's
	// context. When it fails, the miss is served as if Forward were nil and
	// the error is in MissError.ForwardErr.
	Forward http.RoundTripper
	// Intercept, when non-nil and returning a non-nil handler for a request,
	// serves that request locally: it is neither matched nor journaled.
	Intercept func(*http.Request) http.Handler
	// Host is the authority assumed for origin-form requests (direct use by
	// non-proxy clients), e.g. "localhost:8000", with scheme http; it may
	// also be given as "https://localhost:8443" to assume https. "" matches
	// origin-form requests on path and query against any recorded host.
	Host string
	// OriginMap declares, in order, recorded origins (From) that stand for
	// the origins the browser uses now (To), as in cassettes.Meta.OriginMap:
	// a request whose Origin is a To matches as if it carried its From, and
	// a served Access-Control-Allow-Origin equal to a From is served as its
	// To (in recorded responses and forwarded ones alike; a forwarded
	// request carries the From). Only exact, whole-value equality counts;
	// Vary and every other header are served as recorded. nil maps nothing.
	// Not allowed with Strict, which serves the recording unchanged.
	OriginMap []cassettes.OriginMapping
}

// Replayer matches requests against a cassette and serves the recorded
// responses. It is an http.Handler that accepts proxy (absolute-form) and
// direct (origin-form) requests and is safe for concurrent use.
type Replayer struct {
	cfg        Config
	hostScheme string // from Config.Host; "" when Config.Host is ""
	hostHost   string

	ints   []prepared
	toFrom map[string]string // Config.OriginMap, To → From
	fromTo map[string]string // Config.OriginMap, From → To
	// redactedParams holds the query parameter names whose recorded values
	// are redaction placeholders; they match any value (see matchQuery).
	redactedParams map[string]bool
	byKey          map[key]*queue // full keys
	byPath         map[key]*queue // hostless keys, for origin-form requests without Config.Host

	mu      sync.Mutex
	journal [][]Entry // chunks of journalChunk entries: appending never copies old entries
	entries int
}

// journalChunk is the capacity of one journal chunk.
const journalChunk = 1024

// prepared is an interaction ready to serve.
type prepared struct {
	key    key
	url    string // key.url(), precomputed for the journal
	kind   cassettes.Kind
	status int
	// header is copied into the ResponseWriter's map as is: recorded names
	// and case, duplicates in order, nil Date and Content-Type entries that
	// stop net/http from adding its own. Slices are clipped, so an append by
	// a later writer cannot reach the shared array.
	header        http.Header
	contentLength []string // set when not recorded and a body is allowed; not for HEAD
	dateKey       string   // the recorded Date header's name; served with the time of serving
	bodyAllowed   bool
	body          []byte
}

// queue holds the interactions answering one key, in recorded order, and
// how many requests it has answered.
type queue struct {
	idx  []int
	used atomic.Int64
}

// New validates cfg and returns a Replayer. Every problem is reported at
// once (errors.Join).
func New(cfg Config) (*Replayer, error) {
	if cfg.Cassette == nil {
		return nil, errors.New("replay: config: nil cassette")
	}
	r := &Replayer{
		cfg:    cfg,
		ints:   make([]prepared, len(cfg.Cassette.Interactions)),
		byKey:  make(map[key]*queue),
		byPath: make(map[key]*queue),
	}
	var errs []error
	if cfg.Host != "" {
		s, h, err := parseHost(cfg.Host)
		if err != nil {
			errs = append(errs, err)
		}
		r.hostScheme, r.hostHost = s, h
	}
	errs = append(errs, r.originMap(cfg)...)
	for i := range cfg.Cassette.Interactions {
		in := &cfg.Cassette.Interactions[i]
		p, err := prepare(in, r.fromTo)
		if err != nil {
			errs = append(errs, fmt.Errorf("replay: interaction %d: %w", i, err))
			continue
		}
		p.key.query = redactedQuery(p.key.query, r.noteRedacted)
		p.url = p.key.url()
		r.ints[i] = p
		add(r.byKey, p.key, i)
		add(r.byPath, p.key.hostless(), i)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return r, nil
}

// originMap validates cfg.OriginMap and indexes it.
func (r *Replayer) originMap(cfg Config) []error {
	if len(cfg.OriginMap) == 0 {
		return nil
	}
	var errs []error
	if cfg.Strict {
		errs = append(errs, errors.New("replay: config: OriginMap cannot be used with Strict (strict replay serves the recording unchanged)"))
	}
	r.toFrom = make(map[string]string, len(cfg.OriginMap))
	r.fromTo = make(map[string]string, len(cfg.OriginMap))
	for j, m := range cfg.OriginMap {
		for _, o := range []struct{ name, v string }{{"from", m.From}, {"to", m.To}} {
			if prob := fetch.OriginProblem(o.v); prob != "" {
				errs = append(errs, fmt.Errorf("replay: config: OriginMap[%d].%s: %s", j, o.name, prob))
			}
		}
		if _, dup := r.fromTo[m.From]; dup {
			errs = append(errs, fmt.Errorf("replay: config: OriginMap[%d]: %q is mapped twice", j, m.From))
		}
		if _, dup := r.toFrom[m.To]; dup {
			errs = append(errs, fmt.Errorf("replay: config: OriginMap[%d]: %q is the target of two mappings", j, m.To))
		}
		r.fromTo[m.From] = m.To
		r.toFrom[m.To] = m.From
	}
	return errs
}

// noteRedacted records a query parameter whose recorded value is a
// redaction placeholder.
func (r *Replayer) noteRedacted(name string) {
	if r.redactedParams == nil {
		r.redactedParams = map[string]bool{}
	}
	r.redactedParams[name] = true
}

func add(m map[key]*queue, k key, i int) {
	q := m[k]
	if q == nil {
		q = new(queue)
		m[k] = q
	}
	q.idx = append(q.idx, i)
}

// parseHost parses Config.Host into a scheme and a normalised host.
func parseHost(s string) (scheme, host string, err error) {
	scheme, rest := "http", s
	if i := strings.Index(s, "://"); i >= 0 {
		scheme, rest = fetch.ByteLowercase(s[:i]), strings.TrimSuffix(s[i+3:], "/")
		if scheme != "http" && scheme != "https" {
			return "", "", fmt.Errorf("replay: config: host %q: scheme must be http or https", s)
		}
	}
	if rest == "" || strings.ContainsAny(rest, "/?# \t\r\n") {
		return "", "", fmt.Errorf("replay: config: host %q: not an authority (host[:port])", s)
	}
	return scheme, fetch.SerializeHost(scheme, rest), nil
}

// prepare validates a recorded interaction and precomputes its key and
// response. acao maps served Access-Control-Allow-Origin values (see
// Config.OriginMap); nil maps none.
func prepare(in *cassettes.Interaction, acao map[string]string) (prepared, error) {
	rq, rs := &in.Request, &in.Response
	if rq.Method == "" {
		return prepared{}, errors.New("empty method")
	}
	u, err := url.Parse(rq.URL)
	if err != nil {
		return prepared{}, fmt.Errorf("url: %w", err)
	}
	if u.Scheme == "" || u.Host == "" {
		return prepared{}, fmt.Errorf("url %q: not absolute", rq.URL)
	}
	if why := cassettes.StatusProblem(rs.Status); why != "" {
		// A cassette built in Go; a loaded one was validated already.
		return prepared{}, errors.New("response.status: " + why)
	}
	p := prepared{
		key:         recordedKey(rq, u),
		kind:        in.Kind,
		status:      rs.Status,
		header:      make(http.Header, len(rs.Headers)+2),
		bodyAllowed: rs.Status != http.StatusNoContent && rs.Status != http.StatusNotModified,
		body:        rs.Body,
	}
	p.url = p.key.url()
	if p.kind == "" {
		p.kind = cassettes.Classify(rq.Method, rq.Headers)
	}
	for _, f := range rs.Headers {
		name := f.Name
		switch {
		case asciiEqualFold(name, "Transfer-Encoding"):
			continue // the body is served with a length
		case asciiEqualFold(name, "Content-Length"):
			name = "Content-Length" // net/http frames the body by this exact key
		case asciiEqualFold(name, "Date"):
			p.dateKey = name
		case asciiEqualFold(name, "Access-Control-Allow-Origin"):
			if to, ok := acao[f.Value]; ok {
				p.header[name] = append(p.header[name], to)
				continue
			}
		}
		p.header[name] = append(p.header[name], f.Value)
	}
	for name, vs := range p.header {
		p.header[name] = slices.Clip(vs)
	}
	for _, name := range []string{"Date", "Content-Type"} {
		if _, ok := p.header[name]; !ok {
			p.header[name] = nil
		}
	}
	if _, ok := p.header["Content-Length"]; !ok && p.bodyAllowed {
		p.contentLength = []string{strconv.Itoa(len(rs.Body))}
	}
	return p, nil
}

// ServeHTTP serves req from the cassette: Config.Intercept first, then the
// recorded answer for req's match key, else a miss (see the package
// documentation).
func (r *Replayer) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	if r.cfg.Intercept != nil {
		if h := r.cfg.Intercept(req); h != nil {
			h.ServeHTTP(w, req)
			return
		}
	}
	if req.Method == http.MethodConnect {
		r.serveConnect(w, req)
		return
	}
	k, hostless := r.requestKey(req)
	q := r.queue(k, hostless)
	n := 0
	if q != nil {
		n = int(q.used.Add(1)) // this request's 1-based ordinal for k
	}
	// bk is k with the browser's own Origin: what a miss answer echoes.
	bk := k
	if r.toFrom != nil {
		bk.origin, bk.hasOrigin = first(headerValues(req.Header, "Origin"))
	}
	i, me := r.pick(k, hostless, q, n)
	if me == nil {
		p := &r.ints[i]
		r.record(Entry{Method: req.Method, URL: p.url, Origin: bk.origin, Hit: i})
		serveRecorded(w, req, p)
		return
	}
	if r.cfg.Forward != nil {
		r.forward(w, req, bk, me)
		return
	}
	r.record(Entry{Method: req.Method, URL: me.URL, Origin: bk.origin, Hit: -1, Miss: me})
	r.serveMiss(w, req, bk, me)
}

// requestKey returns req's match key, and whether it is hostless (see
// matchKey).
func (r *Replayer) requestKey(req *http.Request) (key, bool) {
	return r.matchKey(req.Method, req.URL, func(name string) []string { return headerValues(req.Header, name) })
}

// matchKey returns the match key of an incoming request of method method
// for u whose header values values returns, and whether it is hostless (an
// origin-form request without Config.Host). A mapped Origin (see
// Config.OriginMap) is the recorded one in the key, and redacted query
// parameters match any value.
func (r *Replayer) matchKey(method string, u *url.URL, values func(name string) []string) (key, bool) {
	var k key
	hostless := false
	switch {
	case u.Host != "":
		k = newKey(method, u, values)
	case r.hostHost == "":
		k, hostless = newKey(method, u, values), true
	default:
		v := *u
		v.Scheme, v.Host = r.hostScheme, r.hostHost
		k = newKey(method, &v, values)
	}
	if from, ok := r.toFrom[k.origin]; ok && k.hasOrigin {
		k.origin = from
	}
	if r.redactedParams != nil {
		k.query = matchQuery(k.query, r.redactedParams)
	}
	return k, hostless
}

// queue returns the recorded answers for k, nil when there are none.
func (r *Replayer) queue(k key, hostless bool) *queue {
	if hostless {
		return r.byPath[k]
	}
	return r.byKey[k]
}

// pick chooses the answer to the n-th request (from 1) with key k, whose
// recorded answers are q (nil: none): the n-th recorded one; once they are
// used up the last one, or a miss with Config.Strict. It returns the index
// of the interaction, or -1 and the miss. ServeHTTP and Session share it, so
// a simulated replay answers as the real one.
func (r *Replayer) pick(k key, hostless bool, q *queue, n int) (int, *MissError) {
	switch {
	case q == nil:
		return -1, r.closest(k, hostless)
	case n <= len(q.idx):
		return q.idx[n-1], nil
	case !r.cfg.Strict:
		return q.idx[len(q.idx)-1], nil
	}
	me := r.newMiss(k)
	me.Closest, me.Field = q.idx[len(q.idx)-1], fieldUseCount
	me.Got, me.Want = strconv.Itoa(n), strconv.Itoa(len(q.idx))
	return -1, me
}

// serveRecorded writes p's recorded response.
func serveRecorded(w http.ResponseWriter, req *http.Request, p *prepared) {
	h := w.Header()
	for name, vs := range p.header {
		h[name] = vs
	}
	if p.dateKey != "" {
		// Date is the time of serving, as a live server sends it: a
		// recorded date would make cached responses look stale.
		h[p.dateKey] = []string{time.Now().UTC().Format(http.TimeFormat)}
	}
	head := req.Method == http.MethodHead
	if p.contentLength != nil && !head {
		h["Content-Length"] = p.contentLength
	}
	w.WriteHeader(p.status)
	if p.bodyAllowed && !head && len(p.body) > 0 {
		_, _ = w.Write(p.body) // a write error means the client went away
	}
}

func (r *Replayer) record(e Entry) {
	r.mu.Lock()
	if n := len(r.journal); n == 0 || len(r.journal[n-1]) == journalChunk {
		r.journal = append(r.journal, make([]Entry, 0, journalChunk))
	}
	last := &r.journal[len(r.journal)-1]
	*last = append(*last, e)
	r.entries++
	r.mu.Unlock()
}

// Entry is one journaled request.
type Entry struct {
	Method string
	// URL is the URL as matched: for a hit, the recorded interaction's
	// normalised URL; for a miss, the request's normalised URL (path and
	// query only for an origin-form request without Config.Host).
	URL       string
	Origin    string
	Hit       int        // index of the interaction served; -1 otherwise
	Forwarded bool       // a miss sent to Config.Forward
	Miss      *MissError // non-nil for a miss that was not forwarded
}

// Journal returns a copy of every request served so far, in order.
// Intercepted requests are not journaled.
func (r *Replayer) Journal() []Entry {
	r.mu.Lock()
	defer r.mu.Unlock()
	j := make([]Entry, 0, r.entries)
	for _, c := range r.journal {
		j = append(j, c...)
	}
	return j
}
