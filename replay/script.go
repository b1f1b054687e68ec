package replay

import (
	"bytes"
	"fmt"
	"hash/maphash"
	"io"
	"net/http"
	"net/textproto"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/corsvcr/corsvcr/cassettes"
	"github.com/corsvcr/corsvcr/internal/fetch"
)

// MaxBodyCompare bounds how much of an incoming request body ServeHTTP
// reads to compare it with recorded bodies: 16 MiB. A longer body equals no
// recorded body; it is still forwarded whole (Config.Forward).
const MaxBodyCompare = 16 << 20

// fieldBody is MissError.Field when the request body differed.
const fieldBody = "body"

// script is the part of a request its page script decides beyond the
// match key: the script-set headers (fetch.IsScriptRequestHeader) and the
// body. Requests with one key are told apart by it (see the package
// documentation).
type script struct {
	// headers are sorted by name, lower-cased; the values of one name stay
	// in request order.
	headers []scriptHeader
	body    []byte
	// over is set for an incoming body longer than MaxBodyCompare (body
	// then holds its first MaxBodyCompare+1 bytes).
	over bool
	// wild is set for a recorded script holding a redaction placeholder
	// (cassettes.RedactedPrefix + N) in a header value or the body: the
	// placeholder matches any text (see wildEqual).
	wild bool
}

type scriptHeader struct{ name, value string }

// recordedScript returns the script part of a recorded request.
func recordedScript(rq *cassettes.Request) script {
	var s script
	for _, f := range rq.Headers {
		if fetch.IsScriptRequestHeader(f.Name, f.Value) {
			s.headers = append(s.headers, scriptHeader{fetch.ByteLowercase(f.Name), f.Value})
			s.wild = s.wild || strings.Contains(f.Value, cassettes.RedactedPrefix)
		}
	}
	sortHeaders(s.headers)
	s.body = rq.Body
	s.wild = s.wild || bytes.Contains(s.body, []byte(cassettes.RedactedPrefix))
	return s
}

// sortHeaders sorts hs by name, keeping the order of one name's values.
// It allocates nothing for zero or one header.
func sortHeaders(hs []scriptHeader) {
	if len(hs) > 1 {
		slices.SortStableFunc(hs, func(a, b scriptHeader) int { return strings.Compare(a.name, b.name) })
	}
}

// incoming is a request being matched: its headers (from net/http or a
// cassettes.Request) and its body, read only when its script part is
// needed.
type incoming struct {
	hh   http.Header
	ch   cassettes.Headers
	req  *http.Request // ServeHTTP: its body is read, then restored
	body []byte        // Session: the body
	done bool
	s    script
}

// script returns the script part of in, computing it on first use. For a
// net/http request it reads the body (at most MaxBodyCompare+1 bytes) and
// puts back a req.Body that yields the same bytes.
func (in *incoming) script() *script {
	if in.done {
		return &in.s
	}
	in.done = true
	s := &in.s
	if in.req != nil {
		for name, vs := range in.hh {
			for _, v := range vs {
				if fetch.IsScriptRequestHeader(name, v) {
					s.headers = append(s.headers, scriptHeader{fetch.ByteLowercase(name), v})
				}
			}
		}
		s.body, s.over = readBody(in.req)
	} else {
		for _, f := range in.ch {
			if fetch.IsScriptRequestHeader(f.Name, f.Value) {
				s.headers = append(s.headers, scriptHeader{fetch.ByteLowercase(f.Name), f.Value})
			}
		}
		s.body = in.body
	}
	sortHeaders(s.headers)
	return s
}

// computed returns in's script part, nil when it was not computed.
func (in *incoming) computed() *script {
	if !in.done {
		return nil
	}
	return &in.s
}

