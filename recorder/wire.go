package recorder

import (
	"bytes"
	"encoding/binary"
	"errors"
	"net/http"
	"net/textproto"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/corsvcr/corsvcr/cassettes"
	"github.com/corsvcr/corsvcr/internal/fetch"
)

// This file recovers header order and case from the bytes on the wire.
//
// net/http parses headers into an http.Header map: names are canonicalised
// ("x-token" becomes "X-Token") and the order between different names is
// lost. The recorder therefore also reads the raw header block of every
// message (see clientConn and upstreamConn) and records it, after checking
// that it says exactly what net/http parsed. When the check fails (a parse
// this file does not understand, a desynchronised stream, TLS) the recorder
// falls back to the parsed http.Header in a fixed order; see requestHeaders
// and responseHeaders. Blocks whose fields repeat on a connection are
// parsed once, and their checks planned once (plan.go).

// maxBlock bounds a raw header block, like http.DefaultMaxHeaderBytes.
const maxBlock = 1 << 20

// maxLine bounds a chunk-size or trailer line.
const maxLine = 4096

var errBadBlock = errors.New("malformed header block")

// rawBlock is one header block as it was on the wire, checked by
// parseBlock: after the start line, every line is "name:value" with a
// non-empty name, and none continues the one before (obsolete folding).
// Its fields are kept encoded (writeField): reading them back
// (nextField) needs no search, and following a stream or checking a block
// allocates nothing but that one copy of its bytes.
type rawBlock struct {
	start string // request or status line
	enc   string // the fields in wire order, encoded (writeField)
	// may: which names the block may have (the may* bits), so that the
	// passes that look for them are skipped when it cannot.
	may uint8
	// plan: what the checks need of the fields, when the block's fields
	// were its connection's last block's too (blockMemo); nil otherwise.
	plan *fieldPlan
}

const (
	mayConnection = 1 << iota // a Connection line, which names hop-by-hop fields
	mayFraming                // a Content-Length or Transfer-Encoding line
	mayOddName                // a name that is not a token (validName)
)

// mayBits returns the may* bits for a field name. It never misses a name
// the passes match with strings.EqualFold, which also folds the two-byte
// "ſ" to "s" (of the names asked for, only Transfer-Encoding has an s or
// a k).
func mayBits(name []byte) uint8 {
	switch len(name) {
	case len("Connection"):
		if asciiEqualFold(name, "connection") {
			return mayConnection
		}
	case len("Content-Length"):
		if asciiEqualFold(name, "content-length") {
			return mayFraming
		}
	case len("Transfer-Encoding"), len("Transfer-Encoding") + 1:
		if name[0]|0x20 == 't' {
			return mayFraming
		}
	}
	return 0
}

// asciiEqualFold reports whether b equals the lower-case s, ASCII
// case-insensitively.
func asciiEqualFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range len(b) {
		if lower(b[i]) != s[i] {
			return false
		}
	}
	return true
}

// writeField writes a field's encoding to w: the length of its name
// (uvarint), the name, the length of its value (uvarint), the value.
func writeField(w *strings.Builder, name, value []byte) {
	var n [2 * binary.MaxVarintLen64]byte
	w.Write(binary.AppendUvarint(n[:0], uint64(len(name))))
	w.Write(name)
	w.Write(binary.AppendUvarint(n[:0], uint64(len(value))))
	w.Write(value)
}

// nextField returns the first field of enc, an encoding of fields
// (writeField), and the fields after it; ok is false when there is none.
func nextField(enc string) (f cassettes.Header, rest string, ok bool) {
	if enc == "" {
		return cassettes.Header{}, "", false
	}
	n, i := uvarint(enc)
	f.Name, enc = enc[i:i+n], enc[i+n:]
	n, i = uvarint(enc)
	f.Value, rest = enc[i:i+n], enc[i+n:]
	return f, rest, true
}

// uvarint decodes the uvarint at the start of s: its value and length.
func uvarint(s string) (v, n int) {
	if s[0] < 0x80 {
		return int(s[0]), 1
	}
	u, n := binary.Uvarint([]byte(s[:min(len(s), binary.MaxVarintLen64)]))
	return int(u), n
}

// fields returns the fields of b in wire order: names in their original
// case, values trimmed of OWS.
func (b rawBlock) fields() cassettes.Headers { return decodeFields(nil, b.enc) }

