package replay

import (
	"encoding/binary"
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

	ints []prepared // one per interaction
	resp respSet    // their responses
	// keys holds the interactions' match keys, encoded (appendKey); a key
	// decoded from it (keyOf) shares its memory.
	keys   []byte
	toFrom map[string]string // Config.OriginMap, To → From
	fromTo map[string]string // Config.OriginMap, From → To
	// redactedParams holds the query parameter names whose recorded values
	// are redaction placeholders; they match any value (see matchQuery).
	redactedParams map[string]bool
	full           index // full keys
	// path indexes hostless keys, for origin-form requests without
	// Config.Host; with Config.Host, it is empty: every key has a host.
	path index
	// paths lists the interactions by escaped path, in recorded order,
	// and scan bounds the closest-interaction search (see best).
	paths pathIndex
	scan  int

	// usedMu guards usedVars, the variants ServeHTTP has used at least
	// once, each once: what Session copies.
	usedMu   sync.Mutex
	usedVars []*variant

	j journal
}

// prepared is an interaction ready to serve: what a hit reads and writes,
// in one cache line (64 bytes), with numbers into the Replayer's dense
// tables rather than pointers.
type prepared struct {
	body []byte // the recorded body
	// hits counts the requests this interaction answered (Uses); adding
	// to it is the only bookkeeping a hit costs.
	hits           atomic.Int64
	keyOff, keyLen uint32 // the match key's encoding, in Replayer.keys
	fieldOff       uint32 // the response's header fields: respSet.fields[fieldOff:][:nfields]
	nfields        uint32
	// dateName is the recorded Date header's name (in respSet.names),
	// served with the time of serving; -1: none.
	dateName int32
	// clen is the Content-Length value to add (in respSet.vals), when none
	// was recorded and a body is allowed; not for HEAD. -1: none.
	clen    int32
	variant int32 // in Replayer.full.vars: the interaction's variant (its script part)
	status  uint16
	kind    uint16 // in respSet.kinds
}

// bodyAllowed reports whether p's status allows a body.
func (p *prepared) bodyAllowed() bool {
	return p.status != http.StatusNoContent && p.status != http.StatusNotModified
}

// respSet holds prepared responses' header fields. The fields are copied
// into the ResponseWriter's map as they are: recorded names and case,
// duplicates in order, nil Date and Content-Type entries that stop
// net/http from adding its own; sorted by name. A list costs less to
// iterate than a map, and the values of every response sharing one slice
// cost the garbage collector one object rather than one per header. Equal
// single values, and equal field lists, are stored once: recorded
// responses repeat most of their headers, so the shared part stays small
// and in cache however many interactions there are. Value slices are
// served clipped, so an append by a later writer cannot reach the shared
// array.
type respSet struct {
	names  []string // distinct header names
	fields []respField
	vals   []string
	kinds  []cassettes.Kind

	// While preparing: the positions of names, kinds, single values,
	// added Content-Length values and field lists (by their encoding).
	nameIdx map[string]int32
	kindIdx map[cassettes.Kind]uint16
	valIdx  map[string]uint32
	clenIdx map[int]int32
	listIdx map[string]uint32
	list    []byte // an encoded field list, while preparing it
}

// respField is one header name (in respSet.names) and its values
// (respSet.vals[off:][:n]; n == 0 means nil).
type respField struct {
	name   int32
	off, n uint32
}

// done drops what only preparing needs.
func (rs *respSet) done() {
	rs.nameIdx, rs.kindIdx, rs.valIdx, rs.clenIdx, rs.listIdx, rs.list = nil, nil, nil, nil, nil, nil
	rs.fields, rs.vals = clip(rs.fields), clip(rs.vals)
}

func (rs *respSet) name(n string) int32 {
	if i, ok := rs.nameIdx[n]; ok {
		return i
	}
	if rs.nameIdx == nil {
		rs.nameIdx = map[string]int32{}
	}
	i := int32(len(rs.names))
	rs.names = append(rs.names, n)
	rs.nameIdx[n] = i
	return i
}

func (rs *respSet) kind(k cassettes.Kind) uint16 {
	if i, ok := rs.kindIdx[k]; ok {
		return i
	}
	if rs.kindIdx == nil {
		rs.kindIdx = map[cassettes.Kind]uint16{}
	}
	i := uint16(len(rs.kinds))
	rs.kinds = append(rs.kinds, k)
	rs.kindIdx[k] = i
	return i
}

