package replay

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/corsvcr/corsvcr/cassettes"
)

const (
	prodApp  = "https://app.prod.example"
	prodAPI  = "https://api.prod.example"
	localApp = "http://localhost:5173"
)

var prodToLocal = []cassettes.OriginMapping{{From: prodApp, To: localApp}}

func TestOriginMap(t *testing.T) {
	t.Parallel()
	cas := cassette(
		ia("OPTIONS", prodAPI+"/items", []string{"Origin: " + prodApp, "Access-Control-Request-Method: PUT"}, 204, "",
			"Access-Control-Allow-Origin: "+prodApp, "Access-Control-Allow-Methods: GET, POST", "Vary: Origin"),
		ia("GET", prodAPI+"/items", []string{"Origin: " + prodApp}, 200, "[]",
			"Access-Control-Allow-Origin: "+prodApp, "Vary: Origin", "X-Origin: "+prodApp),
		ia("GET", prodAPI+"/public", []string{"Origin: " + prodApp}, 200, "[]",
			"Access-Control-Allow-Origin: *"),
		ia("GET", prodAPI+"/other", []string{"Origin: " + prodApp}, 200, "[]",
			"Access-Control-Allow-Origin: "+prodApp+"/", "Access-Control-Allow-Origin: "+prodApp),
	)
	tests := []struct {
		name     string
		method   string
		url      string
		header   []string
		wantHit  int
		wantACAO []string
		wantVary []string
	}{
		{name: "preflight from the local origin", method: "OPTIONS", url: prodAPI + "/items",
			header: []string{"Origin: " + localApp, "Access-Control-Request-Method: PUT"}, wantHit: 0,
			wantACAO: []string{localApp}, wantVary: []string{"Origin"}},
		{name: "actual from the local origin", method: "GET", url: prodAPI + "/items",
			header: []string{"Origin: " + localApp}, wantHit: 1, wantACAO: []string{localApp}, wantVary: []string{"Origin"}},
		{name: "wildcard is not an origin", method: "GET", url: prodAPI + "/public",
			header: []string{"Origin: " + localApp}, wantHit: 2, wantACAO: []string{"*"}},
		{name: "only exact values are mapped", method: "GET", url: prodAPI + "/other",
			header: []string{"Origin: " + localApp}, wantHit: 3, wantACAO: []string{prodApp + "/", localApp}},
	}
	r := newReplayer(t, Config{Cassette: cas, OriginMap: prodToLocal})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, _, e := serveOne(t, r, request(tt.method, tt.url, tt.header...))
			require.Nil(t, e.Miss, "miss")
			assert.Equal(t, tt.wantHit, e.Hit)
			assert.Equal(t, tt.wantACAO, resp.Header["Access-Control-Allow-Origin"])
			assert.Equal(t, tt.wantVary, resp.Header["Vary"])
		})
	}
	t.Run("other headers are served as recorded", func(t *testing.T) {
		resp, _ := serve(r, request("GET", prodAPI+"/items", "Origin: "+localApp))
		assert.Equal(t, []string{prodApp}, resp.Header["X-Origin"])
	})
	t.Run("the recorded origin still matches", func(t *testing.T) {
		resp, _, e := serveOne(t, r, request("GET", prodAPI+"/items", "Origin: "+prodApp))
		assert.Equal(t, 1, e.Hit)
		assert.Equal(t, []string{localApp}, resp.Header["Access-Control-Allow-Origin"])
	})
	t.Run("a miss echoes the browser's origin", func(t *testing.T) {
		resp, _, e := serveOne(t, r, request("GET", prodAPI+"/nothing", "Origin: "+localApp))
		assert.Equal(t, MissStatus, resp.StatusCode)
		assert.Equal(t, localApp, e.Origin, "journal shows the browser's origin")
		assert.Equal(t, []string{localApp}, resp.Header["Access-Control-Allow-Origin"])
	})
	t.Run("without the map the local origin misses", func(t *testing.T) {
		plain := newReplayer(t, Config{Cassette: cas})
		resp, _ := serve(plain, request("GET", prodAPI+"/items", "Origin: "+localApp))
		assert.Equal(t, MissStatus, resp.StatusCode)
		assert.Equal(t, "Origin", lastEntry(t, plain).Miss.Field)
	})
}

func TestOriginMapForward(t *testing.T) {
	t.Parallel()
	var gotOrigin string
	live := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotOrigin = r.Header.Get("Origin")
		w.Header().Set("Access-Control-Allow-Origin", gotOrigin)
		w.WriteHeader(200)
	}))
	t.Cleanup(live.Close)
	u, _ := url.Parse(live.URL)
	r := newReplayer(t, Config{Cassette: cassette(), OriginMap: prodToLocal, Forward: http.DefaultTransport})
	resp, _ := serve(r, request("GET", "http://"+u.Host+"/x", "Origin: "+localApp))
	assert.Equal(t, prodApp, gotOrigin, "the live server sees the recorded origin")
	assert.Equal(t, []string{localApp}, resp.Header["Access-Control-Allow-Origin"])
}

func TestOriginMapConfigErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{name: "strict", cfg: Config{Strict: true, OriginMap: prodToLocal},
			want: "replay: config: OriginMap cannot be used with Strict (strict replay serves the recording unchanged)"},
		{name: "not an origin", cfg: Config{OriginMap: []cassettes.OriginMapping{{From: prodApp + "/app", To: localApp}}},
			want: `replay: config: OriginMap[0].from: "https://app.prod.example/app" is not an origin: it has a path, query or fragment (write "https://app.prod.example")`},
		{name: "mapped twice", cfg: Config{OriginMap: []cassettes.OriginMapping{{From: prodApp, To: localApp}, {From: prodApp, To: "http://localhost:5174"}}},
			want: `replay: config: OriginMap[1]: "https://app.prod.example" is mapped twice`},
		{name: "two sources", cfg: Config{OriginMap: []cassettes.OriginMapping{{From: prodApp, To: localApp}, {From: "https://www.prod.example", To: localApp}}},
			want: `replay: config: OriginMap[1]: "http://localhost:5173" is the target of two mappings`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.cfg.Cassette = cassette()
			_, err := New(tt.cfg)
			assert.EqualError(t, err, tt.want)
		})
	}
}

func TestRedactedQueryMatchesAnyValue(t *testing.T) {
	t.Parallel()
	cas := cassette(
		ia("GET", api+"/products?page=2&api_key="+cassettes.RedactedPrefix+"3", []string{"Origin: " + app}, 200, "redacted"),
		ia("GET", api+"/products?page=3&api_key=", []string{"Origin: " + app}, 200, "empty"),
	)
	r := newReplayer(t, Config{Cassette: cas})
	tests := []struct {
		name    string
		url     string
		wantHit int
	}{
		{name: "the real secret", url: api + "/products?page=2&api_key=abc123", wantHit: 0},
		{name: "another placeholder", url: api + "/products?page=2&api_key=" + cassettes.RedactedPrefix + "9", wantHit: 0},
		{name: "other parameters still count", url: api + "/products?page=1&api_key=abc123", wantHit: -1},
		{name: "order still counts", url: api + "/products?api_key=abc123&page=2", wantHit: -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, e := serveOne(t, r, request("GET", tt.url, "Origin: "+app))
			assert.Equal(t, tt.wantHit, e.Hit)
		})
	}
}
