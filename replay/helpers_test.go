package replay

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/corsvcr/corsvcr/cassettes"
)

// hs builds headers from "Name: value" lines.
func hs(lines ...string) cassettes.Headers {
	h := make(cassettes.Headers, 0, len(lines))
	for _, l := range lines {
		name, value, ok := strings.Cut(l, ":")
		if !ok {
			panic("hs: no colon in " + l)
		}
		h = append(h, cassettes.Header{Name: name, Value: strings.TrimPrefix(value, " ")})
	}
	return h
}

// ia builds an interaction answering status with body; reqHeaders are
// "Name: value" lines.
func ia(method, rawURL string, reqHeaders []string, status int, body string, respHeaders ...string) cassettes.Interaction {
	h := hs(reqHeaders...)
	return cassettes.Interaction{
		Kind:     cassettes.Classify(method, h),
		Request:  cassettes.Request{Method: method, URL: rawURL, Headers: h},
		Response: cassettes.Response{Status: status, Headers: hs(respHeaders...), Body: cassettes.Body(body)},
	}
}

func cassette(ints ...cassettes.Interaction) *cassettes.Cassette {
	return &cassettes.Cassette{Version: cassettes.FormatVersion, Interactions: ints}
}

func newReplayer(t testing.TB, cfg Config) *Replayer {
	t.Helper()
	r, err := New(cfg)
	require.NoError(t, err)
	return r
}

// request builds a request as a server would see it; target is absolute
// (proxy form) or a path (origin form).
func request(method, target string, headers ...string) *http.Request {
	req := httptest.NewRequest(method, target, nil)
	for _, f := range hs(headers...) {
		req.Header.Add(f.Name, f.Value)
	}
	return req
}

// serve runs req through r and returns the response.
func serve(r http.Handler, req *http.Request) (*http.Response, string) {
	rec := httptest.NewRecorder()
	r.ServeHTTP(rec, req)
	resp := rec.Result()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// lastEntry returns the last journal entry.
func lastEntry(t testing.TB, r *Replayer) Entry {
	t.Helper()
	j := r.Journal()
	require.NotEmpty(t, j, "journal")
	return j[len(j)-1]
}

// served is what answered one request: Hit, the interaction (-1: none),
// and, for a request the cassette did not answer, its journal entry.
type served struct {
	Hit int
	Entry
}

// serveOne runs req through r, which must serve no other request
// meanwhile, and returns the response and what answered it, from r's use
// counts and journal: exactly one of them must have changed.
func serveOne(t testing.TB, r *Replayer, req *http.Request) (*http.Response, string, served) {
	t.Helper()
	uses, mark := r.Uses(), r.Mark()
	resp, body := serve(r, req)
	s := served{Hit: -1}
	for i, n := range r.Uses() {
		if n != uses[i] {
			require.Equal(t, uses[i]+1, n, "use count of #%d", i)
			require.Equal(t, -1, s.Hit, "two interactions used")
			s.Hit = i
		}
	}
	es, dropped := r.Since(mark)
	require.Zero(t, dropped)
	if s.Hit >= 0 {
		require.Empty(t, es, "a hit is not journaled")
		return resp, body, s
	}
	require.Len(t, es, 1, "a request the cassette did not answer is journaled")
	s.Entry = es[0]
	return resp, body, s
}
