package cassettes

import (
	"encoding/base64"
	"strings"
	"unicode/utf8"
	"unsafe"
)

// fastDecode reads data laid out exactly as Encode writes it, line by line,
// without building a YAML node tree. It returns ok false as soon as
// anything differs from that layout (another key order, comments, a tab
// or a carriage return outside a block, flow or block styles Encode never
// writes, an escape it does not know...): Decode then uses the general
// decoder, which gives the same cassette for what both read, and the
// errors. The differential tests and FuzzFastDecode hold the two equal.
//
// Every string of the cassette is a substring of one copy of data, so a
// cassette costs about its file size; bodies are copied (Body is mutable).
// Measured on 10k generated interactions (rssprobe, Load): 2.86 s of CPU
// and 327 MiB peak RSS through the node tree, 0.1 s and 31 MiB here.
//
// With owned set, data belongs to the decoder (Load read it and nothing
// else holds it) and is never written again: the strings then share its
// memory instead of a copy.
func fastDecode(data []byte, owned bool) (c *Cassette, ok bool) {
	if !plainInput(data) {
		return nil, false
	}
	var src string
	if owned && len(data) > 0 {
		src = unsafe.String(&data[0], len(data))
	} else {
		src = string(data)
	}
	p := fastParser{src: src}
	return p.cassette()
}

// plainInput reports whether data is valid UTF-8 without the characters
// that need the general decoder's care: control characters but tab and
// line feed, DEL, the byte order mark, the line breaks of YAML 1.1 other
// than line feed (NEL, LS, PS), and what the YAML reader refuses.
func plainInput(data []byte) bool {
	for i := 0; i < len(data); {
		c := data[i]
		if c < utf8.RuneSelf {
			if c < 0x20 && c != '\t' && c != '\n' || c == 0x7f {
				return false
			}
			i++
			continue
		}
		r, w := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && w <= 1 || !yamlPrintable(r) && r < 0x10000 || r == 0x85 || r == 0x2028 || r == 0x2029 {
			return false
		}
		i += w
	}
	return true
}

type fastParser struct {
	src string
	pos int // start of the next line
}

// peek returns the next line without its line feed; ok is false at the
// end of the input or when the last line has no line feed.
func (p *fastParser) peek() (line string, ok bool) {
	rest := p.src[p.pos:]
	i := strings.IndexByte(rest, '\n')
	if i < 0 {
		return "", false
	}
	return rest[:i], true
}

func (p *fastParser) next() (string, bool) {
	line, ok := p.peek()
	if ok {
		p.pos += len(line) + 1
	}
	return line, ok
}

// expect consumes the next line if it is exactly line.
func (p *fastParser) expect(line string) bool {
	if l, ok := p.peek(); ok && l == line {
		p.pos += len(l) + 1
		return true
	}
	return false
}

// value consumes the next line if it starts with prefix (a key and its
// colon) and returns the block scalar after it.
func (p *fastParser) value(prefix string) (string, bool) {
	l, ok := p.peek()
	if !ok || !strings.HasPrefix(l, prefix) {
		return "", false
	}
	if l[len(prefix):] == " !!binary |" {
		// Long text that is not UTF-8: base64 in a literal block
		// indented 2 more than the key.
		p.next()
		col := len(prefix) - len(strings.TrimLeft(prefix, " -"))
		return p.binaryBlock(strings.Repeat(" ", col+2))
	}
	v, ok := blockScalar(l[len(prefix):])
	if ok {
		p.pos += len(l) + 1
	}
	return v, ok
}

// binaryBlock reads the lines of base64 of a !!binary literal block.
func (p *fastParser) binaryBlock(indent string) (string, bool) {
	var b strings.Builder
	for {
		l, ok := p.peek()
		if !ok || !strings.HasPrefix(l, indent) || len(l) == len(indent) || l[len(indent)] == ' ' {
			break
		}
		if !isBase64Text(l[len(indent):]) {
			return "", false
		}
		b.WriteString(l[len(indent):])
		p.next()
	}
	if l, ok := p.peek(); ok && l == "" {
		return "", false // an empty line would belong to the block
	}
	return binaryScalar(b.String())
}