// contentLength returns the position in vals of the value n.
func (rs *respSet) contentLength(n int) int32 {
	if i, ok := rs.clenIdx[n]; ok {
		return i
	}
	if rs.clenIdx == nil {
		rs.clenIdx = map[int]int32{}
	}
	i := int32(rs.addValues([]string{strconv.Itoa(n)}))
	rs.clenIdx[n] = i
	return i
}

// addValues adds vs to vals (a single value once) and returns their
// position.
func (rs *respSet) addValues(vs []string) uint32 {
	if len(vs) == 1 {
		if i, ok := rs.valIdx[vs[0]]; ok {
			return i
		}
		if rs.valIdx == nil {
			rs.valIdx = map[string]uint32{}
		}
		rs.valIdx[vs[0]] = uint32(len(rs.vals))
	}
	off := uint32(len(rs.vals))
	rs.vals = append(rs.vals, vs...)
	return off
}

// addFields adds the field list fs and returns its position in fields
// (an equal list once).
func (rs *respSet) addFields(fs []respField) uint32 {
	rs.list = rs.list[:0]
	for _, f := range fs {
		rs.list = binary.LittleEndian.AppendUint32(rs.list, uint32(f.name))
		rs.list = binary.LittleEndian.AppendUint32(rs.list, f.off)
		rs.list = binary.LittleEndian.AppendUint32(rs.list, f.n)
	}
	if i, ok := rs.listIdx[string(rs.list)]; ok {
		return i
	}
	if rs.listIdx == nil {
		rs.listIdx = map[string]uint32{}
	}
	off := uint32(len(rs.fields))
	rs.listIdx[string(rs.list)] = off
	rs.fields = append(rs.fields, fs...)
	return off
}

// values returns the values of f as served.
func (rs *respSet) values(f respField) []string {
	if f.n == 0 {
		return nil
	}
	return rs.vals[f.off : f.off+f.n : f.off+f.n]
}

// New validates cfg and returns a Replayer. Every problem is reported at
// once (errors.Join).
func New(cfg Config) (*Replayer, error) {
	return build(cfg, ^uint64(0))
}

