package checks

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/corsvcr/corsvcr/cassettes"
	"github.com/corsvcr/corsvcr/internal/fetch"
)

// Visit is a page visit: instead of running requests of its own, a check
// loads a real page, lets it run (and optionally runs a script in it), and
// reports Chrome's verdict on every cross-origin fetch() and
// XMLHttpRequest the page made. A check is either a page visit (Visit set,
// no Steps) or a list of steps.
//
//	checks.Check{Name: "home", Visit: &checks.Visit{URL: "http://localhost:5173/"}}
type Visit struct {
	// URL is the page to load: an absolute http or https URL.
	URL string
	// Idle is how long no request may be in flight for the page to count
	// as settled, after the load and again after AfterLoad; 0 means
	// DefaultIdle.
	Idle time.Duration
	// AfterLoad is JavaScript run in the page once it is settled (awaited
	// when it is a promise); "" runs none. An exception it throws is a
	// harness error, not a verdict.
	AfterLoad string
}

// DefaultIdle is the Idle of a Visit that sets none.
const DefaultIdle = 500 * time.Millisecond

// MaxIdle bounds Visit.Idle in check files.
const MaxIdle = 10 * time.Second

// PageRequest is one cross-origin fetch or XHR a page visit expects, and
// what is expected of Chrome's verdict on it. A page visit's requests are
// matched to its verdicts by method, URL and order: the n-th expected
// request for a method and URL is the n-th one the page made. A query
// parameter whose expected value is a redaction placeholder
// ("corsvcr-redacted-3": the file was redacted with its cassette) matches
// any value.
type PageRequest struct {
	Method string // "" means GET
	URL    string // as Chrome resolved it (absolute)
	// Expect: only allowed, cors_error, failed_parameter, preflight,
	// preflights and status are asserted for a page request (the script's
	// view of the response headers is the page's business).
	Expect Expect
}

// IsVisit reports whether c is a page visit.
func (c Check) IsVisit() bool { return c.Visit != nil }

// ExpectVerdicts returns the page requests that expect exactly vs, in
// order: method, URL, allowed, cors_error, failed_parameter, preflights and
// status of each verdict. It is what `corsvcr record --url` writes.
func ExpectVerdicts(vs Verdicts) []PageRequest {
	out := make([]PageRequest, 0, len(vs))
	for _, v := range vs {
		out = append(out, PageRequest{Method: v.Method, URL: v.URL, Expect: Expect{
			Allowed:         ptrTo(v.Allowed),
			CorsError:       ptrTo(v.CorsError),
			FailedParameter: ptrTo(v.FailedParameter),
			Preflights:      ptrTo(v.Preflights),
			Status:          ptrTo(v.Status),
		}})
	}
	return out
}

func ptrTo[T any](v T) *T { return &v }

// visitMismatches matches the verdicts of a page visit to c.Requests by
// method, URL and order, and returns: for each expected request the page
// made, the expectations its verdict breaks (Step: the verdict, from 1);
// for each expected request it did not make, one mismatch of field
// "request" (Step 0); for each request it made that is not expected, one
// mismatch of field "request" (Step: the verdict). Requests nil asserts
// nothing; an empty list asserts that the page makes no cross-origin
// request.
func (c Check) visitMismatches(vs Verdicts) []Mismatch {
	if c.Requests == nil {
		return nil
	}
	match, used := c.matchRequests(vs)
	var out, missing []Mismatch
	for j, r := range c.Requests {
		i := match[j]
		if i < 0 {
			missing = append(missing, Mismatch{Field: "request", Want: fmt.Sprintf("%s %s (requests entry %d)", cmpOr(r.Method, DefaultMethod), r.URL, j+1), Got: "never made"})
			continue
		}
		for _, m := range r.Expect.Mismatches(vs[i]) {
			m.Step = i + 1
			out = append(out, m)
		}
	}
	for i, v := range vs {
		if !used[i] {
			out = append(out, Mismatch{Step: i + 1, Field: "request", Want: "none (the check does not list this request)", Got: cmpOr(v.Method, DefaultMethod) + " " + v.URL})
		}
	}
	// By the verdict they concern, then the requests never made.
	slices.SortStableFunc(out, func(a, b Mismatch) int { return a.Step - b.Step })
	return append(out, missing...)
}