// decodeFields appends the fields of enc (writeField) to dst.
func decodeFields(dst cassettes.Headers, enc string) cassettes.Headers {
	for f, rest, ok := nextField(enc); ok; f, rest, ok = nextField(rest) {
		dst = append(dst, f)
	}
	return dst
}

// trimOWS trims spaces and tabs from both ends of b.
func trimOWS(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t') {
		b = b[:len(b)-1]
	}
	return b
}

// parseBlock checks a header block (without its terminating empty line)
// and returns a copy of it: its start line and its fields, encoded.
// Obsolete line folding is refused: net/http accepts it, but then the raw
// and parsed views differ and the caller falls back.
func parseBlock(b []byte) (rawBlock, error) {
	i := bytes.IndexByte(b, '\n')
	if i < 0 {
		i = len(b)
	}
	start := bytes.TrimSuffix(b[:i], []byte("\r"))
	if len(start) == 0 {
		return rawBlock{}, errBadBlock
	}
	// Written straight into the string kept (one allocation; a buffer on
	// the stack would grow the stacks of the connections' goroutines).
	var enc strings.Builder
	enc.Grow(len(b)) // the encoding is rarely longer than the lines
	enc.Write(start)
	var may uint8
	for rest := b[min(i+1, len(b)):]; len(rest) > 0; {
		line, more := rest, false
		if j := bytes.IndexByte(rest, '\n'); j >= 0 {
			line, rest, more = rest[:j], rest[j+1:], true
		} else {
			rest = nil
		}
		line = bytes.TrimSuffix(line, []byte("\r"))
		if len(line) == 0 {
			if !more {
				break // an unterminated empty last line ends the block
			}
			return rawBlock{}, errBadBlock
		}
		colon := bytes.IndexByte(line, ':')
		if line[0] == ' ' || line[0] == '\t' || colon <= 0 {
			return rawBlock{}, errBadBlock
		}
		name := line[:colon]
		may |= mayBits(name)
		if !validNameBytes(name) {
			may |= mayOddName
		}
		writeField(&enc, name, trimOWS(line[colon+1:]))
	}
	s := enc.String()
	return rawBlock{start: s[:len(start)], enc: s[len(start):], may: may}, nil
}

// blockScanner accumulates bytes until an empty line ends a header block.
type blockScanner struct {
	buf       []byte
	pos       int // bytes of buf already searched for '\n'
	lineStart int // start of the current line in buf
}

// feed appends p. When a block is complete it returns the block (without the
// empty line), the bytes after it, and true. Empty lines before a block are
// skipped, as RFC 9112 section 2.2 allows.
func (s *blockScanner) feed(p []byte) (block, rest []byte, ok bool, err error) {
	if len(s.buf) == 0 {
		// The usual case: the whole block arrived in one read; it is
		// returned without a copy. The caller (parseBlock) copies what it
		// keeps.
		if block, rest, ok := completeBlock(p); ok {
			return block, rest, true, nil
		}
	}
	s.buf = append(s.buf, p...)
	for {
		i := bytes.IndexByte(s.buf[s.pos:], '\n')
		if i < 0 {
			s.pos = len(s.buf)
			if len(s.buf) > maxBlock {
				return nil, nil, false, errBadBlock
			}
			return nil, nil, false, nil
		}
		nl := s.pos + i
		s.pos = nl + 1
		line := bytes.TrimSuffix(s.buf[s.lineStart:nl], []byte("\r"))
		if len(line) > 0 {
			s.lineStart = nl + 1
			continue
		}
		if s.lineStart == 0 {
			s.buf = s.buf[nl+1:]
			s.pos = 0
			continue
		}
		block, rest = s.buf[:s.lineStart], s.buf[nl+1:]
		*s = blockScanner{}
		return block, rest, true, nil
	}
}

// completeBlock returns the header block at the start of p (without its
// empty line) and the bytes after it when p holds all of it, as feed on an
// empty scanner would; ok is false otherwise, also when p starts with
// empty lines (feed skips those).
func completeBlock(p []byte) (block, rest []byte, ok bool) {
	if len(p) == 0 || p[0] == '\n' || p[0] == '\r' {
		return nil, nil, false
	}
	lineStart := 0
	for pos := 0; ; {
		i := bytes.IndexByte(p[pos:], '\n')
		if i < 0 {
			return nil, nil, false
		}
		nl := pos + i
		pos = nl + 1
		if len(bytes.TrimSuffix(p[lineStart:nl], []byte("\r"))) > 0 {
			lineStart = nl + 1
			continue
		}
		return p[:lineStart], p[nl+1:], true
	}
}

