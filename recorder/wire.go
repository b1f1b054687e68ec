package recorder

import (
	"bytes"
	"errors"
	"net/http"
	"net/textproto"
	"slices"
	"sort"
	"strconv"
	"strings"

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
// falls back to the parsed http.Header in a fixed order; see fallbackRequest
// and fallbackResponse.

// maxBlock bounds a raw header block, like http.DefaultMaxHeaderBytes.
const maxBlock = 1 << 20

// maxLine bounds a chunk-size or trailer line.
const maxLine = 4096

var errBadBlock = errors.New("malformed header block")

// rawBlock is one header block as it was on the wire.
type rawBlock struct {
	start  string            // request or status line
	fields cassettes.Headers // names in original case, values trimmed of OWS
}

// parseBlock splits a header block (without its terminating empty line) into
// its start line and fields. Obsolete line folding is refused: net/http
// accepts it, but then the raw and parsed views differ and the caller falls
// back.
func parseBlock(b []byte) (rawBlock, error) {
	lines := strings.Split(string(b), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimSuffix(l, "\r")
	}
	if len(lines) > 0 && lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	if len(lines) == 0 || lines[0] == "" {
		return rawBlock{}, errBadBlock
	}
	blk := rawBlock{start: lines[0]}
	for _, l := range lines[1:] {
		if l == "" || l[0] == ' ' || l[0] == '\t' {
			return rawBlock{}, errBadBlock
		}
		name, value, ok := strings.Cut(l, ":")
		if !ok || name == "" {
			return rawBlock{}, errBadBlock
		}
		blk.fields = append(blk.fields, cassettes.Header{Name: name, Value: strings.Trim(value, " \t")})
	}
	return blk, nil
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
}

func (s *requestStream) feed(p []byte) {
	for len(p) > 0 && s.state != stOpaque {
		var err error
		switch s.state {
		case stHeader:
			var block []byte
			var ok bool
			block, p, ok, err = s.blocks.feed(p)
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
	blk, err := parseBlock(b)
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
	if te := blk.fields.Values("Transfer-Encoding"); len(te) > 0 {
		if len(te) != 1 || !strings.EqualFold(strings.TrimSpace(te[0]), "chunked") {
			return errBadBlock
		}
		s.state = stChunkSize
		return nil
	}
	cls := blk.fields.Values("Content-Length")
	if len(cls) == 0 {
		return nil
	}
	for _, cl := range cls[1:] {
		if strings.TrimSpace(cl) != strings.TrimSpace(cls[0]) {
			return errBadBlock
		}
	}
	n, err := strconv.ParseInt(strings.TrimSpace(cls[0]), 10, 64)
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
	s.queue = s.queue[1:]
	return b, true
}

// responseCapture reads the header block of the final response to one
// request on an upstream connection, skipping 1xx interim responses.
type responseCapture struct {
	armed  bool
	blocks blockScanner
	got    *rawBlock
}

func (c *responseCapture) arm() { *c = responseCapture{armed: true} }

func (c *responseCapture) feed(p []byte) {
	for c.armed && len(p) > 0 {
		block, rest, ok, err := c.blocks.feed(p)
		if err != nil {
			c.armed = false
			return
		}
		if !ok {
			return
		}
		p = rest
		blk, err := parseBlock(block)
		if err != nil {
			c.armed = false
			return
		}
		if code := statusCode(blk.start); code >= 100 && code < 200 && code != http.StatusSwitchingProtocols {
			continue
		}
		c.armed, c.got = false, &blk
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
	switch textproto.CanonicalMIMEHeaderKey(name) {
	case "Warning":
		return strings.HasPrefix(value, `199 "martian"`)
	case "Via":
		return strings.Contains(value, "martian")
	}
	return false
}

// stripHopByHop returns h without hop-by-hop lines (fetch.IsHopByHop),
// lines named in Connection, and lines martian adds, keeping order, case and
// duplicates.
func stripHopByHop(h cassettes.Headers) cassettes.Headers {
	var named []string // canonical names listed in Connection
	for _, v := range h.Values("Connection") {
		for tok := range strings.SplitSeq(v, ",") {
			if tok = strings.TrimSpace(tok); tok != "" {
				named = append(named, textproto.CanonicalMIMEHeaderKey(tok))
			}
		}
	}
	out := make(cassettes.Headers, 0, len(h))
	for _, f := range h {
		if fetch.IsHopByHop(f.Name) || len(named) > 0 && slices.Contains(named, textproto.CanonicalMIMEHeaderKey(f.Name)) || isMartian(f.Name, f.Value) {
			continue
		}
		out = append(out, f)
	}
	return out
}

// headerSet is a header list reduced to what net/http keeps: canonical
// names, values per name in order, hop-by-hop lines removed.
func headerSet(h cassettes.Headers, skip ...string) map[string][]string {
	m := map[string][]string{}
	for _, f := range stripHopByHop(h) {
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

// sameHeaders reports whether the raw lines say what net/http parsed into
// parsed. Pragma-only requests are tolerated: net/http adds
// "Cache-Control: no-cache" to them.
func sameHeaders(raw cassettes.Headers, parsed http.Header, skip ...string) bool {
	r := headerSet(raw, skip...)
	p := headerSet(fromHTTPHeader(parsed), skip...)
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

// requestHeaders returns the headers to record for req: the raw block when
// it matches req, otherwise the parsed headers with Host first and the rest
// sorted by canonical name. The result excludes hop-by-hop lines.
func requestHeaders(blk rawBlock, ok bool, req *http.Request) (h cassettes.Headers, fromWire bool) {
	if ok {
		parts := strings.SplitN(blk.start, " ", 3)
		// Host is not compared: for an absolute-form request net/http sets
		// req.Host from the URL and drops the Host line.
		if len(parts) == 3 && parts[0] == req.Method && parts[1] == req.RequestURI &&
			sameHeaders(blk.fields, req.Header, "Host") {
			return stripHopByHop(blk.fields), true
		}
	}
	h = cassettes.Headers{{Name: "Host", Value: req.Host}}
	h = append(h, fromHTTPHeader(req.Header)...)
	return stripHopByHop(h), false
}

// responseHeaders returns the headers to record for res: the raw block when
// it matches res, otherwise the parsed headers sorted by canonical name (the
// order martian writes them to the client).
func responseHeaders(blk *rawBlock, res *http.Response) (h cassettes.Headers, fromWire bool) {
	if blk != nil && statusCode(blk.start) == res.StatusCode && sameHeaders(blk.fields, res.Header) {
		return stripHopByHop(blk.fields), true
	}
	return stripHopByHop(fromHTTPHeader(res.Header)), false
}