func (p *fastParser) cassette() (*Cassette, bool) {
	c := &Cassette{Version: FormatVersion}
	if !p.expect("version: 1") {
		return nil, false
	}
	if p.expect("meta:") {
		var ok bool
		if l, _ := p.peek(); strings.HasPrefix(l, "  corsvcr:") {
			if c.Meta.Corsvcr, ok = p.value("  corsvcr:"); !ok {
				return nil, false
			}
		}
		if l, _ := p.peek(); strings.HasPrefix(l, "  browser:") {
			if c.Meta.Browser, ok = p.value("  browser:"); !ok {
				return nil, false
			}
		}
		if p.expect("  origin_map:") {
			for {
				l, _ := p.peek()
				if !strings.HasPrefix(l, "    - {") {
					break
				}
				from, to, ok := flowPair(l[len("    - {"):], "from:", ", to:")
				if !ok {
					return nil, false
				}
				c.Meta.OriginMap = append(c.Meta.OriginMap, OriginMapping{From: from, To: to})
				p.next()
			}
			if c.Meta.OriginMap == nil {
				return nil, false
			}
		}
		if c.Meta.isZero() {
			return nil, false
		}
	}
	if p.expect("interactions: []") {
		return c, p.pos == len(p.src)
	}
	if !p.expect("interactions:") {
		return nil, false
	}
	c.Interactions = make([]Interaction, 0, strings.Count(p.src[p.pos:], "\n  - kind:")+1)
	for p.pos < len(p.src) {
		var it Interaction
		if !p.interaction(&it) {
			return nil, false
		}
		c.Interactions = append(c.Interactions, it)
	}
	return c, len(c.Interactions) > 0
}

func (p *fastParser) interaction(it *Interaction) bool {
	kind, ok := p.value("  - kind:")
	if !ok || !p.expect("    request:") {
		return false
	}
	it.Kind = Kind(kind)
	if it.Request.Method, ok = p.value("      method:"); !ok {
		return false
	}
	if it.Request.URL, ok = p.value("      url:"); !ok {
		return false
	}
	if it.Request.Headers, ok = p.headers(); !ok {
		return false
	}
	if it.Request.Body, ok = p.body(); !ok {
		return false
	}
	if !p.expect("    response:") {
		return false
	}
	l, ok := p.next()
	if !ok || !strings.HasPrefix(l, "      status: ") {
		return false
	}
	if it.Response.Status, ok = status(l[len("      status: "):]); !ok {
		return false
	}
	if it.Response.Headers, ok = p.headers(); !ok {
		return false
	}
	it.Response.Body, ok = p.body()
	return ok
}

// headers reads an optional headers key at the request or response level.
func (p *fastParser) headers() (Headers, bool) {
	if !p.expect("      headers:") {
		return nil, true
	}
	// Count the lines first: one allocation for the whole list.
	n := 0
	for rest := p.src[p.pos:]; strings.HasPrefix(rest, "        - {"); n++ {
		i := strings.IndexByte(rest, '\n')
		if i < 0 {
			return nil, false
		}
		rest = rest[i+1:]
	}
	if n == 0 {
		return nil, false
	}
	hs := make(Headers, n)
	for j := range hs {
		l, _ := p.next()
		var ok bool
		if hs[j].Name, hs[j].Value, ok = flowPair(l[len("        - {"):], "name:", ", value:"); !ok {
			return nil, false
		}
	}
	return hs, true
}

// body reads an optional body key at the request or response level: a
// block scalar, a literal block or a base64 mapping.
func (p *fastParser) body() (Body, bool) {
	l, ok := p.peek()
	if !ok || !strings.HasPrefix(l, "      body:") {
		return nil, true
	}
	rest := l[len("      body:"):]
	switch {
	case rest == "":
		p.next()
		l, ok := p.next()
		if !ok || !strings.HasPrefix(l, "        base64:") {
			return nil, false
		}
		s, ok := base64Scalar(l[len("        base64:"):])
		if !ok {
			return nil, false
		}
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return nil, false
		}
		return nonEmpty(b), true
	case strings.HasPrefix(rest, " |"):
		p.next()
		return p.literal(rest[len(" |"):])
	}
	s, ok := blockScalar(rest)
	if !ok {
		return nil, false
	}
	p.next()
	return nonEmpty([]byte(s)), true
}

// nonEmpty returns nil for an empty body, as the general decoder does.
func nonEmpty(b []byte) Body {
	if len(b) == 0 {
		return nil
	}
	return b
}

// bodyIndent is the indentation of a body's literal block.
const bodyIndent = "        "

