package recorder

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"net/textproto"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/corsvcr/corsvcr/cassettes"
	"github.com/corsvcr/corsvcr/internal/fetch"
)

// The reference implementations below are the header code as it was before
// it was made to run without maps and with fewer copies; the fuzz tests
// require the fast code to agree with them on every input.

func refParseBlock(b []byte) (start string, fields cassettes.Headers, err error) {
	lines := strings.Split(string(b), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimSuffix(l, "\r")
	}
	if len(lines) > 0 && lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	if len(lines) == 0 || lines[0] == "" {
		return "", nil, errBadBlock
	}
	for _, l := range lines[1:] {
		if l == "" || l[0] == ' ' || l[0] == '\t' {
			return "", nil, errBadBlock
		}
		name, value, ok := strings.Cut(l, ":")
		if !ok || name == "" {
			return "", nil, errBadBlock
		}
		fields = append(fields, cassettes.Header{Name: name, Value: strings.Trim(value, " \t")})
	}
	return lines[0], fields, nil
}

func refIsMartian(name, value string) bool {
	switch textproto.CanonicalMIMEHeaderKey(name) {
	case "Warning":
		return strings.HasPrefix(value, `199 "martian"`)
	case "Via":
		return strings.Contains(value, "martian")
	}
	return false
}

// refToken matches a token (RFC 9110 section 5.6.2), what a field name is.
var refToken = regexp.MustCompile("^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")

func refStripHopByHop(h cassettes.Headers) cassettes.Headers {
	var named []string
	for _, v := range h.Values("Connection") {
		for tok := range strings.SplitSeq(v, ",") {
			if tok = strings.TrimSpace(tok); tok != "" {
				named = append(named, textproto.CanonicalMIMEHeaderKey(tok))
			}
		}
	}
	out := make(cassettes.Headers, 0, len(h))
	for _, f := range h {
		if !refToken.MatchString(f.Name) || fetch.IsHopByHop(f.Name) || len(named) > 0 && slices.Contains(named, textproto.CanonicalMIMEHeaderKey(f.Name)) || refIsMartian(f.Name, f.Value) {
			continue
		}
		out = append(out, f)
	}
	return out
}

func refHeaderSet(h cassettes.Headers, skip ...string) map[string][]string {
	m := map[string][]string{}
	for _, f := range refStripHopByHop(h) {
		k := textproto.CanonicalMIMEHeaderKey(f.Name)
		if !slices.Contains(skip, k) {
			m[k] = append(m[k], f.Value)
		}
	}
	if cl := m["Content-Length"]; len(cl) > 1 {
		m["Content-Length"] = cl[:1]
	}
	return m
}

func refSameHeaders(raw cassettes.Headers, parsed http.Header, skip ...string) bool {
	r := refHeaderSet(raw, skip...)
	p := refHeaderSet(fromHTTPHeader(parsed), skip...)
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

// fuzzHeaders reads "name:value" lines; with canonical set, parsed keys are
// canonicalised as net/http does, else kept as written.
func fuzzHeaders(s string, canonical bool) (cassettes.Headers, http.Header) {
	var raw cassettes.Headers
	parsed := http.Header{}
	for l := range strings.SplitSeq(s, "\n") {
		name, value, _ := strings.Cut(l, ":")
		raw = append(raw, cassettes.Header{Name: name, Value: value})
		if canonical {
			name = textproto.CanonicalMIMEHeaderKey(name)
		}
		parsed[name] = append(parsed[name], value)
	}
	return raw, parsed
}

// checkWireHopByHop requires dropWireHopByHop to drop what dropHopByHop
// drops from the header net/http parses from the lines of text, when the
// block they make has only token names (the blocks it is used on).
func checkWireHopByHop(t *testing.T, text string) {
	head := "GET / HTTP/1.1\r\nHost: h\r\n" + strings.ReplaceAll(text, "\n", "\r\n") + "\r\n"
	req, err := http.ReadRequest(bufio.NewReader(strings.NewReader(head + "\r\n")))
	if err != nil {
		return
	}
	blk, err := parseBlock([]byte(head))
	if err != nil || blk.may&mayOddName != 0 {
		return
	}
	want := req.Header.Clone()
	dropHopByHop(want)
	for _, plan := range []*fieldPlan{nil, newFieldPlan(blk.enc, blk.may, requestSkip)} {
		blk.plan = plan
		got := req.Header.Clone()
		dropWireHopByHop(&blk, got)
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("dropWireHopByHop(%q), plan %v: %q, dropHopByHop %q", head, plan != nil, got, want)
		}
	}
}

