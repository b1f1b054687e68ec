package replay

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestHashCollisions: with every match key and path hashing alike (and
// with two hash values), a Replayer answers a random run of requests, hits
// and misses (their closest interaction too), exactly as one with real
// hashes does: the indexes tell keys and paths apart by comparing them
// whole, not by their hash.
func TestHashCollisions(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(7, 8))
	for round := range 150 {
		cas := randCassette(rng, 1+rng.IntN(60))
		cfg := []Config{
			{Cassette: cas},
			{Cassette: cas, Strict: true},
			{Cassette: cas, Host: "b.test:8000"},
		}[rng.IntN(3)]
		for _, mask := range []uint64{0, 1} {
			want := newReplayer(t, cfg)
			got, err := build(cfg, mask)
			require.NoError(t, err)
			// A low scan limit makes the closest-interaction search
			// depend on the interactions indexed by path.
			want.scan = 1 + rng.IntN(8)
			got.scan = want.scan
			for _, ix := range []*index{&got.full, &got.path} {
				hashes := map[uint64]bool{}
				for _, s := range ix.slots {
					if s.q1 != 0 {
						hashes[s.hash] = true
					}
				}
				require.LessOrEqual(t, len(hashes), int(mask)+1, "hashes")
			}
			require.LessOrEqual(t, len(got.paths.first), int(mask)+1, "path hashes")
			wantS, gotS := want.Session(), got.Session()
			for j := range 40 {
				rq := randRequest(rng)
				if j%2 == 0 {
					rq = cas.Interactions[rng.IntN(len(cas.Interactions))].Request
				}
				msg := fmt.Sprintf("round %d, mask %d, request %d: %s %s", round, mask, j, rq.Method, rq.URL)
				require.Equal(t, wantS.RoundTrip(rq), gotS.RoundTrip(rq), msg)
				wreq, greq := fromRecorded(t, rq), fromRecorded(t, rq)
				if j%3 == 0 { // origin-form
					wreq.URL = &url.URL{Path: wreq.URL.Path, RawQuery: wreq.URL.RawQuery, ForceQuery: wreq.URL.ForceQuery}
					greq.URL = &url.URL{Path: greq.URL.Path, RawQuery: greq.URL.RawQuery, ForceQuery: greq.URL.ForceQuery}
				}
				wresp, wbody, we := serveOne(t, want, wreq)
				gresp, gbody, ge := serveOne(t, got, greq)
				require.Equal(t, we, ge, msg)
				require.Equal(t, wresp.StatusCode, gresp.StatusCode, msg)
				require.Equal(t, wresp.Header, gresp.Header, msg)
				require.Equal(t, wbody, gbody, msg)
			}
		}
	}
}

// TestSharedValuesStayPut: interactions share their equal header values;
// a handler that appends to the served values of one response changes no
// other response.
func TestSharedValuesStayPut(t *testing.T) {
	t.Parallel()
	r := newReplayer(t, Config{Cassette: cassette(
		ia("GET", api+"/a", []string{"Origin: " + app}, 200, "a", "Vary: Origin", "Access-Control-Allow-Origin: "+app),
		ia("GET", api+"/b", []string{"Origin: " + app}, 200, "b", "Vary: Origin", "Access-Control-Allow-Origin: "+app),
	)})
	appendAll := http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.ServeHTTP(&appendingWriter{ResponseWriter: w}, req)
	})
	for range 2 {
		for _, p := range []string{"/a", "/b"} {
			resp, _ := serve(appendAll, request("GET", api+p, "Origin: "+app))
			assert.Equal(t, []string{"Origin", "appended"}, resp.Header["Vary"], p)
			assert.Equal(t, []string{app, "appended"}, resp.Header["Access-Control-Allow-Origin"], p)
			assert.Equal(t, []string{"1"}, resp.Header["Content-Length"], p)
		}
	}
	resp, _ := serve(r, request("GET", api+"/b", "Origin: "+app))
	assert.Equal(t, []string{"Origin"}, resp.Header["Vary"])
	assert.Equal(t, []string{app}, resp.Header["Access-Control-Allow-Origin"])
}

// appendingWriter appends "appended" to every non-empty header value
// list just before the header is written, as a middleware might; to the
// Content-Length the replay adds it appends too, but serves the length
// alone.
type appendingWriter struct{ http.ResponseWriter }

func (w *appendingWriter) WriteHeader(code int) {
	for name, vs := range w.Header() {
		switch {
		case len(vs) == 0 || name == "Content-Type":
		case name == "Content-Length":
			w.Header()[name] = append(vs, "appended")[:len(vs)]
		default:
			w.Header()[name] = append(vs, "appended")
		}
	}
	w.ResponseWriter.WriteHeader(code)
}

// TestIndexMemory: the index New builds holds a handful of heap objects
// per cassette, not per interaction: equal header values and field lists
// stored once, keys in one arena, queues and variants in dense slices.
func TestIndexMemory(t *testing.T) {
	t.Parallel()
	c, _ := manyCassette(3000)
	r := newReplayer(t, Config{Cassette: c, Host: manyHost})
	puts := 0
	for _, in := range c.Interactions {
		if in.Request.Method == "PUT" {
			puts++
		}
	}
	assert.Equal(t, 3000, len(r.full.queues), "queues")
	assert.Equal(t, 1+puts, len(r.full.scripts), "scripts: the empty one and each PUT's")
	assert.Empty(t, r.path.queues, "no hostless index with Config.Host")
	assert.Less(t, len(r.resp.vals), 100, "distinct header values")
	assert.Less(t, len(r.resp.fields), 200, "distinct field lists")
	assert.Nil(t, r.resp.valIdx, "build-time maps dropped")
	assert.Nil(t, r.resp.listIdx, "build-time maps dropped")
	assert.LessOrEqual(t, unsafe.Sizeof(prepared{}), uintptr(64), "what a hit reads of an interaction fits a cache line")

	// And every interaction still answers its own request.
	for i, in := range c.Interactions {
		if i%97 != 0 {
			continue
		}
		req := httptest.NewRequest(in.Request.Method, in.Request.URL, nil)
		req.Header.Set("Origin", manyOrigin)
		for _, f := range in.Request.Headers {
			if f.Name == "Access-Control-Request-Method" || f.Name == "Access-Control-Request-Headers" || f.Name == "Content-Type" {
				req.Header.Set(f.Name, f.Value)
			}
		}
		if len(in.Request.Body) > 0 {
			req = httptest.NewRequest(in.Request.Method, in.Request.URL, bytes.NewReader(in.Request.Body))
			req.Header.Set("Origin", manyOrigin)
			req.Header.Set("Content-Type", "application/json")
		}
		_, body, e := serveOne(t, r, req)
		require.Equal(t, i, e.Hit, "%s %s: %v", in.Request.Method, in.Request.URL, e.Miss)
		require.Equal(t, string(in.Response.Body), body)
	}
}