// literal reads the lines of a literal block whose header (after "|") is
// hints, as Encode writes them: indented by 8, empty lines empty.
func (p *fastParser) literal(hints string) (Body, bool) {
	explicit := strings.HasPrefix(hints, "2")
	if explicit {
		hints = hints[1:]
	}
	var chomp byte // 0 clip, '-' strip, '+' keep
	switch hints {
	case "":
	case "-", "+":
		chomp = hints[0]
	default:
		return nil, false
	}
	start := p.pos
	var b []byte
	content := false // a non-empty line was seen
	for {
		l, ok := p.peek()
		if !ok {
			if p.pos != len(p.src) {
				return nil, false // a last line without a line feed
			}
			break
		}
		if l == "" {
			p.pos++
			continue
		}
		if !strings.HasPrefix(l, bodyIndent) {
			if l[0] != ' ' {
				return nil, false // a line at column 0 ends no body
			}
			break
		}
		text := l[len(bodyIndent):]
		switch {
		case strings.TrimLeft(text, " ") == "":
			return nil, false // blank lines are empty in Encode's blocks
		case !content && !explicit && (text[0] == ' ' || text[0] == '\t'):
			// The block's indentation would be guessed from this line.
			return nil, false
		}
		content = true
		p.pos += len(l) + 1
	}
	if !content && chomp != '+' {
		return nil, false
	}
	// The block's text is its lines without indentation, each with its
	// line feed; chomping then decides about the trailing ones.
	block := p.src[start:p.pos]
	b = make([]byte, 0, len(block))
	for line := range strings.Lines(block) {
		b = append(b, strings.TrimPrefix(line, bodyIndent)...)
	}
	switch chomp {
	case '-':
		for len(b) > 0 && b[len(b)-1] == '\n' {
			b = b[:len(b)-1]
		}
	case 0:
		for len(b) > 1 && b[len(b)-1] == '\n' && b[len(b)-2] == '\n' {
			b = b[:len(b)-1]
		}
	}
	return nonEmpty(b), true
}

// status reads a decimal status without sign or leading zero.
func status(s string) (int, bool) {
	if s == "" || len(s) > 9 || s[0] < '1' || s[0] > '9' {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		n = n*10 + int(s[i]-'0')
	}
	return n, true
}

// flowPair reads "k1: A, k2: B}" (the rest of a line after "{"), keys
// with their colons given, and returns A and B.
func flowPair(s, k1, k2 string) (a, b string, ok bool) {
	if !strings.HasPrefix(s, k1) {
		return "", "", false
	}
	s = s[len(k1):]
	a, s, ok = flowScalar(s, ',')
	if !ok || !strings.HasPrefix(s, k2) {
		return "", "", false
	}
	b, s, ok = flowScalar(s[len(k2):], '}')
	if !ok || s != "}" {
		return "", "", false
	}
	return a, b, true
}

// flowScalar reads " value" in a flow mapping, up to the indicator end
// (',' or '}'), and returns the value and what follows it.
func flowScalar(s string, end byte) (v, rest string, ok bool) {
	if len(s) < 2 || s[0] != ' ' {
		return "", "", false
	}
	s = s[1:]
	switch s[0] {
	case '"':
		return doubleQuotedScalar(s)
	case '\'':
		return singleQuotedScalar(s)
	case '!':
		raw, ok := strings.CutPrefix(s, "!!binary ")
		if !ok {
			return "", "", false
		}
		if strings.HasPrefix(raw, `"`) {
			// Long text that is not UTF-8: base64 in lines, quoted.
			q, rest, ok := doubleQuotedScalar(raw)
			if !ok {
				return "", "", false
			}
			v, ok := binaryScalar(strings.ReplaceAll(q, "\n", ""))
			return v, rest, ok
		}
		i := strings.IndexByte(raw, end)
		if i < 0 {
			return "", "", false
		}
		v, ok := binaryScalar(raw[:i])
		return v, raw[i:], ok
	}
	i := strings.IndexByte(s, end)
	if i < 0 {
		return "", "", false
	}
	v = s[:i]
	if !plainOK(v, true) || strings.IndexByte(v, '?') >= 0 {
		return "", "", false
	}
	return v, s[i:], true
}

