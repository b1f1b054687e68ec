package har_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/corsvcr/corsvcr/cassettes"
	"github.com/corsvcr/corsvcr/cassettes/cassettestest"
	"github.com/corsvcr/corsvcr/checks"
	"github.com/corsvcr/corsvcr/har"
)

const (
	app = "http://app.test"
	api = "http://api.test"
)

// hs builds Headers from name, value pairs.
var hs = cassettestest.Headers

// ia is an interaction of method to url with request headers req and
// response headers resp; its kind follows the request.
func ia(method, url string, req, resp cassettes.Headers) cassettes.Interaction {
	return cassettes.Interaction{
		Kind:     cassettes.Classify(method, req),
		Request:  cassettes.Request{Method: method, URL: url, Headers: req},
		Response: cassettes.Response{Status: 200, Headers: resp},
	}
}

// derived is a check of DeriveChecks in short: its name, page, request and note.
type derived struct {
	name, page string
	req        checks.Request
	note       string
}

// req is a check request with the defaults a derived check carries.
func req(method, url string, credentials checks.Credentials) checks.Request {
	return checks.Request{URL: url, Method: method, Credentials: credentials}.WithDefaults()
}

const (
	noteNoCreds   = "credentials same-origin (guessed: no cookie sent, no Access-Control-Allow-Credentials)"
	noteCookie    = "credentials include (the request sent a Cookie)"
	noteACAC      = "credentials include (guessed: the response carries Access-Control-Allow-Credentials)"
	notePreflight = "from a preflight no actual request followed; header values guessed; "
)

