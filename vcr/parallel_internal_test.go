package vcr

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/corsvcr/corsvcr/cassettes"
	"github.com/corsvcr/corsvcr/checks"
	"github.com/corsvcr/corsvcr/replay"
)

func TestURLKey(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, a, b string }{
		{name: "default port", a: "http://localhost/x", b: "http://localhost:80/x"},
		{name: "https default port", a: "https://api.example.com/x", b: "https://api.example.com:443/x"},
		{name: "case of scheme and host", a: "HTTP://LocalHost:8000/x", b: "http://localhost:8000/x"},
		{name: "query and fragment", a: "http://localhost:8000/x?a=1#f", b: "http://localhost:8000/x?b=2"},
		{name: "dot segments", a: "http://localhost:8000/a/../x", b: "http://localhost:8000/x"},
		{name: "escapes", a: "http://localhost:8000/a%20b", b: "http://localhost:8000/a b"},
		{name: "empty path", a: "http://localhost:8000", b: "http://localhost:8000/"},
		{name: "path case (coarser than the replay: safe)", a: "http://localhost:8000/Items", b: "http://localhost:8000/items"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, urlKey(tt.a), urlKey(tt.b))
		})
	}
	assert.NotEqual(t, urlKey("http://localhost:8000/x"), urlKey("http://localhost:8001/x"))
	assert.NotEqual(t, urlKey("http://localhost:8000/x"), urlKey("https://localhost:8000/x"))
	assert.NotEqual(t, urlKey("http://localhost:8000/x"), urlKey("http://localhost:8000/y"))
}

func get(name string, urls ...string) checks.Check {
	c := checks.Check{Name: name, Page: "http://localhost:8080"}
	for _, u := range urls {
		c.Steps = append(c.Steps, checks.Step{Request: checks.Request{URL: u}})
	}
	return c
}

func TestLanes(t *testing.T) {
	t.Parallel()
	const api = "http://localhost:8000"
	cs := []checks.Check{
		get("a", api+"/a"),               // 0: lane 0
		get("b", api+"/b"),               // 1: lane 1
		get("a-again", api+"/A?x=1"),     // 2: lane 0 (same path, coarsely)
		get("redirects", api+"/r"),       // 3: lane 2, joined by the cassette to /target
		get("target", api+"/target"),     // 4: lane 2
		get("steps", api+"/c", api+"/b"), // 5: joins /c to lane 1
		get("c", api+"/c"),               // 6: lane 1
		get("relative", api+"/rel"),      // 7: lane 3, joined to /rel-target by a relative Location
		get("rel-target", api+"/rel-target"),
		get("alone", api+"/alone"),
	}
	redirect := func(from, loc string) cassettes.Interaction {
		return cassettes.Interaction{
			Request:  cassettes.Request{Method: "GET", URL: from},
			Response: cassettes.Response{Status: 302, Headers: cassettes.Headers{{Name: "Location", Value: loc}}},
		}
	}
	cas := &cassettes.Cassette{Interactions: []cassettes.Interaction{
		redirect(api+"/r", api+"/target"),
		redirect(api+"/rel", "rel-target"),
		{Request: cassettes.Request{Method: "GET", URL: api + "/alone"}, Response: cassettes.Response{Status: 200}},
	}}
	ls, keyLane := lanes(cs, cas)
	assert.Equal(t, [][]int{{0, 2}, {1, 5, 6}, {3, 4}, {7, 8}, {9}}, ls)
	assert.Equal(t, 2, keyLane[urlKey(api+"/target")])
	assert.Equal(t, 1, keyLane[urlKey(api+"/c")])

	// Without the cassette a redirect is unknown: /r and /target are apart.
	ls, _ = lanes(cs, nil)
	assert.Len(t, ls, 7)
}

// miss sends a request the replay of cas does not hold through rp.
func miss(t *testing.T, rp *replay.Replayer, u string) {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, u, nil)
	req.Header.Set("Origin", "http://localhost:8080")
	w := httptest.NewRecorder()
	rp.ServeHTTP(w, req)
	require.Equal(t, 599, w.Code)
}

