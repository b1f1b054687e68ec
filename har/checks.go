package har

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/corsvcr/corsvcr/cassettes"
	"github.com/corsvcr/corsvcr/checks"
)

// CheckSet holds the checks an import yields, one per cross-origin request
// a page script made (Report.Requests), until File writes them out.
type CheckSet struct {
	// Extra are the requests of the checks that the HAR holds no response
	// for: copies of the HAR's requests, not in the cassette. Redact them
	// together with the cassette (redact.Options.Extra) before File, so
	// that the check file carries the cassette's placeholders.
	Extra []*cassettes.Request
	// CookiesDropped is the number of interactions whose request Cookie
	// header Checks dropped.
	CookiesDropped int

	reqs    []checkSource
	cookies map[int]bool // interaction → its request had a Cookie
}

// checkSource is a cross-origin request of a HAR and the request its check
// is written from: an interaction's request, or one of Extra.
type checkSource struct {
	q   Request
	req *cassettes.Request
}

// Checks readies cas, imported by Import with report rep, to be replayed
// by checks, and returns those checks. A check starts with an empty cookie
// jar, so a replayed request never carries the cookies the HAR shows:
// Checks drops every request Cookie header from cas, in place, and keeps
// their trace as credentials include in the checks.
//
// The checks are written from the requests of cas when the HAR answered
// them, and from copies of the HAR's requests (CheckSet.Extra) otherwise,
// so that redacting cas and Extra redacts the check file too.
func Checks(cas *cassettes.Cassette, rep Report) *CheckSet {
	s := &CheckSet{cookies: map[int]bool{}}
	for i := range cas.Interactions {
		rq := &cas.Interactions[i].Request
		n := len(rq.Headers)
		rq.Headers = slices.DeleteFunc(rq.Headers, func(h cassettes.Header) bool { return strings.EqualFold(h.Name, "Cookie") })
		if len(rq.Headers) < n {
			s.cookies[i] = true
			s.CookiesDropped++
		}
	}
	for _, q := range rep.Requests {
		if q.Interaction >= 0 {
			s.reqs = append(s.reqs, checkSource{q, &cas.Interactions[q.Interaction].Request})
			continue
		}
		r := q.Request
		r.Headers = slices.Clone(r.Headers)
		s.reqs = append(s.reqs, checkSource{q, &r})
		s.Extra = append(s.Extra, &r)
	}
	return s
}

// Len returns the number of checks.
func (s *CheckSet) Len() int { return len(s.reqs) }

// File returns the check file: one check per request, named by its method
// and URL without the query, with the headers the script set (see
// ScriptHeaders), credentials include when the request carried cookies,
// fetch or XMLHttpRequest as the HAR says, and no expectations (a HAR
// holds no CORS verdict). Page origins are mapped by maps; the file's page
// is the most used one.
func (s *CheckSet) File(maps []cassettes.OriginMapping) *checks.File {
	f := &checks.File{Version: 1}
	counts := map[string]int{}
	names := map[string]int{}
	for _, src := range s.reqs {
		page := src.q.Page
		for _, m := range maps {
			if m.From == page {
				page = m.To
			}
		}
		counts[page]++
		r := src.req
		cr := checkRequest(*r)
		if strings.EqualFold(src.q.ResourceType, "xhr") {
			cr.API = "xhr"
		}
		_, hadCookie := src.q.Request.Headers.Get("Cookie")
		if hadCookie || src.q.Interaction >= 0 && s.cookies[src.q.Interaction] {
			cr.Credentials = "include"
		}
		name := r.Method + " " + strings.TrimPrefix(strings.TrimPrefix(withoutQuery(r.URL), "https://"), "http://")
		names[name]++
		if n := names[name]; n > 1 {
			name = fmt.Sprintf("%s (%d)", name, n)
		}
		f.Checks = append(f.Checks, checks.Check{Name: name, Page: page, Steps: []checks.Step{{Request: cr}}})
	}
	best := 0
	for _, c := range f.Checks { // the most used page, first one on ties
		if counts[c.Page] > best {
			f.Page, best = c.Page, counts[c.Page]
		}
	}
	return f
}

// newRequest is a check request of method to rawURL with every other
// field at the check file's default.
func newRequest(method, rawURL string) checks.Request {
	return checks.Request{URL: rawURL, Method: method}.WithDefaults()
}

// checkRequest is the request of a check that repeats the recorded
// request r: its method and URL, the headers the page script set, and its
// body when fetch can send it as text.
func checkRequest(r cassettes.Request) checks.Request {
	cr := newRequest(r.Method, r.URL)
	for _, h := range ScriptHeaders(r) {
		cr.Headers = append(cr.Headers, checks.Header{Name: h.Name, Value: h.Value})
	}
	if len(r.Body) > 0 && utf8.Valid(r.Body) && r.Method != "GET" && r.Method != "HEAD" {
		cr.Body = string(r.Body)
	}
	return cr
}

func withoutQuery(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	u.User, u.RawQuery, u.ForceQuery, u.Fragment = nil, "", false, ""
	return u.String()
}