func TestDeriveChecks(t *testing.T) {
	t.Parallel()
	preflightPUT := ia("OPTIONS", api+"/items/1", hs("Origin", app, "Access-Control-Request-Method", "PUT",
		"Access-Control-Request-Headers", "content-type,x-token"), hs("Access-Control-Allow-Origin", app))
	withHeaders := func(r checks.Request, kv ...string) checks.Request {
		for i := 0; i+1 < len(kv); i += 2 {
			r.Headers = append(r.Headers, checks.Header{Name: kv[i], Value: kv[i+1]})
		}
		return r
	}
	withBody := func(r checks.Request, body string) checks.Request {
		r.Body = body
		return r
	}
	tests := []struct {
		name         string
		interactions []cassettes.Interaction
		want         []derived
	}{
		{
			name:         "cross-origin actual request",
			interactions: []cassettes.Interaction{ia("GET", api+"/items", hs("Origin", app), nil)},
			want:         []derived{{name: "#0", page: app, req: req("GET", api+"/items", "same-origin"), note: noteNoCreds}},
		},
		{
			name: "same-origin, Origin null and no Origin are skipped",
			interactions: []cassettes.Interaction{
				ia("POST", app+"/form", hs("Origin", app), nil),
				ia("GET", api+"/after-redirect", hs("Origin", "null"), nil),
				ia("GET", api+"/", nil, nil),
			},
			want: nil,
		},
		{
			name: "default ports: http://a:80 is http://a",
			interactions: []cassettes.Interaction{
				ia("GET", "http://app.test:80/x", hs("Origin", app), nil),
				ia("GET", "https://app.test/x", hs("Origin", "https://app.test:443"), nil),
				ia("GET", "https://app.test:8443/x", hs("Origin", "https://app.test"), nil),
			},
			want: []derived{{name: "#2", page: "https://app.test", req: req("GET", "https://app.test:8443/x", "same-origin"), note: noteNoCreds}},
		},
		{
			name: "preflight followed by its actual request: one check",
			interactions: []cassettes.Interaction{
				preflightPUT,
				ia("PUT", api+"/items/1", hs("Origin", app, "Content-Type", "application/json", "X-Token", "t"), hs("Access-Control-Allow-Origin", app)),
			},
			want: []derived{{name: "#1", page: app,
				req: withHeaders(req("PUT", api+"/items/1", "same-origin"), "Content-Type", "application/json", "X-Token", "t"), note: noteNoCreds}},
		},
		{
			name: "preflight for another method stays unpaired",
			interactions: []cassettes.Interaction{
				preflightPUT,
				ia("POST", api+"/items/1", hs("Origin", app), nil),
			},
			want: []derived{
				{name: "#1", page: app, req: req("POST", api+"/items/1", "same-origin"), note: noteNoCreds},
				{name: "#0", page: app, req: withBody(withHeaders(req("PUT", api+"/items/1", "same-origin"),
					"content-type", "application/json", "x-token", "x"), "{}"), note: notePreflight + noteNoCreds},
			},
		},
		{
			name:         "preflight with no actual request: guessed headers and body",
			interactions: []cassettes.Interaction{preflightPUT},
			want: []derived{{name: "#0", page: app, req: withBody(withHeaders(req("PUT", api+"/items/1", "same-origin"),
				"content-type", "application/json", "x-token", "x"), "{}"), note: notePreflight + noteNoCreds}},
		},
		{
			name: "preflight of a GET: no body",
			interactions: []cassettes.Interaction{ia("OPTIONS", api+"/q", hs("Origin", app, "Access-Control-Request-Method", "GET",
				"Access-Control-Request-Headers", "authorization"), hs("Access-Control-Allow-Credentials", "true"))},
			want: []derived{{name: "#0", page: app, req: withHeaders(req("GET", api+"/q", "include"), "authorization", "x"),
				note: notePreflight + noteACAC}},
		},
		{
			name: "credentials: a Cookie sent means include",
			interactions: []cassettes.Interaction{
				ia("GET", api+"/me", hs("Origin", app, "Cookie", "session=1"), nil),
			},
			want: []derived{{name: "#0", page: app, req: req("GET", api+"/me", "include"), note: noteCookie}},
		},
		{
			name: "credentials: Access-Control-Allow-Credentials in the response means include",
			interactions: []cassettes.Interaction{
				ia("GET", api+"/me", hs("Origin", app), hs("Access-Control-Allow-Origin", app, "Access-Control-Allow-Credentials", "true")),
			},
			want: []derived{{name: "#0", page: app, req: req("GET", api+"/me", "include"), note: noteACAC}},
		},
		{
			name: "only the headers the script set",
			interactions: []cassettes.Interaction{
				ia("POST", api+"/items", hs("Host", "api.test", "Origin", app, "Referer", app+"/", "User-Agent", "Chrome",
					"Accept", "*/*", "Accept-Encoding", "gzip", "Accept-Language", "en", "Sec-Fetch-Mode", "cors",
					"Connection", "keep-alive", "Content-Length", "2", "Pragma", "no-cache", "Cache-Control", "no-cache",
					"If-None-Match", `"e1"`, "Priority", "u=1", "Content-Type", "text/plain", "X-Client", "1"), nil),
			},
			want: []derived{{name: "#0", page: app,
				req: withHeaders(req("POST", api+"/items", "same-origin"), "Content-Type", "text/plain", "X-Client", "1"), note: noteNoCreds}},
		},
		{
			name: "a script's own Accept and Cache-Control are kept",
			interactions: []cassettes.Interaction{
				ia("GET", api+"/items", hs("Origin", app, "Accept", "application/json", "Cache-Control", "no-store"), nil),
			},
			want: []derived{{name: "#0", page: app,
				req: withHeaders(req("GET", api+"/items", "same-origin"), "Accept", "application/json", "Cache-Control", "no-store"), note: noteNoCreds}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var got []derived
			for _, d := range har.DeriveChecks(&cassettes.Cassette{Interactions: tt.interactions}) {
				if assert.Len(t, d.Check.Steps, 1, d.Check.Name) {
					got = append(got, derived{d.Check.Name, d.Check.Page, d.Check.Steps[0].Request, d.Note})
				}
			}
			assert.Equal(t, tt.want, got)
		})
	}
}
