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
	plan *fieldPlan // when wire: the plan of enc if it repeats (blockMemo), whose recordings share it
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

// packed is a recording held in pointer-free bytes: a table of
// little-endian uint32 words, then every string and body back to back. A
// recording keeps every exchange until it is saved; held as a
// cassettes.Interaction (some thirty strings each) they made the garbage
// collector scan the whole recording again and again while the proxy ran,
// the main cost of recording over plain forwarding. Packed into the
// chunks of a recordStore, the GC does not look inside them, and storing
// one seldom allocates (recordStore.add).
//
// The words: packFlags, packReqN, packRespN, packStatus, then the length of
// each string in order: method, URL, the request's header (its encoded
// wire fields, unless shared; or its names and values), its body, the
// response's header and its body.
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
// same way); shared wire fields are not packed.
func (h recHeaders) strings(shared bool) int {
	switch {
	case shared:
		return 0
	case h.wire:
		return 1
	}
	return 2 * len(h.list)
}

func (h recHeaders) size(shared bool) int {
	switch {
	case shared:
		return 0
	case h.wire:
		return len(h.enc)
	}
	n := 0
	for _, f := range h.list {
		n += len(f.Name) + len(f.Value)
	}
	return n
}

// packedSize is the size of rec packed, its wire fields shared as said.
func packedSize(rec *recording, shareReq, shareResp bool) int {
	rq, rs := &rec.reqHeaders, &rec.respHeaders
	strs := 2 + rq.strings(shareReq) + 1 + rs.strings(shareResp) + 1
	return 4*(packHeadSize+strs) + len(rec.method) + len(rec.url) + rq.size(shareReq) + len(rec.reqBody) + rs.size(shareResp) + len(rec.respBody)
}

// pack appends rec, packed, to dst, whose capacity must hold it
// (packedSize): it allocates nothing. Wire fields shared (shareReq,
// shareResp) are left out.
func pack(dst []byte, rec *recording, shareReq, shareResp bool) []byte {
	rq, rs := &rec.reqHeaders, &rec.respHeaders
	strs := 2 + rq.strings(shareReq) + 1 + rs.strings(shareResp) + 1
	table := 4 * (packHeadSize + strs)
	at := len(dst)
	dst = dst[:at+table]
	p := dst[at : at+table]
	clear(p)
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
		dst = append(dst, s...)
	}
	addBytes := func(b []byte) {
		le.PutUint32(p[w:], uint32(len(b)))
		w += 4
		dst = append(dst, b...)
	}
	addHeaders := func(h *recHeaders, shared bool) {
		switch {
		case shared:
		case h.wire:
			add(h.enc)
		default:
			for _, f := range h.list {
				add(f.Name)
				add(f.Value)
			}
		}
	}
	add(rec.method)
	add(rec.url)
	addHeaders(rq, shareReq)
	addBytes(rec.reqBody)
	addHeaders(rs, shareResp)
	addBytes(rec.respBody)
	return dst
}

