package replay

import (
	"fmt"
	"math/rand/v2"
	"net/url"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/corsvcr/corsvcr/cassettes"
)

// closestLinear is the closest-interaction search as it was before the
// search was bounded: every interaction of the cassette, in order. It is
// the oracle of the bounded search, restricted to examine (nil: all).
func (r *Replayer) closestLinear(k key, hostless bool, in *incoming, examine func(i int) bool) *MissError {
	me := r.newMiss(k)
	var best [numFields]bool
	bestN, bestRank := -1, -1
	s := in.script()
	for i := range r.ints {
		if examine != nil && !examine(i) {
			continue
		}
		rk := r.keyOf(i)
		if hostless {
			rk = rk.hostless()
		}
		a := agree(k, rk)
		n := 0
		for _, ok := range a {
			if ok {
				n++
			}
		}
		better := n > bestN || n == bestN && earlierAgreement(a, best)
		if !better && (n != bestN || a != best) {
			continue
		}
		if sr, _ := rank(r.scriptOf(i), s); better || sr > bestRank {
			me.Closest, best, bestN, bestRank = i, a, n, sr
		}
	}
	if me.Closest < 0 {
		return me
	}
	rk := r.keyOf(me.Closest)
	if hostless {
		rk = rk.hostless()
	}
	for f, ok := range best {
		if !ok {
			me.Field, me.Got = k.field(f)
			_, me.Want = rk.field(f)
			return me
		}
	}
	me.Field, me.Got, me.Want, _ = scriptDiff(r.scriptOf(me.Closest), s)
	return me
}

// randRequest draws a request from small pools of every match-key field
// and script part, so that random requests agree with random recordings
// on some fields and not others.
func randRequest(rng *rand.Rand) cassettes.Request {
	pick := func(xs ...string) string { return xs[rng.IntN(len(xs))] }
	rq := cassettes.Request{
		Method: pick("GET", "PUT", "OPTIONS", "POST"),
		URL:    pick("http://a.test", "http://b.test:8000", "https://a.test") + pick("/x", "/y", "/z/1", "/") + pick("", "?q=1", "?"),
	}
	add := func(name, v string) {
		if v != "" {
			rq.Headers = append(rq.Headers, cassettes.Header{Name: name, Value: v})
		}
	}
	add("Origin", pick("", "http://app.test", "http://other.test", "null"))
	add("Access-Control-Request-Method", pick("", "", "PUT", "DELETE"))
	add("Access-Control-Request-Headers", pick("", "", "content-type", "x-token,content-type"))
	add("Cookie", pick("", "s=1"))
	add("Content-Type", pick("", "application/json", "text/plain"))
	add("X-Token", pick("", "", "a", "b", cassettes.RedactedPrefix+"1"))
	rq.Body = cassettes.Body(pick("", "", "{}", "x", `{"p":"`+cassettes.RedactedPrefix+`2"}`))
	return rq
}

// randCassette is a cassette of n random interactions (see randRequest).
func randCassette(rng *rand.Rand, n int) *cassettes.Cassette {
	c := cassette()
	for i := range n {
		c.Interactions = append(c.Interactions, cassettes.Interaction{
			Request:  randRequest(rng),
			Response: cassettes.Response{Status: 200 + i%3, Headers: hs(fmt.Sprintf("X-N: %d", i), "Access-Control-Allow-Origin: http://app.test")},
		})
	}
	return c
}

// missOf returns the miss the bounded search gives for rq in r, and the
// oracle's over the interactions examine accepts; hostless drops rq's
// scheme and host (an origin-form request without Config.Host).
func missOf(t *testing.T, r *Replayer, rq cassettes.Request, hostless bool, examine func(i int) bool) (got, want *MissError) {
	t.Helper()
	u, err := url.Parse(rq.URL)
	require.NoError(t, err)
	if hostless {
		u.Scheme, u.Host = "", ""
	}
	k, hl := r.matchKey(rq.Method, u, func(name string) []string { return recordedValues(rq.Headers, name) })
	require.Equal(t, hostless, hl)
	in := incoming{ch: rq.Headers, body: rq.Body}
	in2 := incoming{ch: rq.Headers, body: rq.Body}
	return r.closest(k, hl, &in), r.closestLinear(k, hl, &in2, examine)
}

