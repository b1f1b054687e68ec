package replay

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/corsvcr/corsvcr/cassettes"
)

const (
	api = "http://api.test:8000"
	app = "http://app.test:8080"
)

// keyCassette has one interaction per kind of key difference.
var keyCassette = []cassettes.Interaction{
	0: ia("OPTIONS", api+"/items?x=1", []string{
		"Origin: " + app,
		"Access-Control-Request-Method: PUT",
		"Access-Control-Request-Headers: content-type,x-token",
	}, 204, ""),
	1: ia("PUT", api+"/items?x=1", []string{"Origin: " + app, "Cookie: session=abc"}, 200, "put"),
	2: ia("PATCH", api+"/items", []string{"Origin: " + app}, 200, "patch"),
	3: ia("GET", "http://api.test/plain", nil, 200, "plain"),
	4: ia("GET", "https://secure.test/s", nil, 200, "secure"),
}

func TestMatchKey(t *testing.T) {
	t.Parallel()
	preflight := []string{
		"Origin: " + app,
		"Access-Control-Request-Method: PUT",
		"Access-Control-Request-Headers: content-type,x-token",
	}
	tests := []struct {
		name      string
		method    string
		target    string
		header    []string
		wantHit   int    // -1 for a miss
		wantField string // for a miss
	}{
		{name: "exact preflight", method: "OPTIONS", target: api + "/items?x=1", header: preflight, wantHit: 0},
		{
			name: "ignored headers differ", method: "OPTIONS", target: api + "/items?x=1",
			header: append(append([]string{}, preflight...),
				"User-Agent: other", `sec-ch-ua: "Chromium";v="156"`, "Sec-Fetch-Mode: cors",
				"Sec-Fetch-Site: cross-site", "Accept: */*", "Accept-Language: fr", "Referer: "+app+"/page",
				"Accept-Encoding: gzip, deflate, br, zstd", "Content-Type: text/plain"),
			wantHit: 0,
		},
		{
			name: "request headers in another order and case", method: "OPTIONS", target: api + "/items?x=1",
			header: []string{
				"Origin: " + app,
				"Access-Control-Request-Method: PUT",
				"Access-Control-Request-Headers:  X-Token ,Content-Type,x-token",
			},
			wantHit: 0,
		},
		{
			name: "request headers split over two lines", method: "OPTIONS", target: api + "/items?x=1",
			header: []string{
				"Origin: " + app,
				"Access-Control-Request-Method: PUT",
				"Access-Control-Request-Headers: x-token",
				"Access-Control-Request-Headers: content-type",
			},
			wantHit: 0,
		},
		{
			name: "request headers differ", method: "OPTIONS", target: api + "/items?x=1",
			header: []string{
				"Origin: " + app,
				"Access-Control-Request-Method: PUT",
				"Access-Control-Request-Headers: content-type",
			},
			wantHit: -1, wantField: fieldACRH,
		},
		{
			name: "request method differs", method: "OPTIONS", target: api + "/items?x=1",
			header: []string{
				"Origin: " + app,
				"Access-Control-Request-Method: DELETE",
				"Access-Control-Request-Headers: content-type,x-token",
			},
			wantHit: -1, wantField: fieldACRM,
		},
		{
			name: "request method absent", method: "OPTIONS", target: api + "/items?x=1",
			header:  []string{"Origin: " + app, "Access-Control-Request-Headers: content-type,x-token"},
			wantHit: -1, wantField: fieldACRM,
		},
		{
			name: "origin differs", method: "OPTIONS", target: api + "/items?x=1",
			header: []string{
				"Origin: http://evil.test",
				"Access-Control-Request-Method: PUT",
				"Access-Control-Request-Headers: content-type,x-token",
			},
			wantHit: -1, wantField: fieldOrigin,
		},
		{
			name: "origin absent", method: "PATCH", target: api + "/items",
			wantHit: -1, wantField: fieldOrigin,
		},
		{
			name: "origin null", method: "PATCH", target: api + "/items", header: []string{"Origin: null"},
			wantHit: -1, wantField: fieldOrigin,
		},
		{name: "method is case-sensitive", method: "patch", target: api + "/items", header: []string{"Origin: " + app}, wantHit: -1, wantField: fieldMethod},
		{name: "method upper case", method: "PATCH", target: api + "/items", header: []string{"Origin: " + app}, wantHit: 2},
		{name: "path differs", method: "PATCH", target: api + "/items/", header: []string{"Origin: " + app}, wantHit: -1, wantField: fieldURL},
		{name: "query differs", method: "PATCH", target: api + "/items?y=2", header: []string{"Origin: " + app}, wantHit: -1, wantField: fieldURL},
		{name: "empty query differs", method: "PATCH", target: api + "/items?", header: []string{"Origin: " + app}, wantHit: -1, wantField: fieldURL},
		{name: "port differs", method: "PATCH", target: "http://api.test:8001/items", header: []string{"Origin: " + app}, wantHit: -1, wantField: fieldURL},
		{name: "scheme differs", method: "PATCH", target: "https://api.test:8000/items", header: []string{"Origin: " + app}, wantHit: -1, wantField: fieldURL},
		{name: "host case ignored", method: "PATCH", target: "http://API.Test:8000/items", header: []string{"Origin: " + app}, wantHit: 2},
		{name: "explicit default http port", method: "GET", target: "http://api.test:80/plain", wantHit: 3},
		{name: "explicit default https port", method: "GET", target: "https://secure.test:443/s", wantHit: 4},
		{name: "https port 80 is not default", method: "GET", target: "https://secure.test:80/s", wantHit: -1, wantField: fieldURL},
		{name: "credentials value ignored", method: "PUT", target: api + "/items?x=1", header: []string{"Origin: " + app, "Cookie: session=other"}, wantHit: 1},
		{name: "authorization counts as credentials", method: "PUT", target: api + "/items?x=1", header: []string{"Origin: " + app, "Authorization: Bearer x"}, wantHit: 1},
		{name: "credentials absent", method: "PUT", target: api + "/items?x=1", header: []string{"Origin: " + app}, wantHit: -1, wantField: fieldCredentials},
		{name: "credentials present", method: "PATCH", target: api + "/items", header: []string{"Origin: " + app, "Cookie: a=1"}, wantHit: -1, wantField: fieldCredentials},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := newReplayer(t, Config{Cassette: cassette(keyCassette...)})
			resp, _, e := serveOne(t, r, request(tt.method, tt.target, tt.header...))
			assert.Equal(t, tt.wantHit, e.Hit, "hit")
			if tt.wantHit >= 0 {
				assert.Nil(t, e.Miss)
				assert.Equal(t, keyCassette[tt.wantHit].Response.Status, resp.StatusCode)
				return
			}
			require.NotNil(t, e.Miss)
			assert.Equal(t, tt.wantField, e.Miss.Field, "field; error: %v", e.Miss)
			assert.NotEmpty(t, resp.Header.Get(MissHeader))
		})
	}
}

