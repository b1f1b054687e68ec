package replay

import (
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// MissError describes a request no recorded interaction matched.
//
// Its text names the request and the closest recorded interaction, and
// shows the first differing field as request value != recorded value, e.g.
//
//	replay: no recorded interaction for OPTIONS http://localhost:8000/api/items (Origin "http://localhost:8080"); closest #4 differs in Access-Control-Request-Headers: "content-type,x-token" != "content-type"
type MissError struct {
	Method string
	URL    string // the request's normalised URL (see Entry.URL)
	Origin string
	// Closest is the index of the closest interaction: the one agreeing with
	// the request on the most match-key fields, ties going to the one that
	// agrees on earlier fields (in key order: method, URL, Origin,
	// Access-Control-Request-Method, Access-Control-Request-Headers,
	// credentials), then to the one whose script-set headers, then body,
	// equal the request's, then to the lower index. The search is bounded
	// (see "Misses" in the package documentation): it is the closest among
	// the interactions recorded for the request's path (the first 1024 of
	// them) and the first 1024 of the cassette, which is every interaction
	// of a cassette of at most 1024. When the match key agrees
	// (Config.Strict only), it is the interaction the request would get by
	// the ranking of the package documentation. -1 if the cassette is empty
	// or Reason is set.
	Closest int
	// Field is the first match-key field that differed from the closest:
	// "method", "URL", "Origin", "Access-Control-Request-Method",
	// "Access-Control-Request-Headers" or "credentials"; when the key
	// agrees (Config.Strict), the canonical name of the first script-set
	// header, in name order, whose values differ (e.g. "Range",
	// "Content-Type", "X-Token"), else "body"; or "use count" when
	// Config.Strict and the matching recorded answers are used up (Got is
	// then this request's ordinal, Want the number of matching recorded
	// answers).
	Field string
	// Want is the closest interaction's value of Field and Got the
	// request's, in the normalised form compared: "" for an absent header,
	// the sorted lower-cased token list for Access-Control-Request-Headers,
	// "present" or "absent" for credentials, a script-set header's values
	// joined by ", ", a body as text (its first 64 bytes and its length
	// when longer or not UTF-8).
	Want string
	Got  string
	// Reason, when set, explains a request that could not be matched at all
	// (e.g. a CONNECT); Closest is then -1.
	Reason string
	// ForwardErr is the error Config.Forward returned for this miss, if any.
	ForwardErr error
}

func (e *MissError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "replay: no recorded interaction for %s %s", e.Method, e.URL)
	if e.Origin != "" {
		fmt.Fprintf(&b, " (Origin %q)", e.Origin)
	}
	switch {
	case e.Reason != "":
		b.WriteString("; ")
		b.WriteString(e.Reason)
	case e.Closest < 0:
		b.WriteString("; cassette is empty")
	case e.Field == fieldUseCount:
		fmt.Fprintf(&b, "; closest #%d differs in %s: %q != %q (recorded answers exhausted, strict mode)",
			e.Closest, e.Field, e.Got, e.Want)
	default:
		fmt.Fprintf(&b, "; closest #%d differs in %s: %q != %q", e.Closest, e.Field, e.Got, e.Want)
	}
	if e.ForwardErr != nil {
		fmt.Fprintf(&b, "; forward: %v", e.ForwardErr)
	}
	return b.String()
}

// Unwrap returns ForwardErr.
func (e *MissError) Unwrap() error { return e.ForwardErr }

func (r *Replayer) newMiss(k key) *MissError {
	return &MissError{Method: k.method, URL: k.url(), Origin: k.origin, Closest: -1}
}

// closestScan bounds the closest-interaction search: the interactions
// recorded for the request's path, the first closestScan of them, and the
// first closestScan of the cassette (see MissError.Closest).
const closestScan = 1024

// candidate is an interaction ranked as a closest interaction: i its
// index (-1: none), a its agreement with the request field by field, n the
// number of fields agreeing, srank its script rank (see rank).
type candidate struct {
	i     int
	a     [numFields]bool
	n     int
	srank int
}

