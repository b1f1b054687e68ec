package har

import (
	"fmt"
	"strings"

	"github.com/corsvcr/corsvcr/cassettes"
	"github.com/corsvcr/corsvcr/checks"
)

// Derived is a check derived from recorded traffic, with what was guessed
// to make it.
type Derived struct {
	// Check is named after its interaction, "#3", and has one step.
	Check checks.Check
	// Note says what was guessed, e.g. "credentials include (the request
	// sent a Cookie)".
	Note string
}

// DeriveChecks returns one check per cross-origin exchange of cas, for
// when no check file says what the page did: first one per actual request
// carrying an Origin other than its URL's (not "null"), with the headers
// the page script set (see ScriptHeaders), in cassette order; then one per
// preflight that no actual request followed (the preflight failed), its
// method and headers taken from Access-Control-Request-Method and
// -Headers, header values and a body guessed.
//
// A preflight is paired with the first later actual request to the same
// URL, from the same origin, with the method it asked for. The credentials
// mode is include when the request sent a Cookie or the response carries
// Access-Control-Allow-Credentials, else same-origin; the note says which.
func DeriveChecks(cas *cassettes.Cassette) []Derived {
	var out []Derived
	paired := map[int]bool{}
	for i, in := range cas.Interactions {
		if in.Kind == cassettes.KindPreflight {
			continue
		}
		origin, ok := in.Request.Headers.Get("Origin")
		if !ok || origin == "null" || sameOrigin(origin, in.Request.URL) {
			continue
		}
		for j := i - 1; j >= 0; j-- {
			p := cas.Interactions[j]
			acrm, _ := p.Request.Headers.Get("Access-Control-Request-Method")
			po, _ := p.Request.Headers.Get("Origin")
			if p.Kind == cassettes.KindPreflight && !paired[j] && p.Request.URL == in.Request.URL && po == origin && acrm == in.Request.Method {
				paired[j] = true
				break
			}
		}
		r := checkRequest(in.Request)
		var why string
		r.Credentials, why = guessCredentials(in.Request.Headers, in.Response.Headers)
		out = append(out, Derived{
			Check: checks.Check{Name: fmt.Sprintf("#%d", i), Page: origin, Steps: []checks.Step{{Request: r}}},
			Note:  "credentials " + string(r.Credentials) + " (" + why + ")",
		})
	}
	for j, p := range cas.Interactions {
		if p.Kind != cassettes.KindPreflight || paired[j] {
			continue
		}
		origin, _ := p.Request.Headers.Get("Origin")
		acrm, _ := p.Request.Headers.Get("Access-Control-Request-Method")
		acrh, _ := p.Request.Headers.Get("Access-Control-Request-Headers")
		r := newRequest(acrm, p.Request.URL)
		for n := range strings.SplitSeq(acrh, ",") {
			if n = strings.TrimSpace(n); n == "" {
				continue
			}
			v := "x"
			if strings.EqualFold(n, "content-type") {
				v = "application/json"
			}
			r.Headers = append(r.Headers, checks.Header{Name: n, Value: v})
		}
		if acrm != "GET" && acrm != "HEAD" {
			r.Body = "{}"
		}
		var why string
		r.Credentials, why = guessCredentials(nil, p.Response.Headers)
		out = append(out, Derived{
			Check: checks.Check{Name: fmt.Sprintf("#%d", j), Page: origin, Steps: []checks.Step{{Request: r}}},
			Note:  "from a preflight no actual request followed; header values guessed; credentials " + string(r.Credentials) + " (" + why + ")",
		})
	}
	return out
}

// guessCredentials returns the credentials mode a request with headers req
// answered with headers resp was likely made with, and why.
func guessCredentials(req, resp cassettes.Headers) (mode checks.Credentials, why string) {
	if _, ok := req.Get("Cookie"); ok {
		return checks.CredentialsInclude, "the request sent a Cookie"
	}
	if _, ok := resp.Get("Access-Control-Allow-Credentials"); ok {
		return checks.CredentialsInclude, "guessed: the response carries Access-Control-Allow-Credentials"
	}
	return checks.CredentialsSameOrigin, "guessed: no cookie sent, no Access-Control-Allow-Credentials"
}

// sameOrigin reports whether the origin serialisation origin and the URL
// rawURL are the same http(s) origin, default ports and case aside.
func sameOrigin(origin, rawURL string) bool {
	o := originOf(origin)
	return o != "" && o == originOf(rawURL)
}
