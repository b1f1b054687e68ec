package recorder

import (
	"strconv"

	"github.com/corsvcr/corsvcr/cassettes"
)

// packed is a recorded interaction held in two pointer-free slices: every
// string and body back to back in data, and the lengths that cut them out
// in lens. A recording keeps every exchange until it is saved; held as a
// cassettes.Interaction (some thirty strings each) they made the garbage
// collector scan the whole recording again and again while the proxy ran,
// the main cost of recording over plain forwarding. Packed, the GC does not
// look inside them.
type packed struct {
	data []byte
	lens []uint32
}

// The first lens entries of a packed interaction.
const (
	packFlags    = iota // nil-ness of the slices (bits below)
	packReqN            // request header fields
	packRespN           // response header fields
	packHeadSize        // the entries above
)

const (
	nilReqHeaders = 1 << iota
	nilReqBody
	nilRespHeaders
	nilRespBody
)

func pack(in cassettes.Interaction) packed {
	size := len(in.Kind) + len(in.Request.Method) + len(in.Request.URL) + len(in.Request.Body) + len(in.Response.Body) + 3
	for _, h := range in.Request.Headers {
		size += len(h.Name) + len(h.Value)
	}
	for _, h := range in.Response.Headers {
		size += len(h.Name) + len(h.Value)
	}
	p := packed{
		data: make([]byte, 0, size),
		lens: make([]uint32, packHeadSize, packHeadSize+6+2*(len(in.Request.Headers)+len(in.Response.Headers))),
	}
	var flags uint32
	if in.Request.Headers == nil {
		flags |= nilReqHeaders
	}
	if in.Request.Body == nil {
		flags |= nilReqBody
	}
	if in.Response.Headers == nil {
		flags |= nilRespHeaders
	}
	if in.Response.Body == nil {
		flags |= nilRespBody
	}
	p.lens[packFlags] = flags
	p.lens[packReqN] = uint32(len(in.Request.Headers))
	p.lens[packRespN] = uint32(len(in.Response.Headers))
	add := func(b []byte) {
		p.data = append(p.data, b...)
		p.lens = append(p.lens, uint32(len(b)))
	}
	adds := func(s string) {
		p.data = append(p.data, s...)
		p.lens = append(p.lens, uint32(len(s)))
	}
	adds(string(in.Kind))
	adds(in.Request.Method)
	adds(in.Request.URL)
	for _, h := range in.Request.Headers {
		adds(h.Name)
		adds(h.Value)
	}
	add(in.Request.Body)
	adds(strconv.Itoa(in.Response.Status))
	for _, h := range in.Response.Headers {
		adds(h.Name)
		adds(h.Value)
	}
	add(in.Response.Body)
	return p
}

// unpack returns the interaction p holds, sharing nothing with p.
func (p packed) unpack() cassettes.Interaction {
	flags := p.lens[packFlags]
	i, off := packHeadSize, 0
	next := func() []byte {
		b := p.data[off : off+int(p.lens[i])]
		off += int(p.lens[i])
		i++
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
	headers := func(n uint32, isNil bool) cassettes.Headers {
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
	in.Request.Headers = headers(p.lens[packReqN], flags&nilReqHeaders != 0)
	in.Request.Body = body(flags&nilReqBody != 0)
	in.Response.Status, _ = strconv.Atoi(str())
	in.Response.Headers = headers(p.lens[packRespN], flags&nilRespHeaders != 0)
	in.Response.Body = body(flags&nilRespBody != 0)
	return in
}
