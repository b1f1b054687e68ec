package recorder

import (
	"encoding/binary"

	"github.com/corsvcr/corsvcr/cassettes"
)

// recording is a recorded exchange as the proxy keeps it until it is
// packed: dropping hop-by-hop lines from the wire fields, fixing the Date
// and classifying the exchange are left to interaction, which runs when
// the recording is read (Interactions), not while the proxy forwards.
type recording struct {
	method, url string
	reqHeaders  recHeaders
	reqBody     cassettes.Body
	status      int
	respHeaders recHeaders
	respBody    cassettes.Body
}

// recHeaders is the header of a recorded message: the fields as read from
// the wire (enc, encoded as in a rawBlock, when wire is set), whose
// hop-by-hop lines are left out when the recording is read (fields,
// keptFields), or the fields to record as they are (list).
type recHeaders struct {
	wire bool
	enc  string
	list cassettes.Headers
}

// fields returns the header fields to record.
func (h recHeaders) fields() cassettes.Headers {
	if h.wire {
		return keptFields(cassettes.Headers{}, h.enc, ^uint8(0))
	}
	return h.list
}

// interaction returns the cassette interaction rec records: classified,
// hop-by-hop lines left out, every response Date line fixed (fixDate).
func (rec *recording) interaction() cassettes.Interaction {
	in := cassettes.Interaction{
		Request:  cassettes.Request{Method: rec.method, URL: rec.url, Headers: rec.reqHeaders.fields(), Body: rec.reqBody},
		Response: cassettes.Response{Status: rec.status, Headers: rec.respHeaders.fields(), Body: rec.respBody},
	}
	in.Kind = cassettes.Classify(in.Request.Method, in.Request.Headers)
	fixDate(in.Response.Headers)
	return in
}

// packed is a recording held in one pointer-free byte slice: a table of
// little-endian uint32 words, then every string and body back to back. A
// recording keeps every exchange until it is saved; held as a
// cassettes.Interaction (some thirty strings each) they made the garbage
// collector scan the whole recording again and again while the proxy ran,
// the main cost of recording over plain forwarding. Packed, the GC does not
// look inside them, and storing one costs a single allocation.
//
// The words: packFlags, packReqN, packRespN, packStatus, then the length of
// each string in order: method, URL, the request's header (its encoded
// wire fields, or its names and values), its body, the response's header
// and its body.
type packed []byte

// The first words of a packed recording.
const (
	packFlags    = iota // nil-ness of the slices, raw headers (bits below)
	packReqN            // request header fields (0 for raw lines)
	packRespN           // response header fields (0 for raw lines)
	packStatus          // response status, as an int32
	packHeadSize        // the words above
)

const (
	nilReqHeaders = 1 << iota
	nilReqBody
	nilRespHeaders
	nilRespBody
	wireReqHeaders
	wireRespHeaders
)

// strings is the number of strings h packs into (unpack counts them the
// same way).
func (h recHeaders) strings() int {
	if h.wire {
		return 1
	}
	return 2 * len(h.list)
}

func (h recHeaders) size() int {
	if h.wire {
		return len(h.enc)
	}
	n := 0
	for _, f := range h.list {
		n += len(f.Name) + len(f.Value)
	}
	return n
}

func pack(rec *recording) packed {
	rq, rs := &rec.reqHeaders, &rec.respHeaders
	strs := 2 + rq.strings() + 1 + rs.strings() + 1
	table := 4 * (packHeadSize + strs)
	size := table + len(rec.method) + len(rec.url) + rq.size() + len(rec.reqBody) + rs.size() + len(rec.respBody)
	p := make(packed, table, size)
	var flags uint32
	if rq.wire {
		flags |= wireReqHeaders
	} else if rq.list == nil {
		flags |= nilReqHeaders
	}
	if rec.reqBody == nil {
		flags |= nilReqBody
	}
	if rs.wire {
		flags |= wireRespHeaders
	} else if rs.list == nil {
		flags |= nilRespHeaders
	}
	if rec.respBody == nil {
		flags |= nilRespBody
	}
	le := binary.LittleEndian
	le.PutUint32(p[4*packFlags:], flags)
	le.PutUint32(p[4*packReqN:], uint32(len(rq.list)))
	le.PutUint32(p[4*packRespN:], uint32(len(rs.list)))
	le.PutUint32(p[4*packStatus:], uint32(int32(rec.status)))
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
	addHeaders := func(h *recHeaders) {
		if h.wire {
			add(h.enc)
			return
		}
		for _, f := range h.list {
			add(f.Name)
			add(f.Value)
		}
	}
	add(rec.method)
	add(rec.url)
	addHeaders(rq)
	addBytes(rec.reqBody)
	addHeaders(rs)
	addBytes(rec.respBody)
	return p
}

// unpack returns the recording p holds, sharing nothing with p.
func (p packed) unpack() recording {
	le := binary.LittleEndian
	word := func(i int) uint32 { return le.Uint32(p[4*i:]) }
	flags := word(packFlags)
	reqN, respN := int(word(packReqN)), int(word(packRespN))
	headerStrings := func(n int, wire bool) int {
		if wire {
			return 1
		}
		return 2 * n
	}
	strs := 2 + headerStrings(reqN, flags&wireReqHeaders != 0) + 1 + headerStrings(respN, flags&wireRespHeaders != 0) + 1
	w := packHeadSize
	off := 4 * (packHeadSize + strs)
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
	headers := func(n int, isNil, wire bool) recHeaders {
		if wire {
			return recHeaders{wire: true, enc: str()}
		}
		if isNil {
			return recHeaders{}
		}
		h := make(cassettes.Headers, n)
		for j := range h {
			h[j] = cassettes.Header{Name: str(), Value: str()}
		}
		return recHeaders{list: h}
	}
	var rec recording
	rec.method = str()
	rec.url = str()
	rec.reqHeaders = headers(reqN, flags&nilReqHeaders != 0, flags&wireReqHeaders != 0)
	rec.reqBody = body(flags&nilReqBody != 0)
	rec.status = int(int32(word(packStatus)))
	rec.respHeaders = headers(respN, flags&nilRespHeaders != 0, flags&wireRespHeaders != 0)
	rec.respBody = body(flags&nilRespBody != 0)
	return rec
}
