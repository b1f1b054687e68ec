package replay

import (
	"net/http"

	"github.com/corsvcr/corsvcr/cassettes"
)

// Lookup returns the indices (in the cassette) of the recorded
// interactions that answer req's match key, in the order ServeHTTP serves
// them: the n-th request with that key gets the n-th, and once they are used
// up the last one repeats (a miss with Config.Strict). It returns nil when
// req would be a miss. Lookup serves nothing, journals nothing and uses no
// answer up: it is for tools, such as the CORS predictor, that simulate a
// replay without running one. req's URL and headers are read the way
// ServeHTTP reads them; its body is not.
//
// Every request with the same match key gets the same slice, so its first
// element identifies the key.
func (r *Replayer) Lookup(req *http.Request) []int {
	k, hostless := r.requestKey(req)
	m := r.byKey
	if hostless {
		m = r.byPath
	}
	if q := m[k]; q != nil {
		return q.idx
	}
	return nil
}

// Served returns the response ServeHTTP writes for the interaction at
// index i, as it goes on the wire for a request of method method: the
// recorded status and header lines (original case and order, duplicates
// kept) without Transfer-Encoding, with the Content-Length that ServeHTTP
// adds when none was recorded and a body is allowed, and the body (none
// for HEAD). A recorded Date line is served with the time of serving, which
// Served leaves as recorded. It panics if i is out of range.
func (r *Replayer) Served(i int, method string) cassettes.Response {
	p := &r.ints[i]
	rs := r.cfg.Cassette.Interactions[i].Response
	out := cassettes.Response{Status: p.status, Headers: make(cassettes.Headers, 0, len(rs.Headers)+1)}
	for _, f := range rs.Headers {
		if asciiEqualFold(f.Name, "Transfer-Encoding") {
			continue
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

// Cassette returns the cassette r serves (Config.Cassette). It must not be
// modified.
func (r *Replayer) Cassette() *cassettes.Cassette { return r.cfg.Cassette }
