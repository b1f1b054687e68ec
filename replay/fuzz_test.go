package replay

import (
	"bytes"
	"io"
	"net/http"
	"net/textproto"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/corsvcr/corsvcr/cassettes"
)

// fromRecorded builds the request a browser would send for rq.
func fromRecorded(t *testing.T, rq cassettes.Request) *http.Request {
	t.Helper()
	u, err := url.Parse(rq.URL)
	require.NoError(t, err)
	req := &http.Request{
		Method:     rq.Method,
		URL:        u,
		Host:       u.Host,
		RequestURI: rq.URL,
		Header:     http.Header{},
		Proto:      "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
	}
	for _, f := range rq.Headers {
		name := textproto.CanonicalMIMEHeaderKey(f.Name)
		req.Header[name] = append(req.Header[name], f.Value)
	}
	if len(rq.Body) > 0 {
		req.Body, req.ContentLength = io.NopCloser(bytes.NewReader(rq.Body)), int64(len(rq.Body))
	}
	return req
}

// shuffleTokens reverses the comma-separated tokens of s, upper-cases their
// ASCII letters and pads them with blanks.
func shuffleTokens(s string) string {
	toks := strings.Split(s, ",")
	slices.Reverse(toks)
	for i, tok := range toks {
		up := []byte(tok)
		for j, c := range up {
			if 'a' <= c && c <= 'z' {
				up[j] = c - 'a' + 'A'
			}
		}
		toks[i] = " " + string(up) + "\t"
	}
	return strings.Join(toks, ",")
}

func FuzzMatcher(f *testing.F) {
	type seed struct {
		method, url, origin, acrm, acrh string
		cred                            bool
		path                            string
		ctype, xname, body              string
	}
	for _, s := range []seed{
		{"OPTIONS", "http://localhost:8000/api/items?x=1", "http://localhost:8080", "PUT", "content-type,x-token", false, "/api/items", "", "", ""},
		{"PUT", "http://api.test:8000/items?x=1", "http://app.test:8080", "", "", true, "/items?x=1", "application/json", "X-Token", `{"a":1}`},
		{"patch", "https://secure.test:443/s", "null", "", "", false, "/s", "text/plain", "Range", "x"},
		{"GET", "http://API.test:80/p%41th?", "", "", "", false, "/p%41th", "", "range", ""},
		{"OPTIONS", "http://[::1]:8000/", "http://a", "DELETE", "B, a ,a", false, "/", "", "user-agent", ""},
		{"GET", "http://a.test/", "", "", ",,", true, "", "", "", cassettes.RedactedPrefix + "1"},
		{"POST", "http://a.test/", "http://b", "", "", false, "", "a", "x-a", "{\"p\":\"" + cassettes.RedactedPrefix + "7\"}"},
	} {
		f.Add(s.method, s.url, s.origin, s.acrm, s.acrh, s.cred, s.path, s.ctype, s.xname, s.body)
	}
	f.Fuzz(func(t *testing.T, method, rawURL, origin, acrm, acrh string, cred bool, path, ctype, xname, body string) {
		var h cassettes.Headers
		add := func(name, value string) {
			if value != "" {
				h = append(h, cassettes.Header{Name: name, Value: value})
			}
		}
		add("origin", origin)
		add("Access-Control-Request-Method", acrm)
		add("access-control-request-headers", acrh)
		if cred {
			add("Cookie", "c=1")
		}
		add("User-Agent", "fuzz")
		add("Content-Type", ctype)
		if xname != "" && !strings.ContainsAny(xname, ":\r\n") {
			add(xname, "x")
		}
		recorded := cassettes.Interaction{
			Request:  cassettes.Request{Method: method, URL: rawURL, Headers: h, Body: cassettes.Body(body)},
			Response: cassettes.Response{Status: 200, Headers: hs("Access-Control-Allow-Origin: *"), Body: cassettes.Body("x")},
		}
		// twin shares recorded's match key and differs in its body.
		twin := recorded
		twin.Request.Body = cassettes.Body(body + "~")
		twin.Response.Status = 201
		other := ia("GET", "http://other.test/", nil, 200, "other")
		for _, host := range []string{"", "other.test"} {
			r, err := New(Config{Cassette: cassette(other, recorded, twin), Host: host})
			if err != nil {
				return
			}

			// Reflexive for the script part too: each of recorded and
			// twin gets its own answer, in both orders, through ServeHTTP
			// and a Session, strict or not (#0 may share the key and
			// script part of recorded; it answers first then).
			for _, strict := range []bool{false, true} {
				for _, order := range [][]int{{1, 2}, {2, 1}} {
					cfg := Config{Cassette: r.cfg.Cassette, Host: host, Strict: strict}
					rs, err := New(cfg)
					require.NoError(t, err)
					ss, err := NewSession(cfg)
					require.NoError(t, err)
					for _, i := range order {
						rq := r.cfg.Cassette.Interactions[i].Request
						_, _, e := serveOne(t, rs, fromRecorded(t, rq))
						a := ss.RoundTrip(rq)
						require.Equal(t, e.Hit, a.Interaction, "ServeHTTP and Session differ")
						if r.scriptOf(1).wild || r.scriptOf(2).wild {
							// A placeholder hides what told the two
							// apart: no own-answer guarantee.
							continue
						}
						require.GreaterOrEqual(t, e.Hit, 0, "miss: %v", e.Miss)
						require.Equal(t, r.keyOf(i), r.keyOf(e.Hit))
						require.True(t, sameScript(r.scriptOf(i), r.scriptOf(e.Hit)), "request %d got #%d", i, e.Hit)
					}
				}
			}

			// Reflexive: the request recorded as #1 hits an interaction with
			// the same key (#1 itself unless #0 shares the key).
			req := fromRecorded(t, recorded.Request)
			req.Header.Set("User-Agent", "something else")
			_, _, e := serveOne(t, r, req)
			require.GreaterOrEqual(t, e.Hit, 0, "miss: %v", e.Miss)
			require.Equal(t, r.keyOf(1), r.keyOf(e.Hit))

			// Order-insensitive for Access-Control-Request-Headers.
			req = fromRecorded(t, recorded.Request)
			if acrh != "" {
				req.Header.Set("Access-Control-Request-Headers", shuffleTokens(acrh))
			}
			_, _, e = serveOne(t, r, req)
			require.GreaterOrEqual(t, e.Hit, 0, "miss: %v", e.Miss)
			require.Equal(t, r.keyOf(1), r.keyOf(e.Hit))

			// Never panics: arbitrary origin-form and absolute requests.
			for _, u := range []*url.URL{
				{Path: path, RawQuery: acrh},
				{Scheme: "http", Host: origin, Path: path},
			} {
				req := &http.Request{Method: method, URL: u, Host: "h", Header: http.Header{
					"Origin":                         {origin},
					"Access-Control-Request-Method":  {acrm},
					"Access-Control-Request-Headers": {acrh, path},
				}}
				resp, _, e := serveOne(t, r, req)
				if e.Miss != nil {
					require.NotContains(t, resp.Header.Get(MissHeader), "\n")
					_ = e.Miss.Error()
				}
			}
		}
	})
}
