package replay

import (
	"errors"
	"fmt"
	"maps"
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
	// Strict makes a miss of a request whose matching recorded answers are
	// all used up, and of a request whose script-set headers or body match
	// none of the interactions recorded with its match key (see the package
	// documentation). By default the last matching answer repeats, and a
	// request matching none gets the closest one's.
	Strict bool
	// Forward, when non-nil, receives every miss (record-missing mode): the
	// response it returns is served and the journal marks it forwarded.
	// The request it gets is an outbound client request: absolute URL,
	// RequestURI empty, hop-by-hop headers removed, the inbound request's
	// context. When it fails, the miss is served as if Forward were nil and
	// the error is in MissError.ForwardErr.
	Forward http.RoundTripper
	// JournalLimit is how many unanswered requests (misses and forwarded
	// requests) the journal keeps in full, the first ones; later ones are
	// counted (Stats) and their misses grouped (MissGroups). 0 means
	// DefaultJournalLimit; a negative limit keeps none.
	JournalLimit int
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
	// pathIdx lists the interactions by escaped path, in recorded order,
	// and scan bounds the closest-interaction search (see best).
	pathIdx map[string][]int
	scan    int

	// usedMu guards usedVars, the variants ServeHTTP has used at least
	// once, each once: what Session copies.
	usedMu   sync.Mutex
	usedVars []*variant

	j journal
}

// prepared is an interaction ready to serve.
type prepared struct {
	key    key
	url    string // key.url(), precomputed for the journal
	kind   cassettes.Kind
	status int
	// fields are copied into the ResponseWriter's map as they are: recorded
	// names and case, duplicates in order, nil Date and Content-Type
	// entries that stop net/http from adding its own; sorted by name. A
	// list costs less to iterate than a map, and less for the garbage
	// collector to scan. Slices are clipped, so an append by a later writer
	// cannot reach the shared array.
	fields        []headerField
	contentLength []string // set when not recorded and a body is allowed; not for HEAD
	dateKey       string   // the recorded Date header's name; served with the time of serving
	bodyAllowed   bool
	body          []byte
	// script is the recorded request's script-set headers and body, and
	// scriptHash its hash.
	script     script
	scriptHash uint64
}