// unpack returns the recording p holds, sharing nothing with p. shareReq
// and shareResp say which wire fields pack left out (the recordStore
// knows): they are left empty (recordStore.recording fills them in).
func (p packed) unpack(shareReq, shareResp bool) recording {
	le := binary.LittleEndian
	word := func(i int) uint32 { return le.Uint32(p[4*i:]) }
	flags := word(packFlags)
	reqN, respN := int(word(packReqN)), int(word(packRespN))
	headerStrings := func(n int, wire, shared bool) int {
		switch {
		case shared:
			return 0
		case wire:
			return 1
		}
		return 2 * n
	}
	strs := 2 + headerStrings(reqN, flags&wireReqHeaders != 0, shareReq) + 1 +
		headerStrings(respN, flags&wireRespHeaders != 0, shareResp) + 1
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
	headers := func(n int, isNil, wire, shared bool) recHeaders {
		switch {
		case shared:
			return recHeaders{wire: true}
		case wire:
			return recHeaders{wire: true, enc: str()}
		case isNil:
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
	rec.reqHeaders = headers(reqN, flags&nilReqHeaders != 0, flags&wireReqHeaders != 0, shareReq)
	rec.reqBody = body(flags&nilReqBody != 0)
	rec.status = int(int32(word(packStatus)))
	rec.respHeaders = headers(respN, flags&nilRespHeaders != 0, flags&wireRespHeaders != 0, shareResp)
	rec.respBody = body(flags&nilRespBody != 0)
	return rec
}

// recordStore holds the recordings of a Recorder: packed back to back in
// chunks, indexed by refs, which hold no pointer. The GC marks a chunk and
// a shared encoding, not every recording: with a pointer or three per
// recording, marking a long recording was most of the garbage collector's
// work while the proxy ran. Wire fields that repeat (those a fieldPlan
// was made for, blockMemo) are kept once, in encs. Its user locks it.
type recordStore struct {
	refs   []recordRef
	chunks [][]byte
	cur    int      // the chunk being filled, once there is one (a big recording's is full)
	encs   []string // shared wire fields, by fieldPlan.encID - 1
}

// recordRef locates one recording in a recordStore.
type recordRef struct {
	seq             uint64
	chunk           int32
	reqEnc, respEnc int32 // index in encs of shared wire fields, or -1
	off, n          int
}

// chunkSize is the size of a recordStore's chunks. A recording of more
// than bigRecording bytes gets an allocation of its own, and the chunk
// being filled stays so: at most an eighth of a chunk is left unused.
const (
	chunkSize    = 1 << 20
	bigRecording = chunkSize / 8
)

// add stores rec, the seq-th exchange: one allocation for a big
// recording or a new chunk, none otherwise.
func (s *recordStore) add(seq uint64, rec *recording) {
	ref := recordRef{seq: seq, reqEnc: s.share(&rec.reqHeaders), respEnc: s.share(&rec.respHeaders)}
	shareReq, shareResp := ref.reqEnc >= 0, ref.respEnc >= 0
	size := packedSize(rec, shareReq, shareResp)
	switch {
	case size > bigRecording:
		s.chunks = append(s.chunks, make([]byte, 0, size))
		ref.chunk = int32(len(s.chunks) - 1)
	case len(s.chunks) == 0 || cap(s.chunks[s.cur])-len(s.chunks[s.cur]) < size:
		s.chunks = append(s.chunks, make([]byte, 0, chunkSize))
		s.cur = len(s.chunks) - 1
		ref.chunk = int32(s.cur)
	default:
		ref.chunk = int32(s.cur)
	}
	c := s.chunks[ref.chunk]
	ref.off, ref.n = len(c), size
	s.chunks[ref.chunk] = pack(c, rec, shareReq, shareResp)
	s.refs = append(s.refs, ref)
}

// share returns the index in encs of h's wire fields when they are shared
// (h.plan: a connection's repeated fields), adding them the first time;
// -1 otherwise. The index is checked against the fields it names (a
// pointer comparison when they are the same string), so that a plan
// stored by another store, or an index gone wrong, costs a copy, never
// another exchange's fields.
func (s *recordStore) share(h *recHeaders) int32 {
	if !h.wire || h.plan == nil {
		return -1
	}
	if id := int(h.plan.encID) - 1; id < 0 || id >= len(s.encs) || s.encs[id] != h.enc {
		s.encs = append(s.encs, h.enc)
		h.plan.encID = int32(len(s.encs))
	}
	return h.plan.encID - 1
}

// recording returns the recording ref locates, sharing nothing with the
// store but shared wire fields (strings, never modified).
func (s *recordStore) recording(ref recordRef) recording {
	shareReq, shareResp := ref.reqEnc >= 0, ref.respEnc >= 0
	u := packed(s.chunks[ref.chunk][ref.off:ref.off+ref.n]).unpack(shareReq, shareResp)
	if shareReq {
		u.reqHeaders.enc = s.encs[ref.reqEnc]
	}
	if shareResp {
		u.respHeaders.enc = s.encs[ref.respEnc]
	}
	return u
}