// readBody reads up to MaxBodyCompare+1 bytes of req's body and restores
// req.Body so that it yields the whole body again. over reports a body
// longer than MaxBodyCompare.
func readBody(req *http.Request) (b []byte, over bool) {
	if req.Body == nil || req.Body == http.NoBody {
		return nil, false
	}
	rc := req.Body
	b, _ = io.ReadAll(io.LimitReader(rc, MaxBodyCompare+1)) // a read error ends the body here, as it would for the server
	over = len(b) > MaxBodyCompare
	if over {
		req.Body = struct {
			io.Reader
			io.Closer
		}{io.MultiReader(bytes.NewReader(b), rc), rc}
	} else {
		req.Body = struct {
			io.Reader
			io.Closer
		}{bytes.NewReader(b), rc}
	}
	return b, over
}

// hash returns a hash of s's headers and body (not of over or wild).
func (s *script) hash() uint64 {
	var h maphash.Hash
	h.SetSeed(hashSeed)
	for _, f := range s.headers {
		h.WriteString(f.name)
		h.WriteByte(0)
		h.WriteString(f.value)
		h.WriteByte(0)
	}
	h.WriteByte(1)
	h.Write(s.body)
	return h.Sum64()
}

var hashSeed = maphash.MakeSeed()

// sameScript reports whether recorded scripts a and b are equal byte for
// byte (placeholders included): they are then one variant.
func sameScript(a, b *script) bool {
	return slices.Equal(a.headers, b.headers) && bytes.Equal(a.body, b.body)
}

// headersMatch reports whether the incoming script headers in match the
// recorded ones rec: the same names, each with the same values in the same
// order; a redaction placeholder in a recorded value matches any text.
func headersMatch(rec, in []scriptHeader) bool {
	return diffHeader(rec, in) == ""
}

// diffHeader returns the lower-cased name of the first header, in name
// order, whose values differ between the recorded rec and the incoming in;
// "" when they match.
func diffHeader(rec, in []scriptHeader) string {
	i, j := 0, 0
	for i < len(rec) || j < len(in) {
		switch {
		case j == len(in) || i < len(rec) && rec[i].name < in[j].name:
			return rec[i].name
		case i == len(rec) || in[j].name < rec[i].name:
			return in[j].name
		}
		name := rec[i].name
		for ; i < len(rec) && j < len(in) && rec[i].name == name && in[j].name == name; i, j = i+1, j+1 {
			if !wildEqual(rec[i].value, in[j].value) {
				return name
			}
		}
		if i < len(rec) && rec[i].name == name || j < len(in) && in[j].name == name {
			return name // one has more values
		}
	}
	return ""
}

// bodyMatches reports whether the incoming body in matches the recorded
// one rec (a redaction placeholder in rec matches any text).
func bodyMatches(rec, in *script) bool {
	if in.over {
		return false
	}
	if !rec.wild {
		return bytes.Equal(rec.body, in.body)
	}
	return wildEqual(string(rec.body), string(in.body))
}

// wildEqual reports whether got equals the recorded text rec, in which
// every redaction placeholder (cassettes.RedactedPrefix and digits)
// matches any text, the empty one included.
func wildEqual(rec, got string) bool {
	if !strings.Contains(rec, cassettes.RedactedPrefix) {
		return rec == got
	}
	parts := splitPlaceholders(rec)
	if len(parts) == 1 {
		return rec == got
	}
	// parts are literals around placeholders: the first must be a
	// prefix, the last a suffix, the others found in order in between
	// (leftmost placement is optimal for "*"-only patterns).
	first, last := parts[0], parts[len(parts)-1]
	if len(got) < len(first)+len(last) || !strings.HasPrefix(got, first) || !strings.HasSuffix(got, last) {
		return false
	}
	mid := got[len(first) : len(got)-len(last)]
	for _, p := range parts[1 : len(parts)-1] {
		i := strings.Index(mid, p)
		if i < 0 {
			return false
		}
		mid = mid[i+len(p):]
	}
	return true
}

