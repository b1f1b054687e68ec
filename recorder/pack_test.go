package recorder

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/corsvcr/corsvcr/cassettes"
	"github.com/corsvcr/corsvcr/cassettes/cassettestest"
)

// A packed recording unpacks to exactly what was recorded, nil and empty
// slices kept apart, raw header lines kept raw, and shares no memory with
// it.
func TestPackRoundTrip(t *testing.T) {
	ins := []cassettes.Interaction{
		{},
		{Kind: cassettes.KindPreflight, Request: cassettes.Request{Method: "OPTIONS", URL: "http://a.test/x",
			Headers: cassettes.Headers{}, Body: cassettes.Body{}}, Response: cassettes.Response{Status: 204, Headers: cassettes.Headers{}, Body: cassettes.Body{}}},
		{Kind: cassettes.KindActual, Request: cassettes.Request{Method: "PUT", URL: "http://a.test/ü?q=1",
			Headers: cassettes.Headers{{Name: "Origin", Value: "http://b.test"}, {Name: "X-Empty", Value: ""}, {Name: "", Value: "v"}},
			Body:    cassettes.Body("\x00\xffbin")},
			Response: cassettes.Response{Status: 599, Headers: cassettes.Headers{{Name: "Access-Control-Allow-Origin", Value: "*"}, {Name: "Access-Control-Allow-Origin", Value: "*"}}, Body: cassettes.Body("{}")}},
	}
	ins = append(ins, cassettestest.Generate(200).Interactions...)
	var recs []recording
	for _, in := range ins {
		recs = append(recs, recording{
			method: in.Request.Method, url: in.Request.URL,
			reqHeaders: recHeaders{list: in.Request.Headers}, reqBody: in.Request.Body,
			status:      in.Response.Status,
			respHeaders: recHeaders{list: in.Response.Headers}, respBody: in.Response.Body,
		})
	}
	wireAt := len(recs)
	recs = append(recs,
		recording{method: "GET", url: "http://a.test/",
			reqHeaders:  wireHeaders(t, "Host: a.test\r\nConnection: keep-alive, X-Hop\r\nx-hop: 1\r\nOrigin:  http://b.test \r\n"),
			status:      200,
			respHeaders: wireHeaders(t, "date: Thu, 03 Dec 2026 17:00:00 GMT\nKeep-Alive: timeout=5\nVary: Origin\n"),
			respBody:    cassettes.Body("x")},
		recording{method: "GET", url: "http://a.test/", reqHeaders: recHeaders{wire: true}, respHeaders: recHeaders{wire: true}},
	)
	// Wire fields that repeat are shared: stored once for the recordings
	// of one plan.
	shared := wireHeaders(t, "Origin: http://b.test\r\nAccept: */*\r\n")
	shared.plan = newFieldPlan(shared.enc, 0, requestSkip)
	for i := range 3 {
		recs = append(recs, recording{method: "GET", url: fmt.Sprintf("http://a.test/%d", i), reqHeaders: shared, status: 200, respHeaders: shared})
	}
	// A body larger than a chunk, and enough recordings to fill several.
	recs = append(recs, recording{method: "POST", url: "http://a.test/big", reqBody: make(cassettes.Body, chunkSize+1), status: 200})
	for i := range 4000 {
		recs = append(recs, recording{method: "GET", url: fmt.Sprintf("http://a.test/many/%d", i), status: 200, respBody: make(cassettes.Body, 700)})
	}
	// Two plans whose fields have the same length, on each side: each
	// recording gets its own.
	h1 := wireHeaders(t, "X-A: 1\r\n")
	h1.plan = newFieldPlan(h1.enc, 0, nil)
	h2 := wireHeaders(t, "X-A: 2\r\n")
	h2.plan = newFieldPlan(h2.enc, 0, nil)
	for i := range 4 {
		rq, rs := h1, h2
		if i%2 == 1 {
			rq, rs = h2, h1
		}
		recs = append(recs, recording{method: "GET", url: fmt.Sprintf("http://a.test/two/%d", i), reqHeaders: rq, status: 200, respHeaders: rs})
	}
	var store recordStore
	for i := range recs {
		store.add(uint64(i), &recs[i])
	}
	assert.Len(t, store.encs, 3, "one shared encoding per plan")
	assert.Greater(t, len(store.chunks), 3)
	require.Len(t, store.refs, len(recs))
	for i, rec := range recs {
		ref := store.refs[i]
		require.Equal(t, uint64(i), ref.seq)
		got := store.recording(ref)
		rec.reqHeaders.plan, rec.respHeaders.plan = nil, nil // not kept
		assert.Equal(t, rec, got, "recording %d", i)
		assert.Equal(t, rec.reqHeaders.list == nil, got.reqHeaders.list == nil, "recording %d: request headers nil-ness", i)
		assert.Equal(t, rec.reqBody == nil, got.reqBody == nil, "recording %d: request body nil-ness", i)
		assert.Equal(t, rec.respHeaders.list == nil, got.respHeaders.list == nil, "recording %d: response headers nil-ness", i)
		assert.Equal(t, rec.respBody == nil, got.respBody == nil, "recording %d: response body nil-ness", i)
		if len(got.respBody) > 0 {
			got.respBody[0] ^= 0xff
			assert.Equal(t, rec, store.recording(ref), "recording %d: unpack shares memory", i)
		}
	}

	// A plan whose index names another store's encoding (an index gone
	// wrong: in range here, but another's fields) gets one of its own.
	var other recordStore
	other.add(0, &recording{method: "GET", url: "http://a.test/", reqHeaders: h2, respHeaders: h2})
	assert.Equal(t, h2.enc, other.recording(other.refs[0]).reqHeaders.enc)
	store.add(uint64(len(recs)), &recording{method: "GET", url: "http://a.test/", reqHeaders: h2, respHeaders: h1})
	last := store.recording(store.refs[len(store.refs)-1])
	assert.Equal(t, h2.enc, last.reqHeaders.enc)
	assert.Equal(t, h1.enc, last.respHeaders.enc)

	// Raw lines become fields when the recording is read: hop-by-hop lines
	// left out, the Date fixed, the interaction classified.
	in := recs[wireAt].interaction()
	assert.Equal(t, cassettes.Interaction{
		Kind: cassettes.KindActual,
		Request: cassettes.Request{Method: "GET", URL: "http://a.test/",
			Headers: cassettes.Headers{{Name: "Host", Value: "a.test"}, {Name: "Origin", Value: "http://b.test"}}},
		Response: cassettes.Response{Status: 200,
			Headers: cassettes.Headers{{Name: "date", Value: cassettes.RecordedDate}, {Name: "Vary", Value: "Origin"}},
			Body:    cassettes.Body("x")},
	}, in)
	empty := recs[wireAt+1].interaction()
	assert.NotNil(t, empty.Request.Headers, "raw lines, none kept: an empty list, not nil")
	assert.NotNil(t, empty.Response.Headers)
	// A listed header is recorded as listed, and classified alike.
	assert.Equal(t, ins[2].Kind, recs[2].interaction().Kind)
	assert.Equal(t, ins[2].Response.Headers, recs[2].interaction().Response.Headers)
}