// matchRequests matches the verdicts of a page visit to c.Requests: each
// expected request, in order, takes the first request the page made, in
// order, with its method and URL that no earlier one took (the n-th
// expected for a method and URL is the n-th made). match[j] is the index in
// vs of the request c.Requests[j] took, -1 when none; used[i] reports
// whether vs[i] was taken.
func (c Check) matchRequests(vs Verdicts) (match []int, used []bool) {
	used = make([]bool, len(vs))
	match = make([]int, len(c.Requests))
	for j, r := range c.Requests {
		method := cmpOr(r.Method, DefaultMethod)
		match[j] = -1
		for k, v := range vs {
			if !used[k] && cmpOr(v.Method, DefaultMethod) == method && urlMatches(r.URL, v.URL) {
				match[j], used[k] = k, true
				break
			}
		}
	}
	return match, used
}

// RequestsNotMade returns the requests a page visit c lists (c.Requests)
// that vs, the verdicts on the requests the page made so far, do not
// match, in order: the requests the page has yet to make for the check to
// see each one it lists. A visit waits for them (a page that settled
// sooner offline than live, because the replay answers at once, may still
// make them on a timer).
func (c Check) RequestsNotMade(vs Verdicts) []PageRequest {
	match, _ := c.matchRequests(vs)
	var out []PageRequest
	for j, i := range match {
		if i < 0 {
			out = append(out, c.Requests[j])
		}
	}
	return out
}

// urlMatches reports whether the URL a page made, got, is the expected one,
// want: equal, or equal but for query parameters whose expected value is a
// redaction placeholder (cassettes.RedactedPrefix and digits: the check
// file was redacted with the cassette), which match any value, as the
// replay matches them.
func urlMatches(want, got string) bool {
	if want == got {
		return true
	}
	if !strings.Contains(want, cassettes.RedactedPrefix) {
		return false
	}
	wb, wq, _ := strings.Cut(want, "?")
	gb, gq, _ := strings.Cut(got, "?")
	if wb != gb {
		return false
	}
	wp, gp := strings.Split(wq, "&"), strings.Split(gq, "&")
	if len(wp) != len(gp) {
		return false
	}
	for i := range wp {
		wn, wv, _ := strings.Cut(wp[i], "=")
		gn, _, _ := strings.Cut(gp[i], "=")
		if wn != gn || wp[i] != gp[i] && !isPlaceholder(wv) {
			return false
		}
	}
	return true
}

