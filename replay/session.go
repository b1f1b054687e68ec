package replay

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"

	"github.com/corsvcr/corsvcr/cassettes"
)

// Answer is how a replay answers one request.
type Answer struct {
	// Interaction is the index in the cassette of the recorded interaction
	// served; -1 for a miss.
	Interaction int
	// Response is the response as it goes on the wire (see
	// Session.RoundTrip); zero for a miss.
	Response cassettes.Response
	// Miss is set when no recorded interaction answers the request.
	Miss *MissError
}

// Session answers requests from a cassette exactly as a Replayer configured
// the same way answers them (same match key, origin map, redacted query
// parameters, recorded answers served in order, Config.Strict), but without
// a network, a journal or Config.Forward: it is for tools, such as the CORS
// predictor, that simulate a replay instead of running one. Each Session
// keeps its own use counts; it is not safe for concurrent use.
type Session struct {
	r    *Replayer
	used *useCounts

	// A Patch (Replayer.Simulate): resp holds the replaced responses of
	// r's interactions, prepared (their fields in respSet), and raw the
	// same as given; extra answers the added interactions, numbered from
	// len(r.ints).
	resp    map[int]*prepared
	respSet respSet
	raw     map[int]cassettes.Response
	extra   *Replayer
}

// NewSession validates cfg as New does and returns a Session whose recorded
// answers are all unused, as a fresh Replayer's are.
func NewSession(cfg Config) (*Session, error) {
	r, err := New(cfg)
	if err != nil {
		return nil, err
	}
	return &Session{r: r, used: newUseCounts(nil)}, nil
}

// Session returns a Session that answers as r would answer its next
// requests: r's cassette and Config, and the use counts of r's answers so
// far. Requests r serves afterwards do not change the Session, nor does the
// Session change r. It costs as much as the distinct answers r has served
// (a list of them is kept as they are first used), not the cassette's size.
func (r *Replayer) Session() *Session {
	s := &Session{r: r}
	r.usedMu.Lock()
	s.used = &useCounts{own: make(map[*variant]int, len(r.usedVars))}
	for _, v := range r.usedVars {
		s.used.own[v] = int(v.used.Load())
	}
	r.usedMu.Unlock()
	return s
}

// Cassette returns the cassette r serves (Config.Cassette).
func (r *Replayer) Cassette() *cassettes.Cassette { return r.cfg.Cassette }

// Patch is a change to a Replayer's cassette that Replayer.Simulate makes
// for one Session, leaving the Replayer as it is.
type Patch struct {
	// Responses replaces the recorded responses of interactions, keyed by
	// their index in the cassette. The requests stay as recorded.
	Responses map[int]cassettes.Response
	// Added are interactions appended to the cassette: the first is at
	// index len(Cassette.Interactions).
	Added []cassettes.Interaction
}

