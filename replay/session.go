package replay

import (
	"net/http"
	"net/url"

	"github.com/corsvcr/corsvcr/cassettes"
)

// Answer is how a replay answers one request.
type Answer struct {
	// Interaction is the index in the cassette of the recorded interaction
	// served; -1 for a miss.
	Interaction int
	// Response is the response as it goes on the wire (see
	// Session.RoundTrip); zero for a miss.
	Response cassettes.Response
	// Miss is set when no recorded interaction answers the request.
	Miss *MissError
}

// Session answers requests from a cassette exactly as a Replayer configured
// the same way answers them (same match key, origin map, redacted query
// parameters, recorded answers served in order, Config.Strict), but without
// a network, a journal or Config.Forward: it is for tools, such as the CORS
// predictor, that simulate a replay instead of running one. Each Session
// keeps its own use counts; it is not safe for concurrent use.
type Session struct {
	r    *Replayer
	used map[*variant]int
}

// NewSession validates cfg as New does and returns a Session whose recorded
// answers are all unused, as a fresh Replayer's are.
func NewSession(cfg Config) (*Session, error) {
	r, err := New(cfg)
	if err != nil {
		return nil, err
	}
	return &Session{r: r, used: map[*variant]int{}}, nil
}

// Session returns a Session that answers as r would answer its next
// requests: r's cassette and Config, and the use counts of r's answers so
// far. Requests r serves afterwards do not change the Session, nor does the
// Session change r.
func (r *Replayer) Session() *Session {
	s := &Session{r: r, used: map[*variant]int{}}
	for _, m := range []map[key]*queue{r.byKey, r.byPath} {
		for _, q := range m {
			for _, v := range q.vars {
				if n := v.used.Load(); n > 0 {
					s.used[v] = int(n)
				}
			}
		}
	}
	return s
}

// Uses returns the session's use counts: for each group of recorded
// interactions that answer alike (one match key, one script part), how
// many requests it answered, keyed by the cassette index of the group's
// first interaction. A Session of another Replayer over the same recorded
// requests (say, the cassette with some responses fixed) continues from the
// same point with SessionWith.
func (s *Session) Uses() map[int]int {
	out := make(map[int]int, len(s.used))
	for v, n := range s.used {
		if n > 0 {
			out[v.idx[0]] = n
		}
	}
	return out
}

// SessionWith returns a Session of r whose use counts are uses, as
// Session.Uses returns them; nil means none used. Groups of r that uses
// does not name start unused.
func (r *Replayer) SessionWith(uses map[int]int) *Session {
	s := &Session{r: r, used: map[*variant]int{}}
	if len(uses) == 0 {
		return s
	}
	for _, q := range r.byKey {
		for _, v := range q.vars {
			if n := uses[v.idx[0]]; n > 0 {
				s.used[v] = n
			}
		}
	}
	return s
}

// RoundTrip answers req as the Replayer's ServeHTTP answers the same
// request arriving as a proxy request, and uses that answer up. req.URL must
// be absolute; req's header names are matched ASCII case-insensitively, and
// its script-set headers and body tell it apart from other requests with its
// match key as ServeHTTP tells them apart (the same code chooses). The
// response is the recorded one as it goes on the
// wire: status and header lines (original case and order, duplicates kept,
// Access-Control-Allow-Origin mapped by Config.OriginMap) without
// Transfer-Encoding, with the Content-Length ServeHTTP adds when none was
// recorded and a body is allowed, and the body (none for HEAD). A recorded
// Date line is left as recorded; ServeHTTP sends the time of serving.
func (s *Session) RoundTrip(req cassettes.Request) Answer {
	u, err := url.Parse(req.URL)
	if err != nil || u.Host == "" {
		return Answer{Interaction: -1, Miss: &MissError{Method: req.Method, URL: req.URL, Closest: -1, Reason: "not an absolute URL"}}
	}
	k, hostless := s.r.matchKey(req.Method, u, func(name string) []string { return recordedValues(req.Headers, name) })
	q := s.r.queue(k, hostless)
	in := incoming{ch: req.Headers, body: req.Body}
	i, me := s.r.pick(k, hostless, q, &in, s.used)
	if me != nil {
		return Answer{Interaction: -1, Miss: me}
	}
	return Answer{Interaction: i, Response: s.r.served(i, req.Method)}
}

// served returns the response ServeHTTP writes for interaction i to a
// request of method method, as Session.RoundTrip documents it.
func (r *Replayer) served(i int, method string) cassettes.Response {
	p := &r.ints[i]
	rs := r.cfg.Cassette.Interactions[i].Response
	out := cassettes.Response{Status: p.status, Headers: make(cassettes.Headers, 0, len(rs.Headers)+1)}
	for _, f := range rs.Headers {
		switch {
		case asciiEqualFold(f.Name, "Transfer-Encoding"):
			continue
		case asciiEqualFold(f.Name, "Access-Control-Allow-Origin"):
			if to, ok := r.fromTo[f.Value]; ok {
				f.Value = to
			}
		}
		out.Headers = append(out.Headers, f)
	}
	head := method == http.MethodHead
	if p.contentLength != nil && !head {
		out.Headers = append(out.Headers, cassettes.Header{Name: "Content-Length", Value: p.contentLength[0]})
	}
	if p.bodyAllowed && !head {
		out.Body = p.body
	}
	return out
}