// TestClosestEqualsLinear: on random cassettes no larger than the scan
// limit, the bounded search names the interaction the linear search over
// the whole cassette names, with the same differing field and values.
func TestClosestEqualsLinear(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 2))
	for round := range 200 {
		r := newReplayer(t, Config{Cassette: randCassette(rng, 1+rng.IntN(60))})
		for range 20 {
			rq := randRequest(rng)
			for _, hostless := range []bool{false, true} {
				got, want := missOf(t, r, rq, hostless, nil)
				require.Equal(t, want, got, "round %d: %s %s (hostless %v)", round, rq.Method, rq.URL, hostless)
			}
		}
	}
}

// TestClosestBounded: beyond the scan limit (lowered here), the search
// names the best, by the documented ranking, of the interactions it
// examines: those recorded for the request's path (the first scan of
// them) and the first scan of the cassette.
func TestClosestBounded(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(3, 4))
	for round := range 100 {
		r := newReplayer(t, Config{Cassette: randCassette(rng, 20+rng.IntN(200))})
		r.scan = 1 + rng.IntN(12)
		for range 20 {
			rq := randRequest(rng)
			for _, hostless := range []bool{false, true} {
				u, _ := url.Parse(rq.URL)
				path := u.EscapedPath()
				if path == "" {
					path = "/"
				}
				byPath := r.pathInts(path)
				examine := func(i int) bool {
					return i < r.scan || slices.Contains(byPath[:min(len(byPath), r.scan)], int32(i))
				}
				got, want := missOf(t, r, rq, hostless, examine)
				require.Equal(t, want, got, "round %d: %s %s (hostless %v, scan %d)", round, rq.Method, rq.URL, hostless, r.scan)
				require.GreaterOrEqual(t, got.Closest, 0)
			}
		}
	}
}

// TestSimulateEqualsRebuild: a Session of a Replayer with a Patch (changed
// responses, added interactions, some sharing a recorded key or not)
// answers a random run of requests exactly as a Session of a Replayer
// built from the patched cassette, strict or not, and at every scan limit.
func TestSimulateEqualsRebuild(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(5, 6))
	for round := range 300 {
		cas := randCassette(rng, 1+rng.IntN(40))
		strict := rng.IntN(2) == 0
		r := newReplayer(t, Config{Cassette: cas, Strict: strict})
		scan := []int{closestScan, 1 + rng.IntN(len(cas.Interactions)+5)}[rng.IntN(2)]
		r.scan = scan
		var p Patch
		patched := *cas
		patched.Interactions = slices.Clone(cas.Interactions)
		for range rng.IntN(3) {
			i := rng.IntN(len(cas.Interactions))
			resp := cassettes.Response{Status: 204, Headers: hs(fmt.Sprintf("X-Patched: %d", i))}
			if p.Responses == nil {
				p.Responses = map[int]cassettes.Response{}
			}
			p.Responses[i] = resp
			patched.Interactions[i].Response = resp
		}
		for j := range rng.IntN(4) {
			in := cassettes.Interaction{Request: randRequest(rng), Response: cassettes.Response{Status: 200, Headers: hs(fmt.Sprintf("X-Added: %d", j))}}
			p.Added = append(p.Added, in)
			patched.Interactions = append(patched.Interactions, in)
		}
		sim, err := r.Simulate(p)
		require.NoError(t, err)
		whole := newReplayer(t, Config{Cassette: &patched, Strict: strict})
		whole.scan = scan
		want := &Session{r: whole, used: newUseCounts(nil)}
		for n := range 30 {
			rq := randRequest(rng)
			if n%3 == 0 && len(p.Added) > 0 {
				rq = p.Added[rng.IntN(len(p.Added))].Request
			}
			require.Equal(t, want.RoundTrip(rq), sim.RoundTrip(rq), "round %d, request %d: %s %s", round, n, rq.Method, rq.URL)
		}
	}
}