// splitPlaceholders splits s around its redaction placeholders: n
// placeholders give n+1 literals. The prefix without digits is literal.
func splitPlaceholders(s string) []string {
	var parts []string
	start, from := 0, 0 // the current literal starts at start; search from from
	for {
		i := strings.Index(s[from:], cassettes.RedactedPrefix)
		if i < 0 {
			return append(parts, s[start:])
		}
		j := from + i + len(cassettes.RedactedPrefix)
		k := j
		for k < len(s) && '0' <= s[k] && s[k] <= '9' {
			k++
		}
		if k > j {
			parts = append(parts, s[start:from+i])
			start = k
		}
		from = k
	}
}

// rank orders how well an incoming script matches a recorded one: script
// headers equal first, then body equal.
func rank(rec, in *script) (r int, exact bool) {
	h, b := headersMatch(rec.headers, in.headers), bodyMatches(rec, in)
	if h {
		r += 2
	}
	if b {
		r++
	}
	return r, h && b
}

// find returns the variant of q matching in exactly, the first in
// recorded order; when none does, the best-ranked one (script headers
// equal, then body equal, then the first) and false.
func (ix *index) find(q *queue, in *script) (*variant, bool) {
	if q.m != nil {
		if pos, ok := q.m.byHash[in.hash()]; ok {
			v := ix.qvar(q, pos)
			if vs := ix.scr(v); headersMatch(vs.headers, in.headers) && bodyMatches(vs, in) {
				for _, w := range q.m.wild { // an earlier wild variant goes first
					if w >= pos {
						break
					}
					wv := ix.qvar(q, w)
					if _, exact := rank(ix.scr(wv), in); exact {
						return wv, true
					}
				}
				return v, true
			}
		}
	}
	best, bestRank := ix.qvar(q, 0), -1
	for j := range nvars(q) {
		v := ix.qvar(q, j)
		r, exact := rank(ix.scr(v), in)
		if exact {
			return v, true
		}
		if r > bestRank {
			best, bestRank = v, r
		}
	}
	return best, false
}

// scriptDiff returns the field in which the incoming script in first
// differs from the recorded rec, as MissError shows it: the canonical
// header name ("Range") or "body", the request's value and the recorded
// one. ok is false when they match.
func scriptDiff(rec, in *script) (field, got, want string, ok bool) {
	if name := diffHeader(rec.headers, in.headers); name != "" {
		return textproto.CanonicalMIMEHeaderKey(name), headerText(in.headers, name), headerText(rec.headers, name), true
	}
	if !bodyMatches(rec, in) {
		return fieldBody, bodyText(in.body, in.over), bodyText(rec.body, false), true
	}
	return "", "", "", false
}

// headerText returns the values of name in hs joined by ", ".
func headerText(hs []scriptHeader, name string) string {
	var vs []string
	for _, f := range hs {
		if f.name == name {
			vs = append(vs, f.value)
		}
	}
	return strings.Join(vs, ", ")
}

// bodyText shows a body in a MissError: the text itself when short, else
// its start and its length.
func bodyText(b []byte, over bool) string {
	const show = 64
	if len(b) <= show && utf8.Valid(b) && !over {
		return string(b)
	}
	n := min(len(b), show)
	for n > 0 && !utf8.Valid(b[:n]) {
		n--
	}
	size := fmt.Sprintf("%d bytes", len(b))
	if over {
		size = fmt.Sprintf("over %d bytes", MaxBodyCompare)
	}
	return fmt.Sprintf("%s... (%s)", b[:n], size)
}

// describeScript writes the script part s, one line per header and one
// for the body.
func describeScript(b *strings.Builder, s *script) {
	for _, f := range s.headers {
		fmt.Fprintf(b, "  %s: %q\n", textproto.CanonicalMIMEHeaderKey(f.name), f.value)
	}
	if len(s.body) > 0 || s.over {
		fmt.Fprintf(b, "  body: %q\n", bodyText(s.body, s.over))
	}
}