// beats reports whether c ranks before d as the closest interaction (see
// MissError.Closest): more fields agreeing, then agreement on earlier
// fields, then a better script rank, then the lower index.
func (c candidate) beats(d candidate) bool {
	switch {
	case d.i < 0:
		return c.i >= 0
	case c.i < 0:
		return false
	case c.n != d.n:
		return c.n > d.n
	case c.a != d.a:
		return earlierAgreement(c.a, d.a)
	case c.srank != d.srank:
		return c.srank > d.srank
	}
	return c.i < d.i
}

// closest returns the miss for k, naming the closest recorded interaction
// among those examined (see MissError.Closest). It runs on misses only, and
// its cost is bounded by the scan limit, whatever the cassette's size.
func (r *Replayer) closest(k key, hostless bool, in *incoming) *MissError {
	s := in.script()
	return r.missFor(k, hostless, s, r.best(k, hostless, s))
}

// best returns the closest of r's interactions to the request with key k
// and script part s among those it examines: the ones recorded for k's
// path (the first r.scan of them) and the first r.scan of the cassette.
func (r *Replayer) best(k key, hostless bool, s *script) candidate {
	return r.bestWithin(k, hostless, s, r.scan, r.scan)
}

// bestWithin is best examining the first pathScan interactions recorded
// for k's path and the first scan of the cassette.
func (r *Replayer) bestWithin(k key, hostless bool, s *script, pathScan, scan int) candidate {
	best := candidate{i: -1}
	consider := func(i int) {
		p := &r.ints[i]
		c := candidate{i: i, a: agreeEncoded(&k, r.keys[p.keyOff:p.keyOff+p.keyLen], hostless)}
		for _, ok := range c.a {
			if ok {
				c.n++
			}
		}
		if c.n < best.n || c.n == best.n && c.a != best.a && !earlierAgreement(c.a, best.a) {
			return // ranks after best whatever its script
		}
		c.srank, _ = rank(r.scriptOf(i), s)
		if c.beats(best) {
			best = c
		}
	}
	byPath := r.pathInts(k.path)
	for _, i := range byPath[:max(0, min(len(byPath), pathScan))] {
		consider(int(i))
	}
	for i := range max(0, min(len(r.ints), scan)) {
		consider(i)
	}
	return best
}

// missFor returns the miss for k naming c, an interaction of r, as the
// closest: the first match-key field that differs, else the first
// script-set header or the body.
func (r *Replayer) missFor(k key, hostless bool, s *script, c candidate) *MissError {
	me := r.newMiss(k)
	if c.i < 0 {
		return me
	}
	me.Closest = c.i
	rk := r.keyOf(c.i)
	if hostless {
		rk = rk.hostless()
	}
	for f, ok := range c.a {
		if !ok {
			me.Field, me.Got = k.field(f)
			_, want := rk.field(f)
			me.Want = strings.Clone(want) // not a view of the whole key arena
			return me
		}
	}
	me.Field, me.Got, me.Want, _ = scriptDiff(r.scriptOf(c.i), s)
	return me
}

// earlierAgreement reports whether a agrees on an earlier field than b at
// the first field where they differ.
func earlierAgreement(a, b [numFields]bool) bool {
	for i := range a {
		if a[i] != b[i] {
			return a[i]
		}
	}
	return false
}

// MissHeader is the response header carrying the one-line reason of a miss.
const MissHeader = "X-Corsvcr-Miss"

// MissStatus is the status of a miss response to a request other than a
// preflight.
const MissStatus = 599

// isPreflight reports whether k is a CORS preflight.
func isPreflight(k key) bool {
	return k.method == http.MethodOptions && k.hasOrigin && k.hasACRM
}