// Simulate returns a Session that answers as NewSession with r's Config
// and r's cassette changed by p would answer (its recorded answers all
// unused, whatever r has served), without rebuilding r's index: it costs
// what p holds, not what the cassette holds, so tools that try many small
// changes on a large cassette (predict.Explain) stay linear. The error is
// New's for the interactions p adds or changes; an index in p.Responses
// outside the cassette is an error too.
func (r *Replayer) Simulate(p Patch) (*Session, error) {
	s := &Session{r: r, used: newUseCounts(nil)}
	if len(p.Responses) == 0 && len(p.Added) == 0 {
		return s, nil
	}
	idx := make([]int, 0, len(p.Responses))
	for i := range p.Responses {
		idx = append(idx, i)
	}
	slices.Sort(idx)
	s.resp = make(map[int]*prepared, len(idx))
	s.raw = make(map[int]cassettes.Response, len(idx))
	for _, i := range idx {
		if i < 0 || i >= len(r.ints) {
			return nil, fmt.Errorf("replay: patch: response of interaction %d: the cassette has %d", i, len(r.ints))
		}
		in := r.cfg.Cassette.Interactions[i]
		in.Response = p.Responses[i]
		pp := new(prepared)
		if _, err := prepare(&in, r.fromTo, &s.respSet, pp); err != nil {
			return nil, fmt.Errorf("replay: patch: interaction %d: %w", i, err)
		}
		// The request is r's: its key and script part stay r's; its
		// kind is given as r's table numbers it.
		base := &r.ints[i]
		pp.keyOff, pp.keyLen, pp.variant, pp.kind = base.keyOff, base.keyLen, base.variant, base.kind
		s.resp[i], s.raw[i] = pp, in.Response
	}
	s.respSet.done()
	if len(p.Added) == 0 {
		return s, nil
	}
	cfg := r.cfg
	cfg.Cassette = &cassettes.Cassette{Version: r.cfg.Cassette.Version, Meta: r.cfg.Cassette.Meta, Interactions: p.Added}
	x, err := build(cfg, r.full.mask)
	if err != nil {
		return nil, fmt.Errorf("replay: patch: added interactions (numbered from 0): %w", err)
	}
	if r.overlays(x) {
		s.extra = x
		return s, nil
	}
	// An added interaction shares a match key with a recorded one, or adds
	// a redacted query parameter: it changes how recorded ones match, so
	// the patched cassette is indexed whole.
	cas := *r.cfg.Cassette
	cas.Interactions = append(slices.Clone(cas.Interactions), p.Added...)
	for i, resp := range s.raw {
		cas.Interactions[i].Response = resp
	}
	cfg.Cassette = &cas
	whole, err := build(cfg, r.full.mask)
	if err != nil {
		return nil, err
	}
	whole.scan = r.scan
	return &Session{r: whole, used: newUseCounts(nil)}, nil
}

// overlays reports whether x, a Replayer of interactions appended to r's,
// can answer beside r as one Replayer of both would: no key of x is a key
// of r, and x's redacted query parameters are r's too.
func (r *Replayer) overlays(x *Replayer) bool {
	for name := range x.redactedParams {
		if !r.redactedParams[name] {
			return false
		}
	}
	for _, ix := range [...][2]*index{{&x.full, &r.full}, {&x.path, &r.path}} {
		for qi := range ix[0].queues {
			e := ix[0].keyOf(&ix[0].queues[qi])
			if qi, _ := ix[1].lookup(e); qi >= 0 {
				return false
			}
		}
	}
	return true
}

// SimulateFrom is Simulate continuing from from, a Session of r: the
// Session it returns starts with from's use counts, as a replay of the
// patched cassette would after answering the requests from answered. from
// must not answer requests while the returned Session is in use. It costs
// what p holds, as Simulate does, not what from has counted.
func (r *Replayer) SimulateFrom(p Patch, from *Session) (*Session, error) {
	s, err := r.Simulate(p)
	if err != nil || from == nil {
		return s, err
	}
	if from.r != r {
		return nil, fmt.Errorf("replay: simulate from a session of another replayer")
	}
	if s.r == r {
		s.used = newUseCounts(from.used)
		return s, nil
	}
	// The patched cassette was indexed whole (Simulate): carry the counts
	// over by the first interaction of each group, which both indexes share.
	byFirst := map[int]int{}
	for v, n := range from.used.all() {
		byFirst[int(v.first)] = n
	}
	for j := range s.r.full.vars {
		v := &s.r.full.vars[j]
		if n := byFirst[int(v.first)]; n > 0 {
			s.used.own[v] = n
		}
	}
	return s, nil
}

