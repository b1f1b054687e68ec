package vcr_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/corsvcr/corsvcr/cassettes"
	"github.com/corsvcr/corsvcr/checks"
	"github.com/corsvcr/corsvcr/vcr"
)

const (
	parPage = "http://localhost:8080"
	parAPI  = "http://localhost:8000"
)

// parallelServer serves the API of the parallel tests: /seq answers with
// Access-Control-Allow-Origin on odd calls only (one URL, differing
// answers), /r redirects to /target, /cached may be cached for 600 s, and
// every other path allows the page, PUT included, with preflights that may
// be cached for 600 s.
func parallelServer(t testing.TB) *httptest.Server {
	var mu sync.Mutex
	seq := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		allow := func() { h.Set("Access-Control-Allow-Origin", r.Header.Get("Origin")) }
		switch {
		case r.Method == http.MethodOptions:
			allow()
			h.Set("Access-Control-Allow-Methods", "PUT")
			h.Set("Access-Control-Allow-Headers", "Content-Type")
			h.Set("Access-Control-Max-Age", "600")
			w.WriteHeader(http.StatusNoContent)
			return
		case r.URL.Path == "/seq":
			mu.Lock()
			seq++
			n := seq
			mu.Unlock()
			if n%2 == 1 {
				allow()
			}
			h.Set("X-Call", fmt.Sprint(n))
		case r.URL.Path == "/cached":
			allow()
			h.Set("Cache-Control", "max-age=600")
		case r.URL.Path == "/r":
			allow()
			http.Redirect(w, r, "/target", http.StatusFound)
			return
		default:
			allow()
		}
		h.Set("Content-Type", "application/json")
		w.Write([]byte(`{"ok":true}`))
	}))
	t.Cleanup(srv.Close)
	return srv
}

func parGet(name, path string) checks.Check {
	return checks.Check{Name: name, Page: parPage, Steps: []checks.Step{{Request: checks.Request{URL: parAPI + path}}}}
}

func parPut(name, path string) checks.Check {
	return checks.Check{Name: name, Page: parPage, Steps: []checks.Step{{Request: checks.Request{URL: parAPI + path, Method: "PUT",
		Headers: []checks.Header{{Name: "Content-Type", Value: "application/json"}}, Body: `{"a":1}`}}}}
}

// parallelChecks returns n checks of 2/3 GETs and 1/3 preflighted PUTs, each
// with its own URL.
func parallelChecks(n int) []checks.Check {
	cs := make([]checks.Check, n)
	for i := range cs {
		if i%3 == 2 {
			cs[i] = parPut(fmt.Sprintf("put-%d", i), fmt.Sprintf("/things/%d", i))
		} else {
			cs[i] = parGet(fmt.Sprintf("get-%d", i), fmt.Sprintf("/items/%d", i))
		}
	}
	return cs
}

// record records file live from srv and returns the run.
func record(t testing.TB, srv *httptest.Server, file *checks.File, cfg vcr.Config) *vcr.Run {
	t.Helper()
	cfg.Upstreams = map[string]string{"localhost:8000": strings.TrimPrefix(srv.URL, "http://")}
	cfg.Version = "test"
	r, err := vcr.New(cfg)
	require.NoError(t, err)
	run, err := r.Record(context.Background(), file)
	require.NoError(t, err)
	require.Len(t, run.Results, len(file.Checks))
	return run
}

func replayWith(t testing.TB, file *checks.File, cas *cassettes.Cassette, parallel int) *vcr.Run {
	t.Helper()
	r, err := vcr.New(vcr.Config{Parallel: parallel, Timeout: 10 * time.Second})
	require.NoError(t, err)
	run, err := r.Replay(context.Background(), file, vcr.Replay{Cassette: cas, Strict: true})
	require.NoError(t, err)
	require.Len(t, run.Results, len(file.Checks))
	for i := range run.Results {
		run.Results[i].Duration = 0 // wall time: the one field that differs
	}
	return run
}