// blockScalar reads " value" to the end of a line in a block mapping.
func blockScalar(s string) (string, bool) {
	if len(s) < 2 || s[0] != ' ' {
		return "", false
	}
	s = s[1:]
	var v, rest string
	var ok bool
	switch s[0] {
	case '"':
		v, rest, ok = doubleQuotedScalar(s)
	case '\'':
		v, rest, ok = singleQuotedScalar(s)
	case '!':
		raw, found := strings.CutPrefix(s, "!!binary ")
		if !found {
			return "", false
		}
		return binaryScalar(raw)
	default:
		return s, plainOK(s, false)
	}
	return v, ok && rest == ""
}

// base64Scalar reads the " value" of a body's base64 key: plain base64
// (read as written, whatever it resembles) or a double-quoted string.
func base64Scalar(s string) (string, bool) {
	if len(s) < 2 || s[0] != ' ' {
		return "", false
	}
	s = s[1:]
	if s[0] == '"' {
		v, rest, ok := doubleQuotedScalar(s)
		return v, ok && rest == ""
	}
	return s, isBase64Text(s)
}

// isBase64Text reports whether s is made of the standard base64 alphabet.
func isBase64Text(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '+' || c == '/' || c == '=') {
			return false
		}
	}
	return true
}

// binaryScalar decodes the plain base64 of a !!binary scalar.
func binaryScalar(s string) (string, bool) {
	if !isBase64Text(s) {
		return "", false
	}
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil || len(b) == 0 {
		return "", false
	}
	return string(b), true
}

// singleQuotedScalar reads 'text' at the start of s, on one line.
func singleQuotedScalar(s string) (v, rest string, ok bool) {
	var b []byte
	for i := 1; i < len(s); i++ {
		switch s[i] {
		case '\t':
			return "", "", false
		case '\'':
			if i+1 < len(s) && s[i+1] == '\'' {
				if b == nil {
					b = make([]byte, 0, len(s))
				}
				b = append(b, s[1:i+1]...)
				s = s[i+1:] // keep the second quote as the new start
				i = 0
				continue
			}
			if b == nil {
				return s[1:i], s[i+1:], true
			}
			return string(append(b, s[1:i]...)), s[i+1:], true
		}
	}
	return "", "", false
}

// doubleQuotedScalar reads "text" at the start of s, on one line, with
// the escapes of YAML.
func doubleQuotedScalar(s string) (v, rest string, ok bool) {
	var b []byte // nil while there is no escape
	from := 1    // start of the text not yet copied to b
	for i := 1; i < len(s); {
		switch c := s[i]; c {
		case '"':
			if b == nil {
				return s[1:i], s[i+1:], true
			}
			return string(append(b, s[from:i]...)), s[i+1:], true
		case '\t':
			return "", "", false
		case '\\':
			if b == nil {
				b = make([]byte, 0, len(s))
			}
			b = append(b, s[from:i]...)
			if i+1 >= len(s) {
				return "", "", false
			}
			e := s[i+1]
			i += 2
			switch e {
			case '0':
				b = append(b, 0)
			case 'a':
				b = append(b, '\a')
			case 'b':
				b = append(b, '\b')
			case 't':
				b = append(b, '\t')
			case 'n':
				b = append(b, '\n')
			case 'v':
				b = append(b, '\v')
			case 'f':
				b = append(b, '\f')
			case 'r':
				b = append(b, '\r')
			case 'e':
				b = append(b, 0x1b)
			case ' ', '"', '\'', '\\':
				b = append(b, e)
			case 'N':
				b = utf8.AppendRune(b, 0x85)
			case '_':
				b = utf8.AppendRune(b, 0xA0)
			case 'L':
				b = utf8.AppendRune(b, 0x2028)
			case 'P':
				b = utf8.AppendRune(b, 0x2029)
			case 'x', 'u', 'U':
				n := 2
				if e == 'u' {
					n = 4
				} else if e == 'U' {
					n = 8
				}
				if i+n > len(s) {
					return "", "", false
				}
				var r rune
				for _, h := range []byte(s[i : i+n]) {
					var d byte
					switch {
					case '0' <= h && h <= '9':
						d = h - '0'
					case 'a' <= h && h <= 'f':
						d = h - 'a' + 10
					case 'A' <= h && h <= 'F':
						d = h - 'A' + 10
					default:
						return "", "", false
					}
					r = r<<4 | rune(d)
				}
				if 0xD800 <= r && r <= 0xDFFF || r > 0x10FFFF {
					return "", "", false
				}
				b = utf8.AppendRune(b, r)
				i += n
			default:
				return "", "", false
			}
			from = i
		default:
			i++
		}
	}
	return "", "", false
}