// isPlaceholder reports whether v is a redaction placeholder.
func isPlaceholder(v string) bool {
	n, ok := strings.CutPrefix(v, cassettes.RedactedPrefix)
	return ok && n != "" && strings.Trim(n, "0123456789") == ""
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// visitProblems returns the problems of a page visit c: steps given too,
// a URL that is not an absolute http or https URL, an idle out of range,
// and each expected request's method, URL and expectations.
func (c Check) visitProblems(add func(step int, field, reason string, item int), inFile bool) {
	if len(c.Steps) > 0 {
		add(0, "steps", "not allowed with visit (a check is a page visit or a list of steps)", -1)
	}
	v := c.Visit
	if u, reason := urlProblem(v.URL); reason != "" {
		add(0, "visit.url", reason, -1)
	} else if u.Scheme != "http" && u.Scheme != "https" {
		add(0, "visit.url", fmt.Sprintf("%q: want an absolute http or https URL", v.URL), -1)
	} else if c.Page != "" && c.Page != fetch.SerializeOrigin(u) {
		add(0, "page", fmt.Sprintf("%q is not the origin of visit.url %q (leave page out: a page visit's page is its URL's origin)", c.Page, v.URL), -1)
	}
	switch {
	case v.Idle < 0:
		add(0, "visit.idle", fmt.Sprintf("%q is negative", v.Idle.String()), -1)
	case inFile && v.Idle > MaxIdle:
		add(0, "visit.idle", fmt.Sprintf("%q is out of range (0s, %v]", v.Idle.String(), MaxIdle), -1)
	}
	for i, r := range c.Requests {
		prefix := fmt.Sprintf("requests[%d].", i+1)
		if r.Method != "" && !fetch.IsToken(r.Method) {
			add(0, prefix+"method", fmt.Sprintf("%q is not a valid HTTP method", r.Method), -1)
		}
		if _, reason := urlProblem(r.URL); reason != "" {
			add(0, prefix+"url", reason, -1)
		} else if want := chromeURL(r.URL); want != r.URL {
			// Matched as a string against the URL as Chrome resolved
			// it: another spelling would never match.
			add(0, prefix+"url", fmt.Sprintf("%q is not written as Chrome resolves it (write %q)", r.URL, want), -1)
		}
		if m := strings.ToUpper(r.Method); m != r.Method && slices.Contains(normalizedMethods, m) {
			add(0, prefix+"method", fmt.Sprintf("%q: fetch and XHR send it as %q (write %q)", r.Method, m, m), -1)
		}
		if r.Expect.ReadableHeaders != nil || r.Expect.UnreadableHeaders != nil {
			add(0, prefix+"readable_headers", "not asserted for a page request", -1)
		}
		for _, p := range r.Expect.problems() {
			add(0, prefix+strings.TrimPrefix(p.field, "expect."), p.reason, -1)
		}
	}
}

// normalizedMethods are the methods fetch and XHR upper-case (any other
// method goes out as written: "patch" stays "patch").
var normalizedMethods = []string{"DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT"}

// chromeURL returns the http or https URL raw as Chrome resolves it for a
// request: scheme and host in lower case, no default port, a path of at
// least "/" without "." or ".." segments, no fragment (DevTools reports it
// apart). The rest (the path's and query's encoding) is kept as written.
// Another scheme is returned unchanged.
func chromeURL(raw string) string {
	scheme, rest, ok := strings.Cut(raw, "://")
	scheme = strings.ToLower(scheme)
	if !ok || (scheme != "http" && scheme != "https") {
		return raw
	}
	rest, _, _ = strings.Cut(rest, "#")
	end := strings.IndexAny(rest, "/?")
	if end < 0 {
		end = len(rest)
	}
	authority, rest := rest[:end], rest[end:]
	userinfo, host := "", authority
	if i := strings.LastIndex(authority, "@"); i >= 0 {
		userinfo, host = authority[:i+1], authority[i+1:]
	}
	host = strings.ToLower(host)
	if p := map[string]string{"http": ":80", "https": ":443"}[scheme]; strings.HasSuffix(host, p) {
		host = strings.TrimSuffix(host, p)
	}
	pth, query, hasQuery := strings.Cut(rest, "?")
	pth = removeDotSegments(pth)
	if pth == "" {
		pth = "/"
	}
	out := scheme + "://" + userinfo + host + pth
	if hasQuery {
		out += "?" + query
	}
	return out
}

// removeDotSegments removes the "." and ".." segments of an absolute path
// (RFC 3986, 5.2.4).
func removeDotSegments(p string) string {
	if !strings.Contains(p, "/.") {
		return p
	}
	var out []string
	segs := strings.Split(p, "/")[1:]
	for i, s := range segs {
		last := i == len(segs)-1
		switch s {
		case ".":
			if last {
				out = append(out, "")
			}
		case "..":
			if len(out) > 0 {
				out = out[:len(out)-1]
			}
			if last {
				out = append(out, "")
			}
		default:
			out = append(out, s)
		}
	}
	return "/" + strings.Join(out, "/")
}

// Origin returns the origin of v.URL as Chrome serialises it, the page
// origin of the visit; "" when v.URL is not an http or https URL.
func (v Visit) Origin() string { return visitOrigin(v.URL) }

// visitOrigin returns the origin of a visit URL, "" when it has none.
func visitOrigin(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return ""
	}
	return fetch.SerializeOrigin(u)
}

// visit parses a check's visit mapping: {url, idle, after_load}.
func (p *parser) visit(w where, n *yaml.Node) *Visit {
	v := &Visit{}
	m := p.fields(w, n, "visit.", "url", "idle", "after_load")
	p.node(w, "visit", -1, n)
	if n.Kind != yaml.MappingNode {
		p.bad[nodeKey{w.index, 0, "visit.url", -1}] = true
		return v
	}
	if u := m["url"]; u != nil {
		if s, ok := p.str(w, u, "visit.url"); ok {
			v.URL = s
		} else {
			p.bad[nodeKey{w.index, 0, "visit.url", -1}] = true
		}
	}
	if d := m["idle"]; d != nil {
		if s, ok := p.str(w, d, "visit.idle"); ok {
			switch dur, err := time.ParseDuration(s); {
			case err != nil:
				p.errorf(w, d, "visit.idle", "%q is not a duration such as 500ms or 1.5s", s)
			case dur <= 0:
				p.errorf(w, d, "visit.idle", "%q is out of range (0s, %v]", s, MaxIdle)
			default:
				v.Idle = dur
			}
		}
	}
	if s := m["after_load"]; s != nil {
		v.AfterLoad, _ = p.str(w, s, "visit.after_load")
	}
	return v
}