// wireHeaders is the header a recording keeps of the field lines raw, as
// read from the wire.
func wireHeaders(t *testing.T, raw string) recHeaders {
	t.Helper()
	blk, err := parseBlock([]byte("HTTP/1.1 200 OK\r\n" + raw))
	if err != nil {
		t.Fatal(err)
	}
	return recHeaders{wire: true, enc: blk.enc}
}

// A recordStore leaves little of its chunks unused, whatever the sizes of
// the recordings: at most bigRecording bytes per chunk.
func TestRecordStoreWaste(t *testing.T) {
	t.Parallel()
	var s recordStore
	for i := range 300 {
		body := make(cassettes.Body, 700)
		if i%3 == 0 {
			body = make(cassettes.Body, 600<<10)
		}
		s.add(uint64(i), &recording{method: "GET", url: fmt.Sprintf("http://a.test/%d", i), status: 200, respBody: body})
	}
	used, held := 0, 0
	for _, c := range s.chunks {
		used, held = used+len(c), held+cap(c)
	}
	assert.LessOrEqual(t, held-used, len(s.chunks)*bigRecording, "%d chunks hold %d bytes for %d", len(s.chunks), held, used)
	for i, ref := range s.refs {
		want := 700
		if i%3 == 0 {
			want = 600 << 10
		}
		assert.Len(t, s.recording(ref).respBody, want, "recording %d", i)
	}
}