func TestRepeats(t *testing.T) {
	t.Parallel()
	ints := []cassettes.Interaction{
		ia("GET", api+"/n", nil, 200, "first"),
		ia("GET", api+"/other", nil, 200, "other"),
		ia("GET", api+"/n", nil, 200, "second"),
		ia("GET", api+"/n", nil, 201, "third"),
	}
	tests := []struct {
		name       string
		strict     bool
		wantBodies []string
		wantHits   []int
	}{
		{
			name:       "last answer repeats",
			wantBodies: []string{"first", "second", "third", "third", "third"},
			wantHits:   []int{0, 2, 3, 3, 3},
		},
		{
			name:       "strict exhausts",
			strict:     true,
			wantBodies: []string{"first", "second", "third", "", ""},
			wantHits:   []int{0, 2, 3, -1, -1},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := newReplayer(t, Config{Cassette: cassette(ints...), Strict: tt.strict})
			var bodies []string
			var hits []int
			var misses []*MissError
			for range tt.wantBodies {
				resp, body, e := serveOne(t, r, request("GET", api+"/n"))
				if resp.StatusCode == MissStatus {
					body = ""
				}
				bodies = append(bodies, body)
				hits = append(hits, e.Hit)
				misses = append(misses, e.Miss)
			}
			assert.Equal(t, tt.wantBodies, bodies)
			assert.Equal(t, tt.wantHits, hits)
			if tt.strict {
				me := misses[3]
				require.NotNil(t, me)
				assert.Equal(t, &MissError{
					Method: "GET", URL: api + "/n", Closest: 3, Field: "use count", Got: "4", Want: "3",
				}, me)
				assert.EqualError(t, me, `replay: no recorded interaction for GET http://api.test:8000/n; `+
					`closest #3 differs in use count: "4" != "3" (recorded answers exhausted, strict mode)`)
				assert.Equal(t, "5", misses[4].Got)
			}
		})
	}
}