// encodeFields encodes h as parseBlock encodes a block's fields, with its
// may bits, values as they are.
func encodeFields(h cassettes.Headers) (enc string, may uint8) {
	var w strings.Builder
	for _, f := range h {
		writeField(&w, []byte(f.Name), []byte(f.Value))
		may |= mayBits([]byte(f.Name))
		if !validName(f.Name) {
			may |= mayOddName
		}
	}
	return w.String(), may
}

// checkPlan requires matchPlan, the check of a block seen before, never to
// show equal what the reference does not, and to agree with matchFast
// when parsed's keys are as net/http makes them (canonical).
func checkPlan(t *testing.T, raw cassettes.Headers, parsed http.Header, skip []string, canonical bool) {
	enc, may := encodeFields(raw)
	p := newFieldPlan(enc, may, skip)
	if !p.check {
		return
	}
	got := matchPlan(p, parsed)
	if got && !refSameHeaders(raw, parsed, skip...) {
		t.Fatalf("matchPlan(%q, %q, %q) = true, reference false", raw, parsed, skip)
	}
	if fast := matchFast(keptFields(nil, enc, may), parsed, skip); canonical && got != fast {
		t.Fatalf("matchPlan(%q, %q, %q) = %v, matchFast %v", raw, parsed, skip, got, fast)
	}
}

var headerSeeds = []struct{ raw, parsed string }{
	{"Pragma:no-cache\nconnection:x-hop\nX-Hop:1\ncontent-length:3\nContent-Length:3\na:1\nA:2", "Pragma:no-cache\nCache-Control:no-cache\nContent-Length:3\nA:1\nA:2"},
	{"Host:h\norigin:http://a\nAccept:*/*\nProxy-Connection:keep-alive", "Origin:http://a\nAccept:*/*\nProxy-Connection:keep-alive"},
	{"Content-Length:3\nContent-Length:4", "Content-Length:3"},
	{"Connection:keep-alive, X-A\nx-a:1\nWarning:199 \"martian\" x\nVia:1.1 martian", "Connection:close\nX-A:1"},
	{"Warning:199 \"martian\" x\nWarning:110 stale", "Warning:199 \"martian\" y\nWarning:110 stale"},
	{"Cache-Control:no-cache", "Cache-Control:no-cache\nCache-Control:no-store"},
	{"x y:1\nX Y:1", "x y:1"},
	{"Kelvin:1", "\u212aelvin:1"},
	{"Connection:x-a\nConnection:x-b\nx-b:1\nY:2", "Connection:x-a\nConnection:x-b\nX-B:1\nY:2"},
	{"Y:2", "Connection:x-a\nConnection:x-b\nX-A:1\nY:2"},
	{"Set-Cookie:a=1\nset-cookie:b=2\nVary:Origin", "Set-Cookie:a=1\nSet-Cookie:b=2\nVary:Origin"},
	{"X:a\nX:a", "X:a\nX:b"},
	{"Cache-Control:no-cache", "Cache-Control:no-cache\nX:1"},
	{"A:\nA:0", "A:\nA:"},
}

// FuzzHeaderMatch requires stripHopByHop and sameHeaders (matchParsed: its
// one-pass check, then the map-based sameHeadersSlow when that fails) to
// agree with the reference on any header lines.
func FuzzHeaderMatch(f *testing.F) {
	for _, s := range headerSeeds {
		f.Add(s.raw, s.parsed, true, false)
		f.Add(s.raw, s.parsed, false, true)
		f.Add(s.raw, s.raw, true, true)
	}
	f.Fuzz(func(t *testing.T, rawText, parsedText string, canonical, skipHost bool) {
		raw, _ := fuzzHeaders(rawText, canonical)
		_, parsed := fuzzHeaders(parsedText, canonical)
		if got, want := stripHopByHop(raw), refStripHopByHop(raw); !reflect.DeepEqual(got, want) {
			t.Fatalf("stripHopByHop(%q) = %q, reference %q", raw, got, want)
		}
		checkWireHopByHop(t, rawText)
		var skip []string
		if skipHost {
			skip = []string{"Host"}
		}
		if got, want := sameHeaders(raw, parsed, skip...), refSameHeaders(raw, parsed, skip...); got != want {
			t.Fatalf("sameHeaders(%q, %q, %q) = %v, reference %v", raw, parsed, skip, got, want)
		}
		checkPlan(t, raw, parsed, skip, canonical)
	})
}

