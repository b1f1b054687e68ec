package recorder

import (
	"encoding/binary"

	"github.com/corsvcr/corsvcr/cassettes"
)

// packed is a recorded interaction held in one pointer-free byte slice: a
// table of little-endian uint32 words, then every string and body back to
// back. A recording keeps every exchange until it is saved; held as a
// cassettes.Interaction (some thirty strings each) they made the garbage
// collector scan the whole recording again and again while the proxy ran,
// the main cost of recording over plain forwarding. Packed, the GC does not
// look inside them, and storing one costs a single allocation.
//
// The words: packFlags, packReqN, packRespN, packStatus, then the length of
// each string in order: kind, method, URL, the request's header names and
// values, its body, the response's header names and values, its body.
type packed []byte

// The first words of a packed interaction.
const (
	packFlags    = iota // nil-ness of the slices (bits below)
	packReqN            // request header fields
	packRespN           // response header fields
	packStatus          // response status, as an int32
	packHeadSize        // the words above
)

const (
	nilReqHeaders = 1 << iota
	nilReqBody
	nilRespHeaders
	nilRespBody
)

func pack(in cassettes.Interaction) packed {
	rq, rs := &in.Request, &in.Response
	strs := 3 + 2*len(rq.Headers) + 1 + 2*len(rs.Headers) + 1
	table := 4 * (packHeadSize + strs)
	size := table + len(in.Kind) + len(rq.Method) + len(rq.URL) + len(rq.Body) + len(rs.Body)
	for _, h := range rq.Headers {
		size += len(h.Name) + len(h.Value)
	}
	for _, h := range rs.Headers {
		size += len(h.Name) + len(h.Value)
	}
	p := make(packed, table, size)
	var flags uint32
	if rq.Headers == nil {
		flags |= nilReqHeaders
	}
	if rq.Body == nil {
		flags |= nilReqBody
	}
	if rs.Headers == nil {
		flags |= nilRespHeaders
	}
	if rs.Body == nil {
		flags |= nilRespBody
	}
	le := binary.LittleEndian
	le.PutUint32(p[4*packFlags:], flags)
	le.PutUint32(p[4*packReqN:], uint32(len(rq.Headers)))
	le.PutUint32(p[4*packRespN:], uint32(len(rs.Headers)))
	le.PutUint32(p[4*packStatus:], uint32(int32(rs.Status)))
	w := 4 * packHeadSize
	add := func(s string) {
		le.PutUint32(p[w:], uint32(len(s)))
		w += 4
		p = append(p, s...)
	}
	addBytes := func(b []byte) {
		le.PutUint32(p[w:], uint32(len(b)))
		w += 4
		p = append(p, b...)
	}
	add(string(in.Kind))
	add(rq.Method)
	add(rq.URL)
	for _, h := range rq.Headers {
		add(h.Name)
		add(h.Value)
	}
	addBytes(rq.Body)
	for _, h := range rs.Headers {
		add(h.Name)
		add(h.Value)
	}
	addBytes(rs.Body)
	return p
}

// unpack returns the interaction p holds, sharing nothing with p.
func (p packed) unpack() cassettes.Interaction {
	le := binary.LittleEndian
	word := func(i int) uint32 { return le.Uint32(p[4*i:]) }
	flags := word(packFlags)
	reqN, respN := int(word(packReqN)), int(word(packRespN))
	w := packHeadSize
	off := 4 * (packHeadSize + 3 + 2*reqN + 1 + 2*respN + 1)
	next := func() []byte {
		n := int(word(w))
		w++
		b := p[off : off+n]
		off += n
		return b
	}
	str := func() string { return string(next()) }
	body := func(isNil bool) cassettes.Body {
		b := next()
		if isNil {
			return nil
		}
		return append(cassettes.Body{}, b...)
	}
	headers := func(n int, isNil bool) cassettes.Headers {
		if isNil {
			return nil
		}
		h := make(cassettes.Headers, n)
		for j := range h {
			h[j] = cassettes.Header{Name: str(), Value: str()}
		}
		return h
	}
	var in cassettes.Interaction
	in.Kind = cassettes.Kind(str())
	in.Request.Method = str()
	in.Request.URL = str()
	in.Request.Headers = headers(reqN, flags&nilReqHeaders != 0)
	in.Request.Body = body(flags&nilReqBody != 0)
	in.Response.Status = int(int32(word(packStatus)))
	in.Response.Headers = headers(respN, flags&nilRespHeaders != 0)
	in.Response.Body = body(flags&nilRespBody != 0)
	return in
}