// lineScanner accumulates bytes up to and including '\n'.
type lineScanner struct{ buf []byte }

func (s *lineScanner) feed(p []byte) (line, rest []byte, ok bool, err error) {
	i := bytes.IndexByte(p, '\n')
	if i < 0 {
		s.buf = append(s.buf, p...)
		if len(s.buf) > maxLine {
			return nil, nil, false, errBadBlock
		}
		return nil, nil, false, nil
	}
	line = append(s.buf, p[:i]...)
	s.buf = nil
	return bytes.TrimSuffix(line, []byte("\r")), p[i+1:], true, nil
}

type reqState int

const (
	stHeader reqState = iota
	stBody
	stChunkSize
	stChunkData
	stChunkEnd
	stTrailer
	stOpaque
)

// requestStream follows the HTTP/1.1 requests a client sends on one
// connection, including pipelined ones, and queues their raw header blocks.
// It frames bodies itself (Content-Length, chunked), since a body may contain
// anything. Once it cannot follow the stream (a malformed message, or a
// CONNECT that turns the connection into a tunnel) it stops for good and
// every later request on the connection falls back to the parsed headers.
type requestStream struct {
	tunnelConnect bool // CONNECT turns the stream opaque (MITM)
	state         reqState
	remaining     int64
	blocks        blockScanner
	line          lineScanner
	queue         []rawBlock
	memo          blockMemo // the last block's fields
}

func (s *requestStream) feed(p []byte) {
	for len(p) > 0 && s.state != stOpaque {
		var err error
		switch s.state {
		case stHeader:
			block, rest, ok := s.memo.complete(p, &s.blocks)
			if !ok {
				block, rest, ok, err = s.blocks.feed(p)
			}
			p = rest
			if err == nil && ok {
				err = s.onBlock(block)
			}
		case stBody, stChunkData:
			n := int64(len(p))
			if n > s.remaining {
				n = s.remaining
			}
			s.remaining -= n
			p = p[n:]
			if s.remaining == 0 {
				if s.state == stBody {
					s.state = stHeader
				} else {
					s.state = stChunkEnd
				}
			}
		case stChunkSize, stChunkEnd, stTrailer:
			var line []byte
			var ok bool
			line, p, ok, err = s.line.feed(p)
			if err == nil && ok {
				err = s.onLine(line)
			}
		}
		if err != nil {
			s.state = stOpaque
		}
	}
}

func (s *requestStream) onBlock(b []byte) error {
	blk, err := s.memo.parse(b, requestSkip)
	if err != nil {
		return err
	}
	s.queue = append(s.queue, blk)
	method, _, _ := strings.Cut(blk.start, " ")
	if method == http.MethodConnect {
		if s.tunnelConnect {
			return errors.New("tunnel")
		}
		return nil
	}
	if blk.may&mayFraming == 0 {
		return nil // no body
	}
	// The body's framing, as net/http reads it: one Transfer-Encoding,
	// chunked, or Content-Length lines that agree.
	var te, cl string
	nte, ncl := 0, 0
	for f, rest, ok := nextField(blk.enc); ok; f, rest, ok = nextField(rest) {
		switch {
		case strings.EqualFold(f.Name, "Transfer-Encoding"):
			te, nte = f.Value, nte+1
		case strings.EqualFold(f.Name, "Content-Length"):
			if ncl > 0 && strings.TrimSpace(f.Value) != strings.TrimSpace(cl) {
				return errBadBlock
			}
			if ncl == 0 {
				cl = f.Value
			}
			ncl++
		}
	}
	if nte > 0 {
		if nte != 1 || !strings.EqualFold(strings.TrimSpace(te), "chunked") {
			return errBadBlock
		}
		s.state = stChunkSize
		return nil
	}
	if ncl == 0 {
		return nil
	}
	n, err := strconv.ParseInt(strings.TrimSpace(cl), 10, 64)
	if err != nil || n < 0 {
		return errBadBlock
	}
	if n > 0 {
		s.state, s.remaining = stBody, n
	}
	return nil
}

func (s *requestStream) onLine(line []byte) error {
	switch s.state {
	case stChunkSize:
		size, _, _ := strings.Cut(string(line), ";")
		n, err := strconv.ParseInt(strings.TrimSpace(size), 16, 64)
		if err != nil || n < 0 {
			return errBadBlock
		}
		if n == 0 {
			s.state = stTrailer
		} else {
			s.state, s.remaining = stChunkData, n
		}
	case stChunkEnd:
		if len(line) != 0 {
			return errBadBlock
		}
		s.state = stChunkSize
	case stTrailer:
		if len(line) == 0 {
			s.state = stHeader
		}
	}
	return nil
}