// FuzzParseBlock requires parseBlock to agree with the reference.
func FuzzParseBlock(f *testing.F) {
	for _, s := range []string{"", "\n", "\r", "GET / HTTP/1.1\r\nA: 1\r\n", "POST / HTTP/1.1\r\nconnection: x\r\ntran\u017ffer-encoding: chunked\r\ncontent-length: 1\r\n", "GET / HTTP/1.1\r\nA: 1\n\r", "GET / HTTP/1.1\r\n\r\n", "X\r\n folded", "HTTP/1.1 200 OK\r\nb:  2 \t\r\n: v"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b string) {
		got, gerr := parseBlock([]byte(b))
		start, fields, werr := refParseBlock([]byte(b))
		if (gerr == nil) != (werr == nil) || got.start != start || !reflect.DeepEqual(got.fields(), fields) {
			t.Fatalf("parseBlock(%q) = %q %q, %v; reference %q %q, %v", b, got.start, got.fields(), gerr, start, fields, werr)
		}
		if gerr == nil {
			odd := slices.ContainsFunc(fields, func(f cassettes.Header) bool { return !validName(f.Name) })
			if odd != (got.may&mayOddName != 0) {
				t.Fatalf("parseBlock(%q): mayOddName %v, names not all tokens %v", b, got.may&mayOddName != 0, odd)
			}
		}
		for _, f := range fields {
			if strings.EqualFold(f.Name, "Connection") && got.may&mayConnection == 0 ||
				(strings.EqualFold(f.Name, "Content-Length") || strings.EqualFold(f.Name, "Transfer-Encoding")) && got.may&mayFraming == 0 {
				t.Fatalf("parseBlock(%q): field %q not in the may bits %b", b, f.Name, got.may)
			}
		}
	})
}

// FuzzBlockMemo requires a blockMemo to parse every block of a stream as
// parseBlock does, whichever blocks repeat: each block is a start line of
// its own and one of two sets of fields, in the order pattern's bits say.
func FuzzBlockMemo(f *testing.F) {
	f.Add("A: 1\r\nB: 2\r\n", "A: 1\r\nB: 3\r\n", uint16(0b0001000111))
	f.Add("Connection: x\r\nx: 1\r\n", "", uint16(0b1010101010))
	f.Add("A: 1\r\n", "A: 1\r\n folded\r\n", uint16(0b1100110011))
	f.Add("a:1\n", "a:1\r\n", uint16(0b0110110110))
	f.Fuzz(func(t *testing.T, a, b string, pattern uint16) {
		var m blockMemo
		for i := range 10 {
			fields := a
			if pattern&(1<<i) != 0 {
				fields = b
			}
			start := fmt.Sprintf("GET /%d HTTP/1.1\r\n", i)
			if i == 7 {
				start = "\r\n" // an empty start line
			}
			block := []byte(start + fields)
			// Where the block ends, found from the memo, is where
			// completeBlock finds it, in the stream it came in.
			for _, stream := range []string{start + fields + "\r\nGET", start + fields + "\nx", start + fields, start + fields + "\r"} {
				gb, gr, gok := m.complete([]byte(stream), &blockScanner{})
				wb, wr, wok := completeBlock([]byte(stream))
				if gok && (!wok || string(gb) != string(wb) || string(gr) != string(wr)) {
					t.Fatalf("block %d in %q: memo's end %q|%q, completeBlock %q|%q (%v)", i, stream, gb, gr, wb, wr, wok)
				}
			}
			got, gerr := m.parse(block, nil)
			want, werr := parseBlock(block)
			if (gerr == nil) != (werr == nil) || got.start != want.start || got.enc != want.enc || got.may != want.may {
				t.Fatalf("block %d %q: memo %q %q %b, %v; parseBlock %q %q %b, %v", i, block, got.start, got.enc, got.may, gerr, want.start, want.enc, want.may, werr)
			}
		}
	})
}

// refNormAuthority is normAuthority without its fast path.
func refNormAuthority(scheme, a string) string {
	host, port, err := splitAuthority(a)
	if err != nil {
		return a
	}
	if port == "" {
		port = defaultPort(scheme)
	}
	return net.JoinHostPort(host, port)
}

// FuzzNormAuthority requires normAuthority's fast path to give what the
// full normalisation gives.
func FuzzNormAuthority(f *testing.F) {
	for _, a := range []string{"localhost:8000", "LocalHost:8000", "example.test.:80", "[::1]:443", "::1", "h:080", "h:+80", "h:0", "h:65536", "h", "h:", ":80", "a b:1", "x@h:1", "\x80:1", "\u212a:1"} {
		f.Add(a)
	}
	f.Fuzz(func(t *testing.T, a string) {
		for _, scheme := range []string{"http", "https"} {
			if got, want := normAuthority(scheme, a), refNormAuthority(scheme, a); got != want {
				t.Fatalf("normAuthority(%q, %q) = %q, reference %q", scheme, a, got, want)
			}
		}
	})
}