// build is New with every hash of a match key or path and-ed with mask:
// tests make keys collide with it.
func build(cfg Config, mask uint64) (*Replayer, error) {
	if cfg.Cassette == nil {
		return nil, errors.New("replay: config: nil cassette")
	}
	n := len(cfg.Cassette.Interactions)
	r := &Replayer{
		cfg:  cfg,
		ints: make([]prepared, n),
		full: newIndex(n, mask),
		path: index{mask: mask},
		scan: closestScan,
		j:    newJournal(cfg.JournalLimit),
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
	r.full.scripts = []script{{}}
	if cfg.Host == "" {
		r.path = newIndex(n, mask)
	}
	full := indexBuilder{ix: &r.full}
	path := indexBuilder{ix: &r.path, owned: true}
	paths := make([]string, n)
	var hl []byte
	for i := range cfg.Cassette.Interactions {
		in := &cfg.Cassette.Interactions[i]
		p := &r.ints[i]
		k, err := prepare(in, r.fromTo, &r.resp, p)
		if err != nil {
			errs = append(errs, fmt.Errorf("replay: interaction %d: %w", i, err))
			continue
		}
		k.query = redactedQuery(k.query, r.noteRedacted)
		s := recordedScript(&in.Request)
		h := s.hash()
		p.keyOff = uint32(len(r.keys))
		r.keys = appendKey(r.keys, &k)
		p.keyLen = uint32(len(r.keys)) - p.keyOff
		r.full.keys = r.keys
		p.variant = full.add(r.keys[p.keyOff:], p.keyOff, i, &s, h, -1)
		if cfg.Host == "" {
			hk := k.hostless()
			hl = appendKey(hl[:0], &hk)
			r.path.scripts = r.full.scripts
			path.add(hl, 0, i, &s, h, r.full.vars[p.variant].script)
		}
		paths[i] = k.path
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	full.done()
	path.done()
	r.full.scripts = clip(r.full.scripts)
	r.path.scripts = r.full.scripts
	r.keys = r.full.keys
	r.resp.done()
	r.paths = buildPathIndex(paths, mask)
	return r, nil
}

// keyOf returns the match key of interaction i as indexed.
func (r *Replayer) keyOf(i int) key {
	p := &r.ints[i]
	return decodeKey(r.keys[p.keyOff : p.keyOff+p.keyLen])
}

// scriptOf returns the script part of interaction i's request.
func (r *Replayer) scriptOf(i int) *script {
	return r.full.scr(&r.full.vars[r.ints[i].variant])
}

// pathInts returns the interactions recorded for path, in recorded order.
func (r *Replayer) pathInts(path string) []int32 {
	return r.paths.find(path, func(i int) string { return r.keyOf(i).path })
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

// prepare validates a recorded interaction, precomputes its response into
// p (its fields added to rs) and returns its key. acao maps served
// Access-Control-Allow-Origin values (see Config.OriginMap); nil maps none.
func prepare(in *cassettes.Interaction, acao map[string]string, rs *respSet, p *prepared) (key, error) {
	rq, rsp := &in.Request, &in.Response
	if rq.Method == "" {
		return key{}, errors.New("empty method")
	}
	u, err := url.Parse(rq.URL)
	if err != nil {
		return key{}, fmt.Errorf("url: %w", err)
	}
	if u.Scheme == "" || u.Host == "" {
		return key{}, fmt.Errorf("url %q: not absolute", rq.URL)
	}
	if why := cassettes.StatusProblem(rsp.Status); why != "" {
		// A cassette built in Go; a loaded one was validated already.
		return key{}, errors.New("response.status: " + why)
	}
	p.status, p.body, p.dateName, p.clen = uint16(rsp.Status), rsp.Body, -1, -1
	kind := in.Kind
	if kind == "" {
		kind = cassettes.Classify(rq.Method, rq.Headers)
	}
	p.kind = rs.kind(kind)
	// The lines as served, sorted by name (stably: one name's values stay
	// in order), then grouped into fields; a nil field has a line with
	// none set. Small arrays on the stack hold a response's few lines.
	type line struct {
		name, value string
		none        bool
	}
	var lbuf [24]line
	lines := lbuf[:0]
	dateName := ""
	for _, f := range rsp.Headers {
		name, v := f.Name, f.Value
		switch {
		case asciiEqualFold(name, "Transfer-Encoding"):
			continue // the body is served with a length
		case asciiEqualFold(name, "Content-Length"):
			name = "Content-Length" // net/http frames the body by this exact key
		case asciiEqualFold(name, "Date"):
			dateName = name
		case asciiEqualFold(name, "Access-Control-Allow-Origin"):
			if to, ok := acao[v]; ok {
				v = to
			}
		}
		lines = append(lines, line{name: name, value: v})
	}
	// net/http writes fields sorted by their bytes, so lines of one name
	// in different case could be served in another order than recorded:
	// Chrome joins them in the order received, as the live client got
	// them, so the joined value (and a CORS error's text) would differ.
	// A name whose spellings sorting would reorder is served as one field
	// in its first spelling; other spellings keep their case.
	for i := range lines {
		for j := range i {
			if lines[j].name > lines[i].name && asciiEqualFold(lines[j].name, lines[i].name) {
				first := lines[i].name
				for _, l := range lines[:i] {
					if asciiEqualFold(l.name, first) {
						first = l.name
						break
					}
				}
				for k := range lines {
					if asciiEqualFold(lines[k].name, first) {
						lines[k].name = first
					}
				}
				break
			}
		}
	}
	has := func(name string) bool {
		return slices.ContainsFunc(lines, func(l line) bool { return l.name == name })
	}
	if !has("Content-Length") && p.bodyAllowed() {
		p.clen = rs.contentLength(len(rsp.Body))
	}
	for _, name := range []string{"Date", "Content-Type"} {
		if !has(name) {
			lines = append(lines, line{name: name, none: true})
		}
	}
	slices.SortStableFunc(lines, func(a, b line) int { return strings.Compare(a.name, b.name) })
	var rbuf [24]respField
	var vbuf [24]string
	rfs := rbuf[:0]
	for j := 0; j < len(lines); {
		name := lines[j].name
		rf := respField{name: rs.name(name)}
		if lines[j].none {
			j++
		} else {
			vals := vbuf[:0]
			for ; j < len(lines) && lines[j].name == name; j++ {
				vals = append(vals, lines[j].value)
			}
			rf.off, rf.n = rs.addValues(vals), uint32(len(vals))
		}
		rfs = append(rfs, rf)
	}
	p.fieldOff, p.nfields = rs.addFields(rfs), uint32(len(rfs))
	if dateName != "" {
		p.dateName = rs.name(dateName)
	}
	return recordedKey(rq, u), nil
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
	ix, q, ok := r.queue(&k, hostless)
	var qp *queue
	if ok {
		qp = &q
	}
	in := incoming{hh: req.Header, req: req}
	// bk is k with the browser's own Origin: what a miss answer echoes.
	bk := k
	if r.toFrom != nil {
		bk.origin, bk.hasOrigin = first(headerValues(req.Header, "Origin"))
	}
	i, me := r.pick(k, hostless, ix, qp, &in, nil)
	if me == nil {
		r.ints[i].hits.Add(1)
		serveRecorded(w, req, &r.resp, &r.ints[i])
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

// queue returns the index for k (hostless or not) and the recorded
// answers for k in it, with ok false when there are none. A queue of one
// variant comes from the index's table slot, without reading the queue.
func (r *Replayer) queue(k *key, hostless bool) (ix *index, q queue, ok bool) {
	ix = &r.full
	if hostless {
		ix = &r.path
	}
	var buf [256]byte
	e := appendKey(buf[:0], k)
	switch qi, v := ix.lookup(e); {
	case qi < 0:
		return ix, queue{}, false
	case v >= 0:
		return ix, queue{v: v}, true
	default:
		return ix, ix.queues[qi], true
	}
}

// pick chooses the answer to a request with key k, whose recorded answers
// are q (nil: none) in ix and whose script part in gives (computed only when
// needed), and uses it up. counts holds a Session's use counts; nil means
// the Replayer's own. It returns the index of the interaction, or -1 and
// the miss. ServeHTTP and Session share it, so a simulated replay answers
// as the real one; the rule is in the package documentation ("Match key").
func (r *Replayer) pick(k key, hostless bool, ix *index, q *queue, in *incoming, counts *useCounts) (int, *MissError) {
	if q == nil {
		return -1, r.closest(k, hostless, in)
	}
	v, exact := ix.qvar(q, 0), true
	var s *script
	if q.m != nil || r.cfg.Strict {
		s = in.script()
		v, exact = ix.find(q, s)
	}
	if !exact {
		// The answer the next matching request would get, not used up:
		// a request matching no recording takes no answer from one that
		// does.
		next := ix.at(v, min(used(v, counts), int(v.n)-1))
		if !r.cfg.Strict {
			return next, nil
		}
		me := r.newMiss(k)
		me.Closest = next
		me.Field, me.Got, me.Want, _ = scriptDiff(ix.scr(v), s)
		return -1, me
	}
	n := 0 // this request's 1-based ordinal among those matching v
	if s != nil && q.m != nil && len(q.m.wild) > 0 {
		v, n = r.takeUnused(ix, q, v, s, counts)
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
	case n <= int(v.n):
		return ix.at(v, n-1), nil
	case !r.cfg.Strict:
		return ix.at(v, int(v.n)-1), nil
	}
	me := r.newMiss(k)
	me.Closest, me.Field = ix.at(v, int(v.n)-1), fieldUseCount
	me.Got, me.Want = strconv.Itoa(n), strconv.Itoa(int(v.n))
	return -1, me
}

// takeUnused handles the requests that match more than one variant, which
// only redaction placeholders make possible: it uses up the next answer of
// the first variant matching s that has one left, and returns it with the
// request's ordinal; when all are used up, first (the first match) and 0.
func (r *Replayer) takeUnused(ix *index, q *queue, first *variant, s *script, counts *useCounts) (*variant, int) {
	for j := range nvars(q) {
		v := ix.qvar(q, j)
		if _, exact := rank(ix.scr(v), s); !exact {
			continue
		}
		if counts != nil {
			if counts.get(v) < int(v.n) {
				return v, counts.inc(v)
			}
			continue
		}
		for {
			n := v.used.Load()
			if n >= int64(v.n) {
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

// serveRecorded writes p's recorded response; rs holds its fields.
func serveRecorded(w http.ResponseWriter, req *http.Request, rs *respSet, p *prepared) {
	h := w.Header()
	for _, f := range rs.fields[p.fieldOff : p.fieldOff+p.nfields] {
		h[rs.names[f.name]] = rs.values(f)
	}
	if p.dateName >= 0 {
		// Date is the time of serving, as a live server sends it: a
		// recorded date would make cached responses look stale.
		h[rs.names[p.dateName]] = serverDate()
	}
	head := req.Method == http.MethodHead
	if p.clen >= 0 && !head {
		h["Content-Length"] = rs.vals[p.clen : p.clen+1 : p.clen+1]
	}
	w.WriteHeader(int(p.status))
	if p.bodyAllowed() && !head && len(p.body) > 0 {
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