// TestSessionSnapshotsUsedOnly: Session copies the use counts of the
// answers ServeHTTP served, and a Simulate session starts unused.
func TestSessionSnapshotsUsedOnly(t *testing.T) {
	t.Parallel()
	r := newReplayer(t, Config{Cassette: benchCassette(50)})
	req := request("PUT", api+"/api/v1/items/7?page=2", chromeHeaders...)
	for range 3 {
		serve(r, req)
	}
	s := r.Session()
	assert.Len(t, s.used.all(), 1)
	for _, n := range s.used.all() {
		assert.Equal(t, 3, n)
	}
	fresh, err := r.Simulate(Patch{})
	require.NoError(t, err)
	assert.Empty(t, fresh.used.all())
	_, err = r.Simulate(Patch{Responses: map[int]cassettes.Response{100: {Status: 200}}})
	assert.ErrorContains(t, err, "replay: patch: response of interaction 100: the cassette has 100")
}

// TestSimulateFrom: a simulated session continues from another session's
// use counts without changing them, through a patch laid over the index
// and through a whole rebuild alike.
func TestSimulateFrom(t *testing.T) {
	t.Parallel()
	rq := cassettes.Request{Method: "GET", URL: api + "/twice", Headers: cassettes.Headers{{Name: "Origin", Value: "http://localhost:8080"}}}
	cas := &cassettes.Cassette{Version: cassettes.FormatVersion, Interactions: []cassettes.Interaction{
		{Kind: cassettes.KindActual, Request: rq, Response: cassettes.Response{Status: 200}},
		{Kind: cassettes.KindActual, Request: rq, Response: cassettes.Response{Status: 201}},
	}}
	r := newReplayer(t, Config{Cassette: cas, Strict: true})
	from, err := r.SimulateFrom(Patch{}, nil)
	require.NoError(t, err)
	require.Equal(t, 0, from.RoundTrip(rq).Interaction)

	patched, err := r.SimulateFrom(Patch{Responses: map[int]cassettes.Response{1: {Status: 202}}}, from)
	require.NoError(t, err)
	a := patched.RoundTrip(rq)
	assert.Equal(t, 1, a.Interaction, "continues after the answer from used")
	assert.Equal(t, 202, a.Response.Status, "with the patched response")
	assert.NotNil(t, patched.RoundTrip(rq).Miss, "strict: both answers used")

	// An added interaction with a recorded key makes Simulate index the
	// patched cassette whole: the counts are carried over all the same.
	added := cassettes.Interaction{Kind: cassettes.KindActual, Request: rq, Response: cassettes.Response{Status: 203}}
	whole, err := r.SimulateFrom(Patch{Added: []cassettes.Interaction{added}}, from)
	require.NoError(t, err)
	assert.Equal(t, 1, whole.RoundTrip(rq).Interaction)
	assert.Equal(t, 2, whole.RoundTrip(rq).Interaction)

	assert.Equal(t, 1, from.RoundTrip(rq).Interaction, "from is left as it was")
}

// agree reports, field by field in key order, whether a and b are equal.
func agree(a, b key) [numFields]bool {
	return [numFields]bool{
		a.method == b.method,
		a.scheme == b.scheme && a.host == b.host && a.path == b.path &&
			a.query == b.query && a.hasQuery == b.hasQuery,
		a.origin == b.origin && a.hasOrigin == b.hasOrigin,
		a.acrm == b.acrm && a.hasACRM == b.hasACRM,
		a.acrh == b.acrh,
		a.cred == b.cred,
	}
}