// pop removes and returns the oldest queued block.
func (s *requestStream) pop() (rawBlock, bool) {
	if len(s.queue) == 0 {
		return rawBlock{}, false
	}
	b := s.queue[0]
	s.queue = append(s.queue[:0], s.queue[1:]...) // usually none: the array is kept
	return b, true
}

// responseCapture reads the header block of the final response to one
// request on an upstream connection, skipping 1xx interim responses.
type responseCapture struct {
	armed  bool
	blocks blockScanner
	got    rawBlock // the final response's block, once done
	done   bool
	memo   blockMemo // the last block's fields, kept from one response to the next
}

func (c *responseCapture) arm() { *c = responseCapture{armed: true, memo: c.memo} }

func (c *responseCapture) feed(p []byte) {
	for c.armed && len(p) > 0 {
		block, rest, ok := c.memo.complete(p, &c.blocks)
		var err error
		if !ok {
			block, rest, ok, err = c.blocks.feed(p)
		}
		if err != nil {
			c.armed = false
			return
		}
		if !ok {
			return
		}
		p = rest
		blk, err := c.memo.parse(block, nil)
		if err != nil {
			c.armed = false
			return
		}
		if code := statusCode(blk.start); code >= 100 && code < 200 && code != http.StatusSwitchingProtocols {
			continue
		}
		c.armed, c.got, c.done = false, blk, true
	}
}

// statusCode returns the code of a status line, or 0.
func statusCode(start string) int {
	_, rest, _ := strings.Cut(start, " ")
	code, _, _ := strings.Cut(rest, " ")
	n, err := strconv.Atoi(code)
	if err != nil || len(code) != 3 {
		return 0
	}
	return n
}

// isMartian reports whether a header line is one martian adds to traffic:
// errors it writes into Warning, or a Via naming it.
func isMartian(name, value string) bool {
	switch {
	case len(name) == len("Warning") && sameName(name, "Warning"): // the length first: no call
		return strings.HasPrefix(value, `199 "martian"`)
	case len(name) == len("Via") && sameName(name, "Via"):
		return strings.Contains(value, "martian")
	}
	return false
}

// stripHopByHop returns h without hop-by-hop lines (fetch.IsHopByHop),
// lines named in Connection, lines martian adds and lines whose name is not
// a token, keeping order, case and duplicates. The result is a new slice;
// it is idempotent.
func stripHopByHop(h cassettes.Headers) cassettes.Headers {
	var buf [8]string
	named := connectionTokens(buf[:0], h)
	dst := make(cassettes.Headers, 0, len(h))
	for _, f := range h {
		if !dropLine(f, named) {
			dst = append(dst, f)
		}
	}
	return dst
}

// keptFields appends to dst the fields of enc, a rawBlock's encoded
// fields, that stripHopByHop keeps; may is the block's may bits (all bits
// when not known).
func keptFields(dst cassettes.Headers, enc string, may uint8) cassettes.Headers {
	var buf [8]string
	named := buf[:0]
	if may&mayConnection != 0 {
		named = encTokens(named, enc)
	}
	checkNames := may&mayOddName != 0
	for f, rest, ok := nextField(enc); ok; f, rest, ok = nextField(rest) {
		if !dropField(f, named, checkNames) {
			dst = append(dst, f)
		}
	}
	return dst
}

// dropHopByHop deletes from h, in one pass, the hop-by-hop fields
// (fetch.IsHopByHop) and the fields h's Connection lines name: what a proxy
// never forwards (RFC 9110 section 7.6.1); and, in the same pass, names
// that are not tokens, which net/http would not send on (forwardedHeader).
// martian's header.NewHopByHopModifier drops the hop-by-hop ones with a
// list of its own and a Header.Del per name.
func dropHopByHop(h http.Header) {
	var buf, oddBuf [8]string
	named, odd := buf[:0], oddBuf[:0]
	for _, v := range h["Connection"] {
		named = appendTokens(named, v)
	}
	for k, vs := range h {
		if k != "Connection" && sameName(k, "Connection") {
			// A key net/http would have canonicalised (a header built
			// by hand): its tokens count too.
			for _, v := range vs {
				odd = appendTokens(odd, v)
			}
		}
		if fetch.IsHopByHop(k) || containsName(named, k) || k == "" || !validName(k) {
			delete(h, k)
		}
	}
	if len(odd) > 0 {
		for k := range h {
			if containsName(odd, k) {
				delete(h, k)
			}
		}
	}
}