func TestMissErrorClosest(t *testing.T) {
	t.Parallel()
	const items = "http://localhost:8000/api/items"
	const page = "http://localhost:8080"
	tests := []struct {
		name     string
		recorded []cassettes.Interaction
		method   string
		target   string
		header   []string
		want     MissError
		wantText string
	}{
		{
			name: "style guide example",
			recorded: []cassettes.Interaction{
				ia("GET", page+"/", nil, 200, ""),
				ia("GET", items, []string{"Origin: " + page}, 200, ""),
				ia("OPTIONS", items, []string{"Origin: " + page, "Access-Control-Request-Method: DELETE"}, 204, ""),
				ia("OPTIONS", "http://localhost:8000/api/other", []string{"Origin: " + page, "Access-Control-Request-Method: PUT", "Access-Control-Request-Headers: content-type"}, 204, ""),
				ia("OPTIONS", items, []string{"Origin: " + page, "Access-Control-Request-Method: PUT", "Access-Control-Request-Headers: content-type"}, 204, ""),
			},
			method: "OPTIONS", target: items,
			header: []string{"Origin: " + page, "Access-Control-Request-Method: PUT", "Access-Control-Request-Headers: X-Token, Content-Type"},
			want: MissError{
				Method: "OPTIONS", URL: items, Origin: page, Closest: 4,
				Field: fieldACRH, Got: "content-type,x-token", Want: "content-type",
			},
			wantText: `replay: no recorded interaction for OPTIONS http://localhost:8000/api/items (Origin "http://localhost:8080"); closest #4 differs in Access-Control-Request-Headers: "content-type,x-token" != "content-type"`,
		},
		{
			name:   "empty cassette",
			method: "GET", target: "http://a.test/",
			want:     MissError{Method: "GET", URL: "http://a.test/", Closest: -1},
			wantText: `replay: no recorded interaction for GET http://a.test/; cassette is empty`,
		},
		{
			name: "most agreeing fields wins over earlier field",
			recorded: []cassettes.Interaction{
				ia("GET", "http://a.test/x", []string{"Origin: http://o.test", "Cookie: c"}, 200, ""), // differs in URL only
				ia("GET", "http://a.test/y", []string{"Origin: http://p.test"}, 200, ""),              // differs in Origin and credentials
			},
			method: "GET", target: "http://a.test/y", header: []string{"Origin: http://o.test", "Cookie: d"},
			want: MissError{
				Method: "GET", URL: "http://a.test/y", Origin: "http://o.test", Closest: 0,
				Field: fieldURL, Got: "http://a.test/y", Want: "http://a.test/x",
			},
			wantText: `replay: no recorded interaction for GET http://a.test/y (Origin "http://o.test"); closest #0 differs in URL: "http://a.test/y" != "http://a.test/x"`,
		},
		{
			name: "tie goes to agreement on earlier fields",
			recorded: []cassettes.Interaction{
				ia("POST", "http://a.test/x", []string{"Origin: http://o.test"}, 200, ""),             // differs in method
				ia("GET", "http://a.test/x", []string{"Origin: http://o.test", "Cookie: c"}, 200, ""), // differs in credentials
			},
			method: "GET", target: "http://a.test/x", header: []string{"Origin: http://o.test"},
			want: MissError{
				Method: "GET", URL: "http://a.test/x", Origin: "http://o.test", Closest: 1,
				Field: fieldCredentials, Got: "absent", Want: "present",
			},
			wantText: `replay: no recorded interaction for GET http://a.test/x (Origin "http://o.test"); closest #1 differs in credentials: "absent" != "present"`,
		},
		{
			name: "full tie goes to lower index",
			recorded: []cassettes.Interaction{
				ia("GET", "http://a.test/x", []string{"Origin: http://p.test"}, 200, ""),
				ia("GET", "http://a.test/x", []string{"Origin: http://q.test"}, 200, ""),
			},
			method: "GET", target: "http://a.test/x", header: []string{"Origin: http://o.test"},
			want: MissError{
				Method: "GET", URL: "http://a.test/x", Origin: "http://o.test", Closest: 0,
				Field: fieldOrigin, Got: "http://o.test", Want: "http://p.test",
			},
			wantText: `replay: no recorded interaction for GET http://a.test/x (Origin "http://o.test"); closest #0 differs in Origin: "http://o.test" != "http://p.test"`,
		},
		{
			name:     "absent origin shows as empty",
			recorded: []cassettes.Interaction{ia("GET", "http://a.test/x", []string{"Origin: http://p.test"}, 200, "")},
			method:   "GET", target: "http://a.test/x",
			want: MissError{
				Method: "GET", URL: "http://a.test/x", Closest: 0,
				Field: fieldOrigin, Got: "", Want: "http://p.test",
			},
			wantText: `replay: no recorded interaction for GET http://a.test/x; closest #0 differs in Origin: "" != "http://p.test"`,
		},
		{
			name:     "method case",
			recorded: []cassettes.Interaction{ia("PATCH", "http://a.test/x", nil, 200, "")},
			method:   "patch", target: "http://a.test:80/x",
			want: MissError{
				Method: "patch", URL: "http://a.test/x", Closest: 0,
				Field: fieldMethod, Got: "patch", Want: "PATCH",
			},
			wantText: `replay: no recorded interaction for patch http://a.test/x; closest #0 differs in method: "patch" != "PATCH"`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := newReplayer(t, Config{Cassette: cassette(tt.recorded...)})
			resp, body, e := serveOne(t, r, request(tt.method, tt.target, tt.header...))
			require.NotNil(t, e.Miss)
			assert.Equal(t, tt.want, *e.Miss)
			assert.EqualError(t, e.Miss, tt.wantText)
			assert.Equal(t, -1, e.Hit)
			assert.Equal(t, tt.want.URL, e.URL)
			if resp.StatusCode == MissStatus {
				assert.True(t, strings.HasPrefix(body, tt.wantText+"\n"), "body starts with the error:\n%s", body)
			}
		})
	}
}