// Misses go to the running check of their URL's lane; one that belongs to
// no running lane goes, marked, to every check running while it is read,
// and exactly to the only one when one runs.
func TestAttributor(t *testing.T) {
	t.Parallel()
	const api = "http://localhost:8000"
	rp, err := replay.New(replay.Config{Cassette: &cassettes.Cassette{Version: cassettes.FormatVersion}})
	require.NoError(t, err)
	_, keyLane := lanes([]checks.Check{get("a", api+"/a"), get("b", api+"/b")}, nil)
	a := newAttributor(rp, keyLane)

	a.start(0, 0)
	a.start(1, 1)
	miss(t, rp, api+"/b")
	miss(t, rp, api+"/a")
	miss(t, rp, api+"/unknown")
	ms0 := a.end(0, 0)
	require.Len(t, ms0, 2)
	assert.Contains(t, ms0[0], api+"/a")
	assert.True(t, strings.HasPrefix(ms0[1], unattributed), ms0[1])
	assert.Contains(t, ms0[1], api+"/unknown")

	miss(t, rp, api+"/elsewhere") // check 1 runs alone now: exact
	ms1 := a.end(1, 1)
	require.Len(t, ms1, 3)
	assert.Contains(t, ms1[0], api+"/b")
	assert.True(t, strings.HasPrefix(ms1[1], unattributed), ms1[1])
	assert.Contains(t, ms1[2], api+"/elsewhere")
	assert.False(t, strings.HasPrefix(ms1[2], unattributed), ms1[2])
}

// The scheduler starts checks in file order, never two of a lane at once
// nor one before an earlier one of its lane, and a check that must run
// alone only when nothing runs, with nothing starting beside it.
func TestScheduler(t *testing.T) {
	t.Parallel()
	// Checks 0..6; lanes {0,2}, {1}, {3}, {4}, {5}, {6}; 4 runs alone.
	ls := [][]int{{0, 2}, {1}, {3}, {4}, {5}, {6}}
	alone := []bool{false, false, false, false, true, false, false}
	s := newScheduler(t.Context(), ls, alone)
	pick := func() int {
		s.mu.Lock()
		defer s.mu.Unlock()
		i, _, _ := s.pick()
		return i
	}
	finish := func(i int) { s.done(s.lane[i]) }
	assert.Equal(t, 0, pick())
	assert.Equal(t, 1, pick())
	assert.Equal(t, 3, pick(), "2 waits for 0, its lane's")
	assert.Equal(t, -1, pick(), "4 must run alone and nothing overtakes it")
	finish(0)
	assert.Equal(t, 2, pick())
	finish(1)
	finish(2)
	assert.Equal(t, -1, pick(), "3 still runs")
	finish(3)
	assert.Equal(t, 4, pick())
	assert.Equal(t, -1, pick(), "nothing starts beside 4")
	finish(4)
	assert.Equal(t, 5, pick())
	assert.Equal(t, 6, pick())
	finish(5)
	finish(6)
	s.mu.Lock()
	i, _, left := s.pick()
	s.mu.Unlock()
	assert.Equal(t, -1, i)
	assert.False(t, left)
}

// A check whose misses the replay may journal under no URL of its lane
// runs alone: an https host the cassette lacks (its CONNECT is refused and
// journaled as host:port), or a URL without a host.
func TestLanesAlone(t *testing.T) {
	t.Parallel()
	cs := []checks.Check{
		get("known-https", "https://api.example.com/a"),
		get("unknown-https", "https://other.example.com/a"),
		get("http", "http://other.example.com/a"),
		get("no-host", "http:///a"),
	}
	cas := &cassettes.Cassette{Interactions: []cassettes.Interaction{
		{Request: cassettes.Request{Method: "GET", URL: "https://API.example.com:443/b"}, Response: cassettes.Response{Status: 200}},
	}}
	_, _, alone := lanesAlone(cs, cas)
	assert.Equal(t, []bool{false, true, false, true}, alone)
}

// A page visit runs alone: the page requests whatever it likes (its
// scripts, the APIs other checks call) under URLs no lane knows, so beside
// other checks it would take their recorded answers out of turn and its
// misses would go to them.
func TestLanesAloneVisit(t *testing.T) {
	t.Parallel()
	cs := []checks.Check{
		get("api", "http://api.example.com/items"),
		{Name: "page", Visit: &checks.Visit{URL: "http://app.example.com/"}},
		get("other", "http://other.example.com/a"),
	}
	_, _, alone := lanesAlone(cs, nil)
	assert.Equal(t, []bool{false, true, false}, alone)
}

// The throughput line `make bench` reads.
func TestLogThroughput(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	logThroughput(slog.New(slog.NewTextHandler(&b, nil)), 300, 4, 1200*time.Millisecond)
	assert.Contains(t, b.String(), `msg="checks ran" checks=300 parallel=4 elapsed=1.2s checks_per_s=250.0`)
}