// serveMiss answers a miss so that the page can read why (see the package
// documentation).
// s is the request's script part, nil when it was not computed.
func (r *Replayer) serveMiss(w http.ResponseWriter, req *http.Request, k key, me *MissError, s *script) {
	h := w.Header()
	h["Date"] = nil
	h[MissHeader] = []string{headerSafe(me.Error())}
	if k.hasOrigin {
		h["Access-Control-Allow-Origin"] = []string{k.origin}
		h["Access-Control-Allow-Credentials"] = []string{"true"}
	}
	h["Vary"] = []string{"Origin"}
	if isPreflight(k) {
		h["Access-Control-Allow-Methods"] = []string{k.acrm}
		if vs := headerValues(req.Header, "Access-Control-Request-Headers"); len(vs) > 0 {
			h["Access-Control-Allow-Headers"] = []string{strings.Join(vs, ", ")}
		}
		for _, pna := range [][2]string{
			{"Access-Control-Request-Private-Network", "Access-Control-Allow-Private-Network"},
			{"Access-Control-Request-Local-Network", "Access-Control-Allow-Local-Network"},
		} {
			if len(headerValues(req.Header, pna[0])) > 0 {
				h[pna[1]] = []string{"true"}
			}
		}
		h["Access-Control-Max-Age"] = []string{"0"}
		h["Content-Type"] = nil
		w.WriteHeader(http.StatusNoContent)
		return
	}
	body := r.missBody(k, me, s)
	h["Access-Control-Expose-Headers"] = []string{MissHeader}
	h["Cache-Control"] = []string{"no-store"}
	h["Content-Type"] = []string{"text/plain; charset=utf-8"}
	h["Content-Length"] = []string{strconv.Itoa(len(body))}
	w.WriteHeader(MissStatus)
	if req.Method != http.MethodHead {
		_, _ = io.WriteString(w, body)
	}
}

// missBody explains a miss in plain text.
func (r *Replayer) missBody(k key, me *MissError, s *script) string {
	var b strings.Builder
	b.WriteString(me.Error())
	b.WriteString("\n\nThis response was made up by the corsvcr replayer: the cassette has no answer\n")
	b.WriteString("for this request. Re-record the cassette, or replay in record-missing mode.\n\n")
	b.WriteString("request:\n")
	describe(&b, k)
	if s != nil {
		describeScript(&b, s)
	}
	if me.Closest >= 0 && me.Closest < len(r.ints) {
		p := &r.ints[me.Closest]
		fmt.Fprintf(&b, "\nclosest recorded interaction #%d (%s):\n", me.Closest, r.resp.kinds[p.kind])
		describe(&b, r.keyOf(me.Closest))
		describeScript(&b, r.scriptOf(me.Closest))
		fmt.Fprintf(&b, "  response: %d\n", p.status)
	}
	return b.String()
}

// describe writes the match-key fields of k, one a line.
func describe(b *strings.Builder, k key) {
	fmt.Fprintf(b, "  %s %s\n", k.method, k.url())
	opt := func(name, v string, ok bool) {
		if ok {
			fmt.Fprintf(b, "  %s: %q\n", name, v)
		} else {
			fmt.Fprintf(b, "  %s: (absent)\n", name)
		}
	}
	opt(fieldOrigin, k.origin, k.hasOrigin)
	opt(fieldACRM, k.acrm, k.hasACRM)
	opt(fieldACRH, k.acrh, k.acrh != "")
	fmt.Fprintf(b, "  %s (Cookie or Authorization): %s\n", fieldCredentials, presence(k.cred))
}

// headerSafe makes s a valid one-line header value: bytes outside
// printable ASCII become '?'.
func headerSafe(s string) string {
	return strings.Map(func(c rune) rune {
		if c < 0x20 || c > 0x7e {
			return '?'
		}
		return c
	}, s)
}

// serveConnect answers a CONNECT when HTTPS replay is not enabled (see
// WithCA): the request is journaled as a miss and refused.
func (r *Replayer) serveConnect(w http.ResponseWriter, req *http.Request) {
	me := &MissError{
		Method:  req.Method,
		URL:     req.Host,
		Closest: -1,
		Reason:  "https replay (CONNECT) is not enabled (replay.WithCA)",
	}
	r.j.record(Entry{Method: me.Method, URL: me.URL, Miss: me})
	body := me.Error() + "\n"
	h := w.Header()
	h["Date"] = nil
	h[MissHeader] = []string{headerSafe(me.Error())}
	h["Allow"] = []string{"GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS"}
	h["Content-Type"] = []string{"text/plain; charset=utf-8"}
	h["Content-Length"] = []string{strconv.Itoa(len(body))}
	w.WriteHeader(http.StatusMethodNotAllowed)
	_, _ = io.WriteString(w, body)
}
