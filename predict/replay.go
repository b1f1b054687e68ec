package predict

import (
	"net/http"
	"net/url"

	"github.com/corsvcr/corsvcr/cassettes"
	"github.com/corsvcr/corsvcr/replay"
)

// Replay is a Server that answers from a cassette the way a replay of it
// answers Chrome: same match key, recorded answers served in order (the
// last one repeating, or a miss when strict), responses as the replayer puts
// them on the wire. It keeps its own use counts, as a fresh replay server
// does; it is not safe for concurrent use.
type Replay struct {
	rp     *replay.Replayer
	strict bool
	used   map[int]int // first interaction index of a match key → uses
}

// NewReplay returns a Replay of cas. strict is replay.Config.Strict.
func NewReplay(cas *cassettes.Cassette, strict bool) (*Replay, error) {
	rp, err := replay.New(replay.Config{Cassette: cas, Strict: strict})
	if err != nil {
		return nil, err
	}
	return &Replay{rp: rp, strict: strict, used: map[int]int{}}, nil
}

// RoundTrip implements Server.
func (r *Replay) RoundTrip(req cassettes.Request) (cassettes.Response, bool) {
	_, i, ok := r.answer(req)
	if !ok {
		return cassettes.Response{}, false
	}
	return r.rp.Served(i, req.Method), true
}

// Index returns the index of the interaction the next RoundTrip of req
// would be answered with, without using it up.
func (r *Replay) Index(req cassettes.Request) (int, bool) {
	hreq, err := httpRequest(req)
	if err != nil {
		return -1, false
	}
	idx := r.rp.Lookup(hreq)
	if len(idx) == 0 {
		return -1, false
	}
	n := r.used[idx[0]]
	switch {
	case n < len(idx):
		return idx[n], true
	case r.strict:
		return -1, false
	}
	return idx[len(idx)-1], true
}

func (r *Replay) answer(req cassettes.Request) ([]int, int, bool) {
	i, ok := r.Index(req)
	if !ok {
		return nil, -1, false
	}
	hreq, _ := httpRequest(req)
	idx := r.rp.Lookup(hreq)
	r.used[idx[0]]++
	return idx, i, true
}

// httpRequest turns req into the proxy request a replayer receives.
func httpRequest(req cassettes.Request) (*http.Request, error) {
	u, err := url.Parse(req.URL)
	if err != nil {
		return nil, err
	}
	h := make(http.Header, len(req.Headers))
	for _, f := range req.Headers {
		h.Add(f.Name, f.Value)
	}
	return &http.Request{Method: req.Method, URL: u, Header: h, Host: u.Host}, nil
}