// dropWireHopByHop is dropHopByHop for a header net/http parsed from blk,
// a block whose names are all tokens (no mayOddName): its keys are then
// the canonical forms of blk's names. (textproto keeps a name with a space
// before the colon as it is, go.dev/issue/34540.) Instead of a pass over
// every key, it deletes the keys of blk's hop-by-hop names and of the
// names its Connection lines list: usually none. A caller that cannot be
// sure blk is what net/http parsed checks it (matchParsed, which a
// hop-by-hop field left in h fails) and falls back to undoWireDrop with the
// Connection values it returns.
func dropWireHopByHop(blk *rawBlock, h http.Header) (connection []string) {
	connection = h["Connection"]
	drop := []string(nil)
	if blk.plan != nil {
		drop = blk.plan.drop // worked out once: appendWireDrop
	} else {
		var buf [4]string
		drop = appendWireDrop(buf[:0], blk.enc, blk.may)
	}
	for _, k := range drop {
		delete(h, k)
	}
	return connection
}

// appendWireDrop appends to dst the keys dropWireHopByHop deletes for the
// fields enc encodes (a rawBlock's, with its may bits, no mayOddName):
// the canonical forms of its hop-by-hop names and of the names its
// Connection lines list.
func appendWireDrop(dst []string, enc string, may uint8) []string {
	for f, rest, ok := nextField(enc); ok; f, rest, ok = nextField(rest) {
		if fetch.IsHopByHop(f.Name) {
			dst = append(dst, textproto.CanonicalMIMEHeaderKey(f.Name))
		}
	}
	if may&mayConnection == 0 {
		return dst
	}
	var buf [8]string
	for _, tok := range encTokens(buf[:0], enc) {
		if validName(tok) {
			dst = append(dst, textproto.CanonicalMIMEHeaderKey(tok))
		}
	}
	return dst
}

// undoWireDrop is the fallback of a drop by a block's names
// (dropWireHopByHop) that the check showed wrong: it gives h back the
// Connection values the drop returned, so that dropHopByHop, which it then
// runs, sees the names they list.
func undoWireDrop(h http.Header, connection []string) {
	if connection != nil {
		h["Connection"] = connection
	}
	dropHopByHop(h)
}

// forwardedHeader makes h, an origin's response header as net/http parsed
// it, what the client is sent: the fields the origin sent, less hop-by-hop
// ones. raw is the response's raw header block, nil when it could not be
// read; without it, only what h itself shows is undone. net/http's reader
// deletes a Connection header that says "close", and with it the names its
// other tokens make hop-by-hop (RFC 9110 section 7.6.1): those are taken
// from raw. It adds "Cache-Control: no-cache" to a response with
// "Pragma: no-cache" and no Cache-Control: raw shows the origin sent none,
// and a script could read it (a CORS-safelisted response header). And it
// keeps names that are not tokens, which net/http then does not send on:
// dropped here (and from recordings, by dropLine), they are neither served
// live nor recorded, so that the replay serves what the client got and a
// cassette saves. checked: the caller checks raw against h afterwards
// (responseHeaders) and, if it does not match, calls undoWireDrop with the
// Connection values forwardedHeader returns; so the hop-by-hop fields may be
// dropped by raw's names (dropWireHopByHop).
func forwardedHeader(raw *rawBlock, h http.Header, checked bool) (connection []string) {
	if raw == nil {
		dropHopByHop(h)
		return nil
	}
	if checked && raw.may&mayOddName == 0 {
		// raw's names and Connection tokens, those net/http deleted
		// included.
		connection = dropWireHopByHop(raw, h)
		undoPragma(raw.enc, h)
		return connection
	}
	dropHopByHop(h)
	var buf [8]string
	named := buf[:0]
	if raw.may&mayConnection != 0 {
		named = encTokens(named, raw.enc)
	}
	for _, n := range named {
		if validName(n) {
			n = textproto.CanonicalMIMEHeaderKey(n)
		}
		delete(h, n)
	}
	undoPragma(raw.enc, h)
	return nil
}