// requests parses a page visit's expected requests: a list (possibly
// empty) of {method, url, allowed, cors_error, failed_parameter,
// preflight, preflights, status}.
func (p *parser) requests(w where, n *yaml.Node) []PageRequest {
	if n.Kind != yaml.SequenceNode {
		p.errorf(w, n, "requests", "want a list, got %s", kind(n))
		return nil
	}
	out := make([]PageRequest, 0, len(n.Content))
	for i, rn := range n.Content {
		prefix := fmt.Sprintf("requests[%d]", i+1)
		p.node(w, prefix, -1, rn)
		var r PageRequest
		m := p.fields(w, rn, prefix+".", "method", "url", "allowed", "cors_error", "failed_parameter", "preflight", "preflights", "status")
		if rn.Kind != yaml.MappingNode {
			out = append(out, r)
			p.bad[nodeKey{w.index, 0, prefix + ".url", -1}] = true
			continue
		}
		if v := m["method"]; v != nil {
			if s, ok := p.str(w, v, prefix+".method"); ok {
				if s == "" {
					p.errorf(w, v, prefix+".method", "%q is not a valid HTTP method", s)
				}
				r.Method = s
			}
		}
		if v := m["url"]; v != nil {
			if s, ok := p.str(w, v, prefix+".url"); ok {
				r.URL = s
			} else {
				p.bad[nodeKey{w.index, 0, prefix + ".url", -1}] = true
			}
		}
		// The expectation fields, parsed as an expect mapping's: rename
		// them for the messages.
		e := &yaml.Node{Kind: yaml.MappingNode, Line: rn.Line}
		for i := 0; i+1 < len(rn.Content); i += 2 {
			if k := rn.Content[i].Value; k != "method" && k != "url" && m[k] != nil {
				e.Content = append(e.Content, rn.Content[i], rn.Content[i+1])
			}
		}
		r.Expect = p.pageExpect(w, e, prefix)
		r.Method = cmpOr(r.Method, DefaultMethod)
		out = append(out, r)
	}
	return out
}

// pageExpect parses the expectation fields of a page request.
func (p *parser) pageExpect(w where, n *yaml.Node, prefix string) Expect {
	var e Expect
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i].Value, n.Content[i+1]
		field := prefix + "." + k
		switch k {
		case "allowed":
			e.Allowed = p.boolean(w, v, field)
		case "preflight":
			e.Preflight = p.boolean(w, v, field)
		case "cors_error":
			if s, ok := p.str(w, v, field); ok {
				e.CorsError = &s
			}
		case "failed_parameter":
			if s, ok := p.str(w, v, field); ok {
				e.FailedParameter = &s
			}
		case "preflights":
			if i, ok := p.integer(w, v, field); ok {
				e.Preflights = &i
			}
		case "status":
			if i, ok := p.integer(w, v, field); ok {
				e.Status = &i
			}
		}
	}
	return e
}

// visitNode encodes a page visit check's visit and requests into n.
func visitNode(n *yaml.Node, c Check) {
	v := &yaml.Node{Kind: yaml.MappingNode}
	encPut(v, "url", encStr(c.Visit.URL))
	if c.Visit.Idle > 0 {
		encPut(v, "idle", encStr(c.Visit.Idle.String()))
	}
	if c.Visit.AfterLoad != "" {
		encPut(v, "after_load", encStr(c.Visit.AfterLoad))
	}
	encPut(n, "visit", v)
	if c.Requests == nil {
		return
	}
	list := &yaml.Node{Kind: yaml.SequenceNode}
	if len(c.Requests) == 0 {
		list.Style = yaml.FlowStyle
	}
	for _, r := range c.Requests {
		rn := &yaml.Node{Kind: yaml.MappingNode}
		encPut(rn, "method", encStr(cmpOr(r.Method, DefaultMethod)))
		encPut(rn, "url", encStr(r.URL))
		if e := expectNode(Expect{Allowed: r.Expect.Allowed, CorsError: r.Expect.CorsError, FailedParameter: r.Expect.FailedParameter,
			Preflight: r.Expect.Preflight, Preflights: r.Expect.Preflights, Status: r.Expect.Status}); e != nil {
			rn.Content = append(rn.Content, e.Content...)
		}
		list.Content = append(list.Content, rn)
	}
	encPut(n, "requests", list)
}