// RoundTrip answers req as the Replayer's ServeHTTP answers the same
// request arriving as a proxy request, and uses that answer up. req.URL must
// be absolute; req's header names are matched ASCII case-insensitively, and
// its script-set headers and body tell it apart from other requests with its
// match key as ServeHTTP tells them apart (the same code chooses). The
// response is the recorded one as it goes on the
// wire: status and header lines (original case and order, duplicates kept,
// Access-Control-Allow-Origin mapped by Config.OriginMap) without
// Transfer-Encoding, with the Content-Length ServeHTTP adds when none was
// recorded and a body is allowed, and the body (none for HEAD). A recorded
// Date line is left as recorded; ServeHTTP sends the time of serving.
func (s *Session) RoundTrip(req cassettes.Request) Answer {
	u, err := url.Parse(req.URL)
	if err != nil || u.Host == "" {
		return Answer{Interaction: -1, Miss: &MissError{Method: req.Method, URL: req.URL, Closest: -1, Reason: "not an absolute URL"}}
	}
	k, hostless := s.r.matchKey(req.Method, u, func(name string) []string { return recordedValues(req.Headers, name) })
	ix, q, ok := s.r.queue(&k, hostless)
	in := incoming{ch: req.Headers, body: req.Body}
	if !ok && s.extra != nil {
		if xix, xq, xok := s.extra.queue(&k, hostless); xok {
			off := len(s.r.ints)
			i, me := s.extra.pick(k, hostless, xix, &xq, &in, s.used)
			if me != nil {
				if me.Closest >= 0 {
					me.Closest += off
				}
				return Answer{Interaction: -1, Miss: me}
			}
			return Answer{Interaction: i + off, Response: s.extra.served(i, req.Method)}
		}
		return Answer{Interaction: -1, Miss: s.closest(k, hostless, &in)}
	}
	var qp *queue
	if ok {
		qp = &q
	}
	i, me := s.r.pick(k, hostless, ix, qp, &in, s.used)
	if me != nil {
		return Answer{Interaction: -1, Miss: me}
	}
	if p, ok := s.resp[i]; ok {
		return Answer{Interaction: i, Response: servedFrom(&s.respSet, p, s.raw[i], s.r.fromTo, req.Method)}
	}
	return Answer{Interaction: i, Response: s.r.served(i, req.Method)}
}

// closest returns the miss for k when s has added interactions: the
// closest of r's and of the added ones, examined as one Replayer of both
// examines them (see Replayer.best).
func (s *Session) closest(k key, hostless bool, in *incoming) *MissError {
	sc := in.script()
	c := s.r.best(k, hostless, sc)
	off := len(s.r.ints)
	x := s.extra.bestWithin(k, hostless, sc, s.r.scan-len(s.r.pathInts(k.path)), s.r.scan-off)
	if x.i >= 0 {
		if y := (candidate{i: x.i + off, a: x.a, n: x.n, srank: x.srank}); y.beats(c) {
			me := s.extra.missFor(k, hostless, sc, x)
			me.Closest += off
			return me
		}
	}
	return s.r.missFor(k, hostless, sc, c)
}

// served returns the response ServeHTTP writes for interaction i to a
// request of method method, as Session.RoundTrip documents it.
func (r *Replayer) served(i int, method string) cassettes.Response {
	return servedFrom(&r.resp, &r.ints[i], r.cfg.Cassette.Interactions[i].Response, r.fromTo, method)
}

// servedFrom returns the response ServeHTTP writes for the interaction
// prepared as p (its fields in set) whose recorded response is rs (fromTo
// maps Access-Control-Allow-Origin, see Config.OriginMap).
func servedFrom(set *respSet, p *prepared, rs cassettes.Response, fromTo map[string]string, method string) cassettes.Response {
	out := cassettes.Response{Status: int(p.status), Headers: make(cassettes.Headers, 0, len(rs.Headers)+1)}
	for _, f := range rs.Headers {
		switch {
		case asciiEqualFold(f.Name, "Transfer-Encoding"):
			continue
		case asciiEqualFold(f.Name, "Access-Control-Allow-Origin"):
			if to, ok := fromTo[f.Value]; ok {
				f.Value = to
			}
		}
		out.Headers = append(out.Headers, f)
	}
	head := method == http.MethodHead
	if p.clen >= 0 && !head {
		out.Headers = append(out.Headers, cassettes.Header{Name: "Content-Length", Value: set.vals[p.clen]})
	}
	if p.bodyAllowed() && !head {
		out.Body = p.body
	}
	return out
}