// undoPragma deletes from h, a header net/http parsed from the fields enc
// encodes (a rawBlock's), the "Cache-Control: no-cache" net/http adds to a
// message with "Pragma: no-cache" and no Cache-Control: the origin gets,
// and the client reads, what the other side sent.
func undoPragma(enc string, h http.Header) {
	if cc := h["Cache-Control"]; len(cc) == 1 && cc[0] == "no-cache" && len(h["Pragma"]) > 0 && !hasField(enc, "Cache-Control") {
		delete(h, "Cache-Control")
	}
}

// hasField reports whether enc, a rawBlock's encoded fields, has a field
// named name (sameName).
func hasField(enc, name string) bool {
	for f, rest, ok := nextField(enc); ok; f, rest, ok = nextField(rest) {
		if sameName(f.Name, name) {
			return true
		}
	}
	return false
}

// containsName reports whether names holds name (sameName).
func containsName(names []string, name string) bool {
	for _, n := range names {
		if sameName(n, name) {
			return true
		}
	}
	return false
}

// connectionTokens appends to dst the tokens listed in h's Connection lines.
func connectionTokens(dst []string, h cassettes.Headers) []string {
	for _, f := range h {
		if strings.EqualFold(f.Name, "Connection") {
			dst = appendTokens(dst, f.Value)
		}
	}
	return dst
}

// encTokens is connectionTokens for a rawBlock's encoded fields.
func encTokens(dst []string, enc string) []string {
	for f, rest, ok := nextField(enc); ok; f, rest, ok = nextField(rest) {
		if strings.EqualFold(f.Name, "Connection") {
			dst = appendTokens(dst, f.Value)
		}
	}
	return dst
}

// appendTokens appends the non-empty comma-separated tokens of v to dst.
func appendTokens(dst []string, v string) []string {
	for tok := range strings.SplitSeq(v, ",") {
		if tok = strings.TrimSpace(tok); tok != "" {
			dst = append(dst, tok)
		}
	}
	return dst
}

// dropLine reports whether stripHopByHop drops f, given the tokens of the
// block's Connection lines: a hop-by-hop line, one martian added, or one
// whose name is not a token (net/http does not send it on, and a cassette
// could not hold it).
func dropLine(f cassettes.Header, named []string) bool { return dropField(f, named, true) }

// dropField is dropLine, checking that the name is a token only when
// checkName is set (a rawBlock whose may bits say every name is one need
// not).
func dropField(f cassettes.Header, named []string, checkName bool) bool {
	return f.Name == "" || checkName && !validName(f.Name) || fetch.IsHopByHop(f.Name) || isMartian(f.Name, f.Value) ||
		len(named) > 0 && containsName(named, f.Name)
}

