package replay

import (
	"net/http"
	"net/http/httptest"
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
	}
	for _, s := range []seed{
		{"OPTIONS", "http://localhost:8000/api/items?x=1", "http://localhost:8080", "PUT", "content-type,x-token", false, "/api/items"},
		{"PUT", "http://api.test:8000/items?x=1", "http://app.test:8080", "", "", true, "/items?x=1"},
		{"patch", "https://secure.test:443/s", "null", "", "", false, "/s"},
		{"GET", "http://API.test:80/p%41th?", "", "", "", false, "/p%41th"},
		{"OPTIONS", "http://[::1]:8000/", "http://a", "DELETE", "B, a ,a", false, "/"},
		{"GET", "http://a.test/", "", "", ",,", true, ""},
	} {
		f.Add(s.method, s.url, s.origin, s.acrm, s.acrh, s.cred, s.path)
	}
	f.Fuzz(func(t *testing.T, method, rawURL, origin, acrm, acrh string, cred bool, path string) {
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
		recorded := cassettes.Interaction{
			Request:  cassettes.Request{Method: method, URL: rawURL, Headers: h},
			Response: cassettes.Response{Status: 200, Headers: hs("Access-Control-Allow-Origin: *"), Body: cassettes.Body("x")},
		}
		other := ia("GET", "http://other.test/", nil, 200, "other")
		for _, host := range []string{"", "other.test"} {
			r, err := New(Config{Cassette: cassette(other, recorded), Host: host})
			if err != nil {
				return
			}

			// Reflexive: the request recorded as #1 hits an interaction with
			// the same key (#1 itself unless #0 shares the key).
			req := fromRecorded(t, recorded.Request)
			req.Header.Set("User-Agent", "something else")
			r.ServeHTTP(httptest.NewRecorder(), req)
			e := lastEntry(t, r)
			require.GreaterOrEqual(t, e.Hit, 0, "miss: %v", e.Miss)
			require.Equal(t, r.ints[1].key, r.ints[e.Hit].key)

			// Order-insensitive for Access-Control-Request-Headers.
			req = fromRecorded(t, recorded.Request)
			if acrh != "" {
				req.Header.Set("Access-Control-Request-Headers", shuffleTokens(acrh))
			}
			r.ServeHTTP(httptest.NewRecorder(), req)
			e = lastEntry(t, r)
			require.GreaterOrEqual(t, e.Hit, 0, "miss: %v", e.Miss)
			require.Equal(t, r.ints[1].key, r.ints[e.Hit].key)

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
				rec := httptest.NewRecorder()
				r.ServeHTTP(rec, req)
				if e := lastEntry(t, r); e.Miss != nil {
					require.NotContains(t, rec.Header().Get(MissHeader), "\n")
					_ = e.Miss.Error()
				}
			}
		}
	})
}
