package replay

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Hits are counted, not journaled: after many of them the journal holds
// nothing, and the counts say which interaction answered how often, in the
// order the n-th request of a key gets the n-th answer.
func TestJournalStaysBoundedAfterHits(t *testing.T) {
	t.Parallel()
	const n = 20_000
	r := newReplayer(t, Config{Cassette: cassette(
		ia("GET", api+"/a", []string{"Origin: " + app}, 200, "a0"),
		ia("GET", api+"/a", []string{"Origin: " + app}, 200, "a1"),
		ia("GET", api+"/b", nil, 200, "b"),
	)})
	w := &discardWriter{h: http.Header{}}
	for i := range n {
		clear(w.h)
		if i%2 == 0 {
			r.ServeHTTP(w, request("GET", api+"/a", "Origin: "+app))
		} else {
			r.ServeHTTP(w, request("GET", "/b"))
		}
	}
	assert.Empty(t, r.Journal())
	r.j.mu.Lock()
	assert.Zero(t, cap(r.j.entries), "journal entries allocated for hits")
	assert.Empty(t, r.j.groupList)
	r.j.mu.Unlock()
	assert.Equal(t, []int{1, n/2 - 1, n / 2}, r.Uses())
	assert.Equal(t, Stats{Hits: n}, r.Stats())
}

// The journal keeps the first JournalLimit unanswered requests in full and
// counts the rest; misses are grouped by method, URL and field whether kept
// or not.
func TestJournalLimit(t *testing.T) {
	t.Parallel()
	r := newReplayer(t, Config{Cassette: cassette(ia("GET", api+"/a", nil, 200, "a")), JournalLimit: 3})
	miss := func(path string) {
		resp, _ := serve(r, request("GET", api+path))
		require.Equal(t, MissStatus, resp.StatusCode)
	}
	miss("/x")
	m := r.Mark()
	miss("/y")
	serve(r, request("GET", api+"/a"))
	miss("/x")
	miss("/z") // dropped
	miss("/x") // dropped
	serve(r, request("CONNECT", "a.test:443"))

	j := r.Journal()
	require.Len(t, j, 3)
	var urls []string
	for _, e := range j {
		require.NotNil(t, e.Miss)
		urls = append(urls, e.URL)
	}
	assert.Equal(t, []string{api + "/x", api + "/y", api + "/x"}, urls)
	assert.Equal(t, Stats{Hits: 1, Misses: 6, Dropped: 3}, r.Stats())

	since, dropped := r.Since(m)
	require.Len(t, since, 2)
	assert.Equal(t, api+"/y", since[0].URL)
	assert.Equal(t, 3, dropped, "misses after the mark that were not kept")
	since, dropped = r.Since(r.Mark())
	assert.Empty(t, since)
	assert.Zero(t, dropped)

	groups, ungrouped := r.MissGroups()
	assert.Zero(t, ungrouped)
	var got []string
	for _, g := range groups {
		got = append(got, fmt.Sprintf("%s %s %s %d", g.Method, g.URL, g.Field, g.Count))
	}
	assert.Equal(t, []string{
		"GET " + api + "/x URL 3",
		"GET " + api + "/y URL 1",
		"GET " + api + "/z URL 1",
		"CONNECT a.test:443 https replay (CONNECT) is not enabled (replay.WithCA) 1",
	}, got)
	assert.Equal(t, api+"/x", groups[0].First.URL)
}

func TestJournalLimitNegativeKeepsNone(t *testing.T) {
	t.Parallel()
	r := newReplayer(t, Config{Cassette: cassette(), JournalLimit: -1})
	m := r.Mark()
	serve(r, request("GET", api+"/x"))
	serve(r, request("GET", api+"/x"))
	assert.Empty(t, r.Journal())
	assert.Equal(t, Stats{Misses: 2, Dropped: 2}, r.Stats())
	since, dropped := r.Since(m)
	assert.Empty(t, since)
	assert.Equal(t, 2, dropped)
	groups, _ := r.MissGroups()
	require.Len(t, groups, 1)
	assert.Equal(t, 2, groups[0].Count)
}

// Forwarded requests are journaled (within the limit) but are no misses.
func TestJournalForwarded(t *testing.T) {
	t.Parallel()
	fwd := roundTripFunc(func(*http.Request) (*http.Response, error) {
		return &http.Response{StatusCode: 200, Header: http.Header{}, Body: http.NoBody}, nil
	})
	r := newReplayer(t, Config{Cassette: cassette(), Forward: fwd, JournalLimit: 1})
	m := r.Mark()
	serve(r, request("GET", api+"/x"))
	serve(r, request("GET", api+"/y"))
	assert.Equal(t, Stats{Forwarded: 2, Dropped: 1}, r.Stats())
	since, dropped := r.Since(m)
	require.Len(t, since, 1)
	assert.True(t, since[0].Forwarded)
	assert.Zero(t, dropped, "forwarded requests are not misses")
	groups, _ := r.MissGroups()
	assert.Empty(t, groups)
}

// However many distinct misses a server sees, it tracks a bounded number of
// groups and counts the misses of the others.
func TestMissGroupsBounded(t *testing.T) {
	t.Parallel()
	r := newReplayer(t, Config{Cassette: cassette(ia("GET", api+"/a", nil, 200, "a"))})
	const extra = 10
	w := &discardWriter{h: http.Header{}}
	for i := range missGroupLimit + extra {
		clear(w.h)
		r.ServeHTTP(w, request("GET", fmt.Sprintf("%s/miss/%d", api, i)))
	}
	groups, ungrouped := r.MissGroups()
	assert.Len(t, groups, missGroupLimit)
	assert.Equal(t, extra, ungrouped)
	assert.Len(t, r.Journal(), DefaultJournalLimit)
	assert.Equal(t, Stats{Misses: missGroupLimit + extra, Dropped: missGroupLimit + extra - DefaultJournalLimit}, r.Stats())
}