// sameName reports whether a and b are the same header name as net/http
// sees them, textproto.CanonicalMIMEHeaderKey(a) ==
// textproto.CanonicalMIMEHeaderKey(b), without allocating: names made of
// token bytes compare case-insensitively (ASCII), others exactly (net/http
// leaves them as they are).
func sameName(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	if a == b {
		return true
	}
	for i := 0; i < len(a); i++ {
		if lower(a[i]) != lower(b[i]) {
			return false
		}
	}
	// Equal but for case: the same name only if net/http canonicalises
	// both.
	return validName(a) && validName(b)
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// validNameBytes is validName for a name in bytes.
func validNameBytes(b []byte) bool {
	for _, c := range b {
		if !fetch.IsTokenChar(c) {
			return false
		}
	}
	return true
}

// validName reports whether every byte of s is a token byte (RFC 9110
// section 5.6.2), the bytes textproto canonicalises.
func validName(s string) bool {
	for i := 0; i < len(s); i++ {
		if !fetch.IsTokenChar(s[i]) {
			return false
		}
	}
	return true
}

// headerSet is a header list reduced to what net/http keeps: canonical
// names, values per name in order, hop-by-hop lines removed. It is the
// reference for matchParsed, used when matchParsed has no fast answer.
func headerSet(h cassettes.Headers, skip ...string) map[string][]string {
	return setOf(stripHopByHop(h), skip)
}

// parsedSet is headerSet for a parsed header whose hop-by-hop fields have
// been dropped already: only the lines martian adds are left out, so that
// a hop-by-hop field still in it (a drop by names of a block that was not
// this message's, dropWireHopByHop) is a difference.
func parsedSet(parsed http.Header, skip ...string) map[string][]string {
	h := fromHTTPHeader(parsed)
	kept := h[:0]
	for _, f := range h {
		if !isMartian(f.Name, f.Value) {
			kept = append(kept, f)
		}
	}
	return setOf(kept, skip)
}

func setOf(h cassettes.Headers, skip []string) map[string][]string {
	m := map[string][]string{}
	for _, f := range h {
		k := textproto.CanonicalMIMEHeaderKey(f.Name)
		if !slices.Contains(skip, k) {
			m[k] = append(m[k], f.Value)
		}
	}
	// net/http collapses repeated identical Content-Length lines.
	if cl := m["Content-Length"]; len(cl) > 1 {
		m["Content-Length"] = cl[:1]
	}
	return m
}

// sameHeadersSlow is sameHeaders by way of headerSet and parsedSet: two
// maps of canonical names. matchParsed falls back to it, and tests compare
// the two.
func sameHeadersSlow(raw cassettes.Headers, parsed http.Header, skip ...string) bool {
	r := headerSet(raw, skip...)
	p := parsedSet(parsed, skip...)
	if _, ok := r["Cache-Control"]; !ok && slices.Equal(p["Cache-Control"], []string{"no-cache"}) {
		delete(p, "Cache-Control")
	}
	if len(r) != len(p) {
		return false
	}
	for k, vs := range r {
		if !slices.Equal(vs, p[k]) {
			return false
		}
	}
	return true
}

// matchParsed is sameHeaders for raw lines already stripped
// (stripHopByHop) and a parsed header whose hop-by-hop fields are already
// dropped (dropHopByHop, dropWireHopByHop), as they are on the proxy's
// path; it runs on every recorded exchange, so it builds no map and copies
// nothing. The names in
// skip are canonical. Each raw line must be the next value of its name in
// parsed, each name must have as many values as lines, and parsed must
// have no name the lines lack. When that does not hold, or parsed has a
// Warning or Via (from whose values martian's own lines are filtered one by
// one), it defers to sameHeadersSlow, the reference: a name net/http left
// in a form this lookup does not produce then still compares right.
func matchParsed(kept cassettes.Headers, parsed http.Header, skip ...string) bool {
	if len(kept) > maxFastLines || len(parsed["Warning"]) > 0 || len(parsed["Via"]) > 0 || !matchFast(kept, parsed, skip) {
		return sameHeadersSlow(kept, parsed, skip...)
	}
	return true
}

// maxFastLines bounds the blocks matchFast checks: its work grows with the
// square of the lines (it compares each with the others of its name), the
// map-based check's linearly.
const maxFastLines = 64

// matchFast is matchParsed's one pass; false means "not shown equal".
func matchFast(kept cassettes.Headers, parsed http.Header, skip []string) bool {
	names := 0 // distinct names of the lines, as parsed keys
	hasCacheControl := false
	for i, f := range kept {
		if containsName(skip, f.Name) {
			continue
		}
		occ := 0 // earlier lines of the same name
		for _, g := range kept[:i] {
			if len(g.Name) == len(f.Name) && sameName(g.Name, f.Name) { // the length first: no call
				occ++
			}
		}
		vs := parsedValues(parsed, f.Name)
		if len(vs) == 0 {
			return false
		}
		cl := len(f.Name) == len("Content-Length") && sameName(f.Name, "Content-Length")
		if occ == 0 {
			names++
			hasCacheControl = hasCacheControl || len(f.Name) == len("Cache-Control") && sameName(f.Name, "Cache-Control")
			n := 1
			for _, g := range kept[i+1:] {
				if len(g.Name) == len(f.Name) && sameName(g.Name, f.Name) {
					n++
				}
			}
			// net/http keeps one of repeated Content-Length lines.
			if cl && vs[0] != f.Value || !cl && n != len(vs) {
				return false
			}
		}
		if !cl && (occ >= len(vs) || vs[occ] != f.Value) {
			return false
		}
	}
	extra := len(parsed) - names
	for _, k := range skip {
		if _, ok := parsed[k]; ok {
			extra--
		}
	}
	if cc := parsed["Cache-Control"]; extra == 1 && !hasCacheControl && len(cc) == 1 && cc[0] == "no-cache" {
		extra = 0 // net/http adds it to a request with "Pragma: no-cache"
	}
	return extra == 0
}

// parsedValues returns the values parsed holds under name as net/http keys
// it (textproto.CanonicalMIMEHeaderKey), without allocating.
func parsedValues(parsed http.Header, name string) []string {
	// A name found as it is is the key itself: most names are already
	// in canonical form, and a lookup costs less than canonicalising.
	if vs, ok := parsed[name]; ok {
		return vs
	}
	if len(name) > 64 {
		return parsed[textproto.CanonicalMIMEHeaderKey(name)]
	}
	var buf [64]byte
	b := buf[:len(name)]
	upper, changed := true, false
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !fetch.IsTokenChar(c) {
			return parsed[name] // net/http keeps such a name as it is
		}
		if upper && 'a' <= c && c <= 'z' {
			c -= 'a' - 'A'
			changed = true
		} else if !upper && 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
			changed = true
		}
		b[i] = c
		upper = c == '-'
	}
	if !changed {
		return parsed[name]
	}
	return parsed[string(b)]
}

