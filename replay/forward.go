package replay

import (
	"fmt"
	"io"
	"net/http"
	"net/textproto"
	"strconv"
	"strings"

	"github.com/corsvcr/corsvcr/internal/fetch"
)

// removeHopByHop deletes hop-by-hop headers (fetch.IsHopByHop) from h,
// including those named in Connection.
func removeHopByHop(h http.Header) {
	for _, v := range h["Connection"] {
		for f := range strings.SplitSeq(v, ",") {
			if f = textproto.TrimString(f); f != "" {
				h.Del(f)
			}
		}
	}
	for name := range h {
		if fetch.IsHopByHop(name) {
			delete(h, name)
		}
	}
}

// outbound turns the inbound proxy or direct request req into a client
// request for Config.Forward. req itself is left alone.
func (r *Replayer) outbound(req *http.Request) *http.Request {
	out := req.Clone(req.Context())
	out.RequestURI = ""
	out.Host = "" // the Host header follows out.URL
	out.Close = false
	if out.URL.Host == "" { // origin-form
		out.URL.Scheme, out.URL.Host = "http", req.Host
		if r.hostHost != "" {
			out.URL.Scheme, out.URL.Host = r.hostScheme, r.hostHost
		}
	}
	if out.URL.Scheme == "" {
		out.URL.Scheme = "http"
	}
	if req.ContentLength == 0 {
		out.Body = nil
	}
	removeHopByHop(out.Header)
	if vs := out.Header["Origin"]; len(vs) > 0 {
		if from, ok := r.toFrom[vs[0]]; ok {
			// The live server sees, and the recorder records, the
			// recorded origin (Config.OriginMap).
			out.Header["Origin"] = append([]string{from}, vs[1:]...)
		}
	}
	return out
}

// forward serves the miss me by sending req to Config.Forward and streaming
// its response back.
func (r *Replayer) forward(w http.ResponseWriter, req *http.Request, k key, me *MissError, s *script) {
	resp, err := r.cfg.Forward.RoundTrip(r.outbound(req))
	if err == nil && (resp.StatusCode < 200 || resp.StatusCode > 999) {
		resp.Body.Close()
		err = fmt.Errorf("unexpected status %d", resp.StatusCode)
	}
	if err != nil {
		me.ForwardErr = err
		r.j.record(Entry{Method: me.Method, URL: me.URL, Origin: k.origin, Miss: me})
		r.serveMiss(w, req, k, me, s)
		return
	}
	defer resp.Body.Close()
	r.j.record(Entry{Method: me.Method, URL: me.URL, Origin: k.origin, Forwarded: true})

	h := w.Header()
	for name, vs := range resp.Header {
		h[name] = vs
	}
	removeHopByHop(h)
	if vs := h["Access-Control-Allow-Origin"]; len(vs) > 0 && r.fromTo != nil {
		mapped := make([]string, len(vs))
		for i, v := range vs {
			if to, ok := r.fromTo[v]; ok {
				v = to
			}
			mapped[i] = v
		}
		h["Access-Control-Allow-Origin"] = mapped
	}
	for _, name := range []string{"Date", "Content-Type"} {
		if _, ok := h[name]; !ok {
			h[name] = nil
		}
	}
	if _, ok := h["Content-Length"]; !ok && resp.ContentLength >= 0 && req.Method != http.MethodHead {
		h["Content-Length"] = []string{strconv.FormatInt(resp.ContentLength, 10)}
	}
	w.WriteHeader(resp.StatusCode)
	copyBody(w, resp.Body, resp.ContentLength < 0)
}

// copyBody copies body to w, flushing after every read when flush is set
// (a response of unknown length may be a stream).
func copyBody(w http.ResponseWriter, body io.Reader, flush bool) {
	rc := http.NewResponseController(w)
	buf := make([]byte, 32<<10)
	for {
		n, err := body.Read(buf)
		if n > 0 {
			if _, werr := w.Write(buf[:n]); werr != nil {
				return
			}
			if flush {
				_ = rc.Flush()
			}
		}
		if err != nil {
			return
		}
	}
}