// queue holds the interactions answering one key, in recorded order,
// grouped into variants by their script part (script-set headers and body).
type queue struct {
	idx  []int      // every interaction with the key, in recorded order
	vars []*variant // the distinct script parts, in order of first appearance
	// byHash indexes the variants without redaction placeholders by script
	// hash, the first one for a hash; nil while there is one variant.
	byHash map[uint64]int
	wild   []int // the indexes in vars of variants with placeholders
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

		pathIdx: make(map[string][]int),
		scan:    closestScan,
		j:       newJournal(len(cfg.Cassette.Interactions), cfg.JournalLimit),
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
		p.script = recordedScript(&in.Request)
		p.scriptHash = p.script.hash()
		r.ints[i] = p
		add(r.byKey, p.key, i, &r.ints[i])
		add(r.byPath, p.key.hostless(), i, &r.ints[i])
		r.pathIdx[p.key.path] = append(r.pathIdx[p.key.path], i)
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

// add adds interaction i, prepared as p, to the queue of k in m: to the
// variant with p's script part, or to a new one.
func add(m map[key]*queue, k key, i int, p *prepared) {
	q := m[k]
	if q == nil {
		q = new(queue)
		m[k] = q
	}
	q.idx = append(q.idx, i)
	if v := q.variantOf(&p.script, p.scriptHash); v != nil {
		v.idx = append(v.idx, i)
		return
	}
	if q.byHash == nil && len(q.vars) == 1 {
		q.byHash = map[uint64]int{}
		if v := q.vars[0]; !v.s.wild {
			q.byHash[v.hash] = 0
		}
	}
	vi := len(q.vars)
	q.vars = append(q.vars, &variant{s: p.script, hash: p.scriptHash, idx: []int{i}})
	switch {
	case p.script.wild:
		q.wild = append(q.wild, vi)
	case q.byHash != nil:
		if _, ok := q.byHash[p.scriptHash]; !ok {
			q.byHash[p.scriptHash] = vi
		}
	}
}

// variantOf returns the variant of q whose recorded script part is s byte
// for byte (h is s.hash()), nil when there is none.
func (q *queue) variantOf(s *script, h uint64) *variant {
	if s.wild || q.byHash == nil {
		for _, v := range q.vars {
			if v.s.wild == s.wild && sameScript(&v.s, s) {
				return v
			}
		}
		return nil
	}
	vi, ok := q.byHash[h]
	if !ok {
		return nil // equal scripts have equal hashes
	}
	if sameScript(&q.vars[vi].s, s) {
		return q.vars[vi]
	}
	for _, v := range q.vars { // a hash collision
		if !v.s.wild && sameScript(&v.s, s) {
			return v
		}
	}
	return nil
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
		bodyAllowed: rs.Status != http.StatusNoContent && rs.Status != http.StatusNotModified,
		body:        rs.Body,
	}
	p.url = p.key.url()
	if p.kind == "" {
		p.kind = cassettes.Classify(rq.Method, rq.Headers)
	}
	header := make(http.Header, len(rs.Headers)+2)
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
				header[name] = append(header[name], to)
				continue
			}
		}
		header[name] = append(header[name], f.Value)
	}
	for name, vs := range header {
		header[name] = slices.Clip(vs)
	}
	for _, name := range []string{"Date", "Content-Type"} {
		if _, ok := header[name]; !ok {
			header[name] = nil
		}
	}
	if _, ok := header["Content-Length"]; !ok && p.bodyAllowed {
		p.contentLength = []string{strconv.Itoa(len(rs.Body))}
	}
	p.fields = make([]headerField, 0, len(header))
	for _, name := range slices.Sorted(maps.Keys(header)) {
		p.fields = append(p.fields, headerField{name: name, values: header[name]})
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
	in := incoming{hh: req.Header, req: req}
	// bk is k with the browser's own Origin: what a miss answer echoes.
	bk := k
	if r.toFrom != nil {
		bk.origin, bk.hasOrigin = first(headerValues(req.Header, "Origin"))
	}
	i, me := r.pick(k, hostless, q, &in, nil)
	if me == nil {
		r.j.hit(i)
		serveRecorded(w, req, &r.ints[i])
		return
	}
	if r.cfg.Forward != nil {
		r.forward(w, req, bk, me, in.computed())
		return
	}
	r.j.record(Entry{Method: me.Method, URL: me.URL, Origin: bk.origin, Miss: me})
	r.serveMiss(w, req, bk, me, in.computed())
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

// pick chooses the answer to a request with key k, whose recorded answers
// are q (nil: none) and whose script part in gives (computed only when
// needed), and uses it up. counts holds a Session's use counts; nil means
// the Replayer's own. It returns the index of the interaction, or -1 and
// the miss. ServeHTTP and Session share it, so a simulated replay answers
// as the real one; the rule is in the package documentation ("Match key").
func (r *Replayer) pick(k key, hostless bool, q *queue, in *incoming, counts *useCounts) (int, *MissError) {
	if q == nil {
		return -1, r.closest(k, hostless, in)
	}
	v, exact := q.vars[0], true
	var s *script
	if len(q.vars) > 1 || r.cfg.Strict {
		s = in.script()
		v, exact = q.find(s)
	}
	if !exact {
		// The answer the next matching request would get, not used up:
		// a request matching no recording takes no answer from one that
		// does.
		next := min(used(v, counts), len(v.idx)-1)
		if !r.cfg.Strict {
			return v.idx[next], nil
		}
		me := r.newMiss(k)
		me.Closest = v.idx[next]
		me.Field, me.Got, me.Want, _ = scriptDiff(&v.s, s)
		return -1, me
	}
	n := 0 // this request's 1-based ordinal among those matching v
	if s != nil && len(q.wild) > 0 {
		v, n = r.takeUnused(q, v, s, counts)
	}
	switch {
	case n > 0:
	case counts == nil:
		if n = int(v.used.Add(1)); n == 1 {
			r.noteUsed(v)
		}
	default:
		n = counts.inc(v)
	}
	switch {
	case n <= len(v.idx):
		return v.idx[n-1], nil
	case !r.cfg.Strict:
		return v.idx[len(v.idx)-1], nil
	}
	me := r.newMiss(k)
	me.Closest, me.Field = v.idx[len(v.idx)-1], fieldUseCount
	me.Got, me.Want = strconv.Itoa(n), strconv.Itoa(len(v.idx))
	return -1, me
}

// takeUnused handles the requests that match more than one variant, which
// only redaction placeholders make possible: it uses up the next answer of
// the first variant matching s that has one left, and returns it with the
// request's ordinal; when all are used up, first (the first match) and 0.
func (r *Replayer) takeUnused(q *queue, first *variant, s *script, counts *useCounts) (*variant, int) {
	for _, v := range q.vars {
		if _, exact := rank(&v.s, s); !exact {
			continue
		}
		if counts != nil {
			if counts.get(v) < len(v.idx) {
				return v, counts.inc(v)
			}
			continue
		}
		for {
			n := v.used.Load()
			if n >= int64(len(v.idx)) {
				break
			}
			if v.used.CompareAndSwap(n, n+1) {
				if n == 0 {
					r.noteUsed(v)
				}
				return v, int(n + 1)
			}
		}
	}
	return first, 0
}

// noteUsed lists v, just used for the first time by ServeHTTP, for
// Session: it copies the counts of the variants used, not of every one.
func (r *Replayer) noteUsed(v *variant) {
	r.usedMu.Lock()
	r.usedVars = append(r.usedVars, v)
	r.usedMu.Unlock()
}

// used returns how many requests v has answered: in counts, or, when nil,
// in the Replayer.
func used(v *variant, counts *useCounts) int {
	if counts == nil {
		return int(v.used.Load())
	}
	return counts.get(v)
}

// useCounts are a Session's use counts: its own, over those of the Session
// it continues from (parent, read-only while this one is in use), so that a
// simulated replay can start where another stopped without copying its
// counts.
type useCounts struct {
	own    map[*variant]int
	parent *useCounts
}

func newUseCounts(parent *useCounts) *useCounts {
	return &useCounts{own: map[*variant]int{}, parent: parent}
}

// get returns how many requests v has answered.
func (c *useCounts) get(v *variant) int {
	for x := c; x != nil; x = x.parent {
		if n, ok := x.own[v]; ok {
			return n
		}
	}
	return 0
}

// inc counts one more request answered by v and returns the count.
func (c *useCounts) inc(v *variant) int {
	n := c.get(v) + 1
	c.own[v] = n
	return n
}

// all returns every count, the parent's overridden by the own.
func (c *useCounts) all() map[*variant]int {
	if c.parent == nil {
		return c.own
	}
	out := maps.Clone(c.parent.all())
	maps.Copy(out, c.own)
	return out
}

// headerField is one header name and its values, as net/http keeps them.
type headerField struct {
	name   string
	values []string
}

// serveRecorded writes p's recorded response.
func serveRecorded(w http.ResponseWriter, req *http.Request, p *prepared) {
	h := w.Header()
	for _, f := range p.fields {
		h[f.name] = f.values
	}
	if p.dateKey != "" {
		// Date is the time of serving, as a live server sends it: a
		// recorded date would make cached responses look stale.
		h[p.dateKey] = serverDate()
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

// date is the Date value of the current second, formatted once a second
// rather than once a response.
var date atomic.Pointer[dateValue]

type dateValue struct {
	unix  int64
	value []string // one value; shared by every response of that second
}

// serverDate returns the Date header value of now (http.TimeFormat).
func serverDate() []string {
	now := time.Now()
	if d := date.Load(); d != nil && d.unix == now.Unix() {
		return d.value
	}
	d := &dateValue{unix: now.Unix(), value: []string{now.UTC().Format(http.TimeFormat)}}
	date.Store(d)
	return d.value
}