// fromHTTPHeader lists h with names sorted, the order in which net/http
// (and so martian) writes headers; values keep their order.
func fromHTTPHeader(h http.Header) cassettes.Headers {
	names := make([]string, 0, len(h))
	for k := range h {
		names = append(names, k)
	}
	sort.Strings(names)
	var out cassettes.Headers
	for _, k := range names {
		for _, v := range h[k] {
			out = append(out, cassettes.Header{Name: k, Value: v})
		}
	}
	return out
}

// isBlockOf reports whether blk's request line names req's method and
// request target: the block is req's, not one of a stream followed wrong.
func isBlockOf(blk rawBlock, req *http.Request) bool {
	method, rest, ok1 := strings.Cut(blk.start, " ")
	target, _, ok2 := strings.Cut(rest, " ")
	return ok1 && ok2 && method == req.Method && target == req.RequestURI
}

// keptPool holds the lists the checks of requestHeaders and responseHeaders
// build (keptFields) and drop; an array on the stack would grow the
// stacks of the connections' goroutines.
var keptPool = sync.Pool{New: func() any { return new(cassettes.Headers) }}

// putKept returns a list to keptPool, unless it grew large.
func putKept(h *cassettes.Headers) {
	if cap(*h) <= maxFastLines {
		clear((*h)[:cap(*h)]) // no strings kept alive
		*h = (*h)[:0]
		keptPool.Put(h)
	}
}

// requestHeaders returns the header fields to record for req: the raw
// block's when ok (it is req's: isBlockOf) and its lines say what net/http
// parsed, otherwise the parsed headers with Host first and the rest sorted
// by canonical name. Hop-by-hop lines are left out (from raw lines, when
// the recording is unpacked). req.Header must have had its hop-by-hop
// fields dropped (dropHopByHop, dropWireHopByHop).
func requestHeaders(blk rawBlock, ok bool, req *http.Request) recHeaders {
	// Host is not compared: for an absolute-form request net/http sets
	// req.Host from the URL and drops the Host line.
	if ok {
		if blk.plan != nil && blk.plan.check && matchPlan(blk.plan, req.Header) {
			return recHeaders{wire: true, enc: blk.enc, plan: blk.plan}
		}
		kept := keptPool.Get().(*cassettes.Headers)
		defer putKept(kept)
		if *kept = keptFields((*kept)[:0], blk.enc, blk.may); matchParsed(*kept, req.Header, requestSkip...) {
			return recHeaders{wire: true, enc: blk.enc, plan: blk.plan}
		}
	}
	h := cassettes.Headers{{Name: "Host", Value: req.Host}}
	h = append(h, fromHTTPHeader(req.Header)...)
	return recHeaders{list: stripHopByHop(h)}
}

// responseHeaders returns the header fields to record for res: the raw
// block's when it matches res, otherwise the parsed headers sorted by
// canonical name (the order martian writes them to the client).
// res.Header must have had its hop-by-hop fields dropped (dropHopByHop,
// dropWireHopByHop).
func responseHeaders(blk *rawBlock, res *http.Response) recHeaders {
	if blk != nil && statusCode(blk.start) == res.StatusCode {
		if blk.plan != nil && blk.plan.check && matchPlan(blk.plan, res.Header) {
			return recHeaders{wire: true, enc: blk.enc, plan: blk.plan}
		}
		kept := keptPool.Get().(*cassettes.Headers)
		defer putKept(kept)
		if *kept = keptFields((*kept)[:0], blk.enc, blk.may); matchParsed(*kept, res.Header) {
			return recHeaders{wire: true, enc: blk.enc, plan: blk.plan}
		}
	}
	return recHeaders{list: stripHopByHop(fromHTTPHeader(res.Header))}
}