// A replay gives the same results, in file order, whatever the number of
// checks at once: checks of one URL get the recorded answers in file
// order, and each miss goes to the check that caused it.
func TestParallelReplayMatchesSerial(t *testing.T) {
	srv := parallelServer(t)
	cs := parallelChecks(12)
	// Four checks of one URL whose recorded answers differ, a redirect
	// and a check of its target, among the others.
	for i, name := range []string{"seq-1", "seq-2", "seq-3", "seq-4"} {
		cs = slices.Insert(cs, 3*i+1, parGet(name, "/seq"))
	}
	cs = slices.Insert(cs, 5, parGet("redirect", "/r"))
	cs = append(cs, parGet("target", "/target"))
	// Checks of one URL that Chrome may cache (the response, the
	// preflight): each must still go to the replay, as it went live.
	cs = slices.Insert(cs, 2, parGet("cached-1", "/cached"), parPut("put-again-1", "/again"))
	cs = append(cs, parGet("cached-2", "/cached"), parPut("put-again-2", "/again"))
	recorded := record(t, srv, &checks.File{Version: 1, Checks: cs}, vcr.Config{})

	// Replayed: a fifth /seq has no recorded answer left (strict), and an
	// unrecorded URL in the middle misses.
	replayed := slices.Clone(cs)
	replayed = slices.Insert(replayed, 8, parGet("not-recorded", "/nope"))
	replayed = append(replayed, parGet("seq-5", "/seq"))
	file := &checks.File{Version: 1, Checks: replayed}

	serial := replayWith(t, file, recorded.Cassette, 1)
	for _, n := range []int{4, 8} {
		par := replayWith(t, file, recorded.Cassette, n)
		assert.Equal(t, serial.Results, par.Results, "parallel %d vs serial", n)
	}

	byName := map[string]vcr.Result{}
	for i, res := range serial.Results {
		assert.Equal(t, replayed[i].Name, res.Name, "file order")
		byName[res.Name] = res
	}
	for i, name := range []string{"seq-1", "seq-2", "seq-3", "seq-4"} {
		res := byName[name]
		require.Len(t, res.Verdicts, 1, name)
		assert.Equal(t, i%2 == 0, res.Verdicts[0].Allowed, "%s: the %s recorded answer", name, []string{"1st", "2nd", "3rd", "4th"}[i])
		assert.Empty(t, res.Misses, name)
	}
	for name, res := range byName {
		switch name {
		case "not-recorded":
			require.Len(t, res.Misses, 1)
			assert.Contains(t, res.Misses[0], parAPI+"/nope")
		case "seq-5":
			require.NotEmpty(t, res.Misses)
			assert.Contains(t, res.Misses[0], parAPI+"/seq")
		default:
			assert.Empty(t, res.Misses, name)
			assert.Empty(t, res.Error, name)
		}
	}
	assert.Equal(t, 1, byName["put-again-2"].Verdicts[0].Preflights, "no preflight cached by put-again-1")
	// And they are the live verdicts.
	for i, res := range recorded.Results {
		assert.Equal(t, res.Verdicts, byName[cs[i].Name].Verdicts, "%s: replay vs live", cs[i].Name)
	}
}

// BenchmarkReplayChecks replays a 300-check file (200 GETs, 100 preflighted
// PUTs, each its own URL) with 1, 2, 4 and 8 checks at once; checks/s
// includes Chrome's start.
func BenchmarkReplayChecks(b *testing.B) {
	srv := parallelServer(b)
	var cs []checks.Check
	for i := range 300 {
		if i < 200 {
			cs = append(cs, parGet(fmt.Sprintf("get-%d", i), fmt.Sprintf("/items/%d", i)))
		} else {
			cs = append(cs, parPut(fmt.Sprintf("put-%d", i), fmt.Sprintf("/things/%d", i)))
		}
	}
	file := &checks.File{Version: 1, Checks: cs}
	cas := record(b, srv, file, vcr.Config{}).Cassette
	for _, n := range []int{1, 2, 4, 8} {
		b.Run(fmt.Sprintf("parallel=%d", n), func(b *testing.B) {
			for b.Loop() {
				replayWith(b, file, cas, n)
			}
			b.ReportMetric(float64(len(cs)*b.N)/b.Elapsed().Seconds(), "checks/s")
		})
	}
}