func TestNewValidates(t *testing.T) {
	t.Parallel()
	_, err := New(Config{})
	require.EqualError(t, err, "replay: config: nil cassette")

	_, err = New(Config{Host: "a.test/x", Cassette: cassette(
		ia("GET", "http://ok.test/", nil, 200, ""),
		ia("GET", "/relative", nil, 200, ""),
		ia("", "http://ok.test/", nil, 200, ""),
		ia("GET", "http://ok.test/", nil, 0, ""),
		ia("GET", "http://bad host/%zz", nil, 200, ""),
		ia("GET", "http://ok.test/socket", nil, 101, ""),
	)})
	require.Error(t, err)
	for _, want := range []string{
		`replay: config: host "a.test/x": not an authority (host[:port])`,
		`replay: interaction 1: url "/relative": not absolute`,
		`replay: interaction 2: empty method`,
		`replay: interaction 3: response.status: 0 is not a valid HTTP status`,
		`replay: interaction 4: url: parse "http://bad host/%zz"`,
		`replay: interaction 5: response.status: 101 is not a final HTTP status (1xx is informational; want 200..999)`,
	} {
		assert.Contains(t, err.Error(), want)
	}
	assert.NotContains(t, err.Error(), "interaction 0")
}

func TestMissErrorUnwrap(t *testing.T) {
	t.Parallel()
	sentinel := errors.New("boom")
	me := &MissError{Method: "GET", URL: "http://a.test/", Closest: -1, ForwardErr: sentinel}
	assert.ErrorIs(t, me, sentinel)
	assert.EqualError(t, me, "replay: no recorded interaction for GET http://a.test/; cassette is empty; forward: boom")
}

func TestNormTokens(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   []string
		want string
	}{
		{name: "absent", in: nil, want: ""},
		{name: "empty", in: []string{""}, want: ""},
		{name: "blank tokens", in: []string{" , ,"}, want: ""},
		{name: "normal", in: []string{"a,b"}, want: "a,b"},
		{name: "unsorted", in: []string{"b,a"}, want: "a,b"},
		{name: "case and blanks", in: []string{" B ,\tA"}, want: "a,b"},
		{name: "duplicates", in: []string{"a,a,A"}, want: "a"},
		{name: "several values", in: []string{"c", "b,a"}, want: "a,b,c"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tt.want, normTokens(tt.in))
		})
	}
}
