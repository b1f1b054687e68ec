package vcr_test

import (
	"fmt"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/corsvcr/corsvcr/cassettes"
	"github.com/corsvcr/corsvcr/replay"
	"github.com/corsvcr/corsvcr/vcr"
)

func TestSummarizeMisses(t *testing.T) {
	t.Parallel()
	miss := func(method, url, field string) replay.Entry {
		return replay.Entry{Method: method, URL: url, Miss: &replay.MissError{Method: method, URL: url, Closest: 0, Field: field, Got: "a", Want: "b"}}
	}
	var j []replay.Entry
	for i := range 30 {
		j = append(j, miss("GET", fmt.Sprintf("http://a.test/%d", i), "URL")) // 30 groups of 1
	}
	for range 5 {
		j = append(j, miss("PUT", "http://a.test/x", "Origin"), replay.Entry{Forwarded: true})
	}
	j = append(j, miss("PUT", "http://a.test/x", "credentials"), miss("PUT", "http://a.test/x", "credentials"))
	j = append(j, replay.Entry{Method: "CONNECT", URL: "a.test:443", Miss: &replay.MissError{Method: "CONNECT", URL: "a.test:443", Closest: -1, Reason: "no"}})

	sum := vcr.SummarizeMisses(j, 4)
	assert.Equal(t, 38, sum.Total)
	assert.Equal(t, []vcr.MissGroup{
		{Method: "PUT", URL: "http://a.test/x", Field: "Origin", Count: 5, Example: j[30].Miss.Error()},
		{Method: "PUT", URL: "http://a.test/x", Field: "credentials", Count: 2, Example: j[40].Miss.Error()},
		{Method: "GET", URL: "http://a.test/0", Field: "URL", Count: 1, Example: j[0].Miss.Error()},
		{Method: "GET", URL: "http://a.test/1", Field: "URL", Count: 1, Example: j[1].Miss.Error()},
	}, sum.Groups)
	assert.Equal(t, 29, sum.More, "28 URLs and the CONNECT")
	assert.Equal(t, 29, sum.MoreMisses)

	all := vcr.SummarizeMisses(j, 0)
	assert.Len(t, all.Groups, 33)
	assert.Zero(t, all.More)
	assert.Equal(t, "no", all.Groups[len(all.Groups)-1].Field)
	assert.Zero(t, vcr.SummarizeMisses(nil, 20).Total)
}

// SummarizeReplayMisses counts every miss a replayer served, those past its
// journal's limit too.
func TestSummarizeReplayMisses(t *testing.T) {
	t.Parallel()
	cas := &cassettes.Cassette{Version: cassettes.FormatVersion, Interactions: []cassettes.Interaction{{
		Kind:     cassettes.KindActual,
		Request:  cassettes.Request{Method: "GET", URL: "http://a.test/x"},
		Response: cassettes.Response{Status: 200},
	}}}
	rp, err := replay.New(replay.Config{Cassette: cas, JournalLimit: 2})
	require.NoError(t, err)
	get := func(path string) {
		rp.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "http://a.test"+path, nil))
	}
	for range 5 {
		get("/y")
		get("/x")
	}
	get("/z")
	sum := vcr.SummarizeReplayMisses(rp, 1)
	assert.Equal(t, 6, sum.Total)
	require.Len(t, sum.Groups, 1)
	assert.Equal(t, vcr.MissGroup{Method: "GET", URL: "http://a.test/y", Field: "URL", Count: 5,
		Example: `replay: no recorded interaction for GET http://a.test/y; closest #0 differs in URL: "http://a.test/y" != "http://a.test/x"`}, sum.Groups[0])
	assert.Equal(t, 1, sum.More)
	assert.Equal(t, 1, sum.MoreMisses)
	assert.Zero(t, sum.Ungrouped)
	assert.Equal(t, 2, vcr.SummarizeMisses(rp.Journal(), 0).Total, "the journal keeps the first two")
}
