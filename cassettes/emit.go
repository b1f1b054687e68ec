package cassettes

import (
	"encoding/base64"
	"strconv"
	"strings"
	"unicode/utf8"
)

// The canonical emitter writes, in one pass into one buffer, exactly the
// bytes that the YAML library writes for the node tree of encodeYAML (the
// reference, kept for the differential tests): the layout is fixed, and
// each scalar gets the style the library would choose for the style
// strNode asks for. The rules below are those of go.yaml.in/yaml/v3's
// emitter (yaml_emitter_analyze_scalar, yaml_emitter_select_scalar_style
// and the write functions) with an unbounded line width, as the library
// uses by default; the differential tests and fuzzers compare the two on
// the goldens, on generated cassettes of every shape and on arbitrary
// strings. Measured on 10k generated interactions (rssprobe): saving took
// 3.55 s of CPU and allocated 2069 MiB with the library, 0.13 s and 20 MiB
// (one buffer of about the file's size) with the emitter.

// emitter appends a cassette's canonical encoding to buf.
type emitter struct {
	buf []byte
}

// emit returns the canonical encoding of a valid cassette.
func emit(c *Cassette) []byte {
	e := emitter{buf: make([]byte, 0, encodedSizeHint(c))}
	e.buf = append(e.buf, "version: "...)
	e.buf = strconv.AppendInt(e.buf, FormatVersion, 10)
	e.buf = append(e.buf, '\n')
	if !c.Meta.isZero() {
		e.buf = append(e.buf, "meta:\n"...)
		if c.Meta.Corsvcr != "" {
			e.buf = append(e.buf, "  corsvcr:"...)
			e.scalar(c.Meta.Corsvcr, false, "    ")
			e.buf = append(e.buf, '\n')
		}
		if c.Meta.Browser != "" {
			e.buf = append(e.buf, "  browser:"...)
			e.scalar(c.Meta.Browser, false, "    ")
			e.buf = append(e.buf, '\n')
		}
		if len(c.Meta.OriginMap) > 0 {
			e.buf = append(e.buf, "  origin_map:\n"...)
			for _, m := range c.Meta.OriginMap {
				e.buf = append(e.buf, "    - {from:"...)
				e.scalar(m.From, true, "")
				e.buf = append(e.buf, ", to:"...)
				e.scalar(m.To, true, "")
				e.buf = append(e.buf, "}\n"...)
			}
		}
	}
	if len(c.Interactions) == 0 {
		e.buf = append(e.buf, "interactions: []\n"...)
		return e.buf
	}
	e.buf = append(e.buf, "interactions:\n"...)
	for i := range c.Interactions {
		it := &c.Interactions[i]
		e.buf = append(e.buf, "  - kind:"...)
		e.scalar(string(it.Kind), false, "      ")
		e.buf = append(e.buf, "\n    request:\n      method:"...)
		e.scalar(it.Request.Method, false, "        ")
		e.buf = append(e.buf, "\n      url:"...)
		e.scalar(it.Request.URL, false, "        ")
		e.buf = append(e.buf, '\n')
		e.headers(it.Request.Headers)
		e.body(it.Request.Body)
		e.buf = append(e.buf, "    response:\n      status: "...)
		e.buf = strconv.AppendInt(e.buf, int64(it.Response.Status), 10)
		e.buf = append(e.buf, '\n')
		e.headers(it.Response.Headers)
		e.body(it.Response.Body)
	}
	return e.buf
}

// encodedSizeHint estimates the encoded size of c from above for common
// cassettes, so that the buffer is allocated once.
func encodedSizeHint(c *Cassette) int {
	n := 256 + len(c.Meta.Corsvcr) + len(c.Meta.Browser)
	for _, m := range c.Meta.OriginMap {
		n += 32 + len(m.From) + len(m.To)
	}
	for i := range c.Interactions {
		it := &c.Interactions[i]
		n += 128 + len(it.Request.URL) + len(it.Request.Method)
		for _, hs := range []Headers{it.Request.Headers, it.Response.Headers} {
			for _, h := range hs {
				n += 32 + len(h.Name) + len(h.Value)
			}
		}
		for _, b := range []Body{it.Request.Body, it.Response.Body} {
			// base64 grows by 4/3; a block scalar by its indentation.
			n += 32 + len(b)*4/3 + 8*strings.Count(string(b), "\n")
		}
	}
	return n
}

// headers writes a headers key at the request or response level.
func (e *emitter) headers(hs Headers) {
	if len(hs) == 0 {
		return
	}
	e.buf = append(e.buf, "      headers:\n"...)
	for _, h := range hs {
		e.buf = append(e.buf, "        - {name:"...)
		e.scalar(h.Name, true, "")
		e.buf = append(e.buf, ", value:"...)
		e.scalar(h.Value, true, "")
		e.buf = append(e.buf, "}\n"...)
	}
}

// body writes a body key at the request or response level, as addBody
// asks the YAML library to.
func (e *emitter) body(b Body) {
	switch {
	case len(b) == 0:
	case b.IsText():
		s := string(b)
		e.buf = append(e.buf, "      body:"...)
		if strings.IndexByte(s, '\n') >= 0 && s[0] != '\t' {
			if a := analyze(s); a.blockAllowed {
				e.literal(s)
				return
			}
			e.doubleQuoted(s)
		} else {
			e.scalar(s, false, bodyIndent) // valid UTF-8: never a block
		}
		e.buf = append(e.buf, '\n')
	default:
		e.buf = append(e.buf, "      body:\n        base64: "...)
		start := len(e.buf)
		e.buf = base64.StdEncoding.AppendEncode(e.buf, b)
		// A !!str-tagged plain scalar that would read as something
		// else is double-quoted by the library.
		if v := string(e.buf[start:]); resolvesNonStr(v) {
			e.buf = append(e.buf[:start], '"')
			e.buf = append(e.buf, v...)
			e.buf = append(e.buf, '"')
		}
		e.buf = append(e.buf, '\n')
	}
}

// scalar writes s as the value of a key (after "key:"), in the style
// strNode asks for and the library's emitter then settles on. flow says
// whether s sits in a flow mapping; indent is the indentation of a block
// scalar holding the value (in a block mapping).
func (e *emitter) scalar(s string, flow bool, indent string) {
	if !utf8.ValidString(s) {
		e.binary(s, flow, indent)
		return
	}
	const (
		plain = iota
		single
		double
	)
	style := double
	switch {
	case plainOK(s, flow):
		// The library writes these plain, but for '?' in a flow
		// collection (a flow indicator plainOK lets through), which it
		// single-quotes (analyze would say so, at a higher cost).
		style = plain
		if flow && strings.IndexByte(s, '?') >= 0 {
			style = single
		}
	case strings.ContainsAny(s, `"\`) && printable(s):
		// printable rules out tabs and line breaks: single quotes are
		// allowed unless a character is one the library escapes.
		style = single
		if !allYAMLPrintable(s) {
			style = double
		}
	}
	switch style {
	case plain:
		e.buf = append(e.buf, ' ')
		e.buf = append(e.buf, s...)
	case single:
		// No line breaks here: printable rules them out.
		e.buf = append(e.buf, " '"...)
		for {
			i := strings.IndexByte(s, '\'')
			if i < 0 {
				break
			}
			e.buf = append(e.buf, s[:i+1]...)
			e.buf = append(e.buf, '\'')
			s = s[i+1:]
		}
		e.buf = append(e.buf, s...)
		e.buf = append(e.buf, '\'')
	default:
		e.doubleQuoted(s)
	}
}

// binary writes text that is not valid UTF-8 as the library does: tagged
// !!binary, base64 cut in lines of 70 characters, each ending with a line
// feed, when it is longer than that, and then a literal block (or, in a
// flow mapping, a double-quoted string).
func (e *emitter) binary(s string, flow bool, indent string) {
	const lineLen = 70
	enc := base64.StdEncoding.EncodeToString([]byte(s))
	e.buf = append(e.buf, " !!binary"...)
	switch {
	case len(enc) < lineLen:
		e.buf = append(e.buf, ' ')
		e.buf = append(e.buf, enc...)
	case flow:
		e.buf = append(e.buf, " \""...)
		for i := 0; i < len(enc); i += lineLen {
			e.buf = append(e.buf, enc[i:min(i+lineLen, len(enc))]...)
			e.buf = append(e.buf, `\n`...)
		}
		e.buf = append(e.buf, '"')
	default:
		e.buf = append(e.buf, " |"...)
		for i := 0; i < len(enc); i += lineLen {
			e.buf = append(e.buf, '\n')
			e.buf = append(e.buf, indent...)
			e.buf = append(e.buf, enc[i:min(i+lineLen, len(enc))]...)
		}
		// The line feed after the block is the caller's.
	}
}

// doubleQuoted writes " " and s double-quoted, escaped as the library
// does (yaml_emitter_write_double_quoted_scalar). s is valid UTF-8.
func (e *emitter) doubleQuoted(s string) {
	e.buf = append(e.buf, " \""...)
	// The library checks for a byte order mark at the start of the value
	// when it looks at each character: after one, it escapes them all.
	bom := strings.HasPrefix(s, "\uFEFF")
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf && !bom {
			if 0x20 <= c && c <= 0x7e && c != '"' && c != '\\' {
				// Runs of plain ASCII are copied at once.
				j := i + 1
				for j < len(s) && 0x20 <= s[j] && s[j] <= 0x7e && s[j] != '"' && s[j] != '\\' {
					j++
				}
				e.buf = append(e.buf, s[i:j]...)
				i = j
				continue
			}
		}
		r, w := utf8.DecodeRuneInString(s[i:])
		if !bom && r != '\n' && r != '"' && r != '\\' && yamlPrintable(r) && !isBreakRune(r) {
			e.buf = append(e.buf, s[i:i+w]...)
			i += w
			continue
		}
		i += w
		e.buf = append(e.buf, '\\')
		switch r {
		case 0x00:
			e.buf = append(e.buf, '0')
		case 0x07:
			e.buf = append(e.buf, 'a')
		case 0x08:
			e.buf = append(e.buf, 'b')
		case 0x09:
			e.buf = append(e.buf, 't')
		case 0x0A:
			e.buf = append(e.buf, 'n')
		case 0x0b:
			e.buf = append(e.buf, 'v')
		case 0x0c:
			e.buf = append(e.buf, 'f')
		case 0x0d:
			e.buf = append(e.buf, 'r')
		case 0x1b:
			e.buf = append(e.buf, 'e')
		case 0x22:
			e.buf = append(e.buf, '"')
		case 0x5c:
			e.buf = append(e.buf, '\\')
		case 0x85:
			e.buf = append(e.buf, 'N')
		case 0xA0:
			e.buf = append(e.buf, '_')
		case 0x2028:
			e.buf = append(e.buf, 'L')
		case 0x2029:
			e.buf = append(e.buf, 'P')
		default:
			var digits int
			switch {
			case r <= 0xFF:
				e.buf, digits = append(e.buf, 'x'), 2
			case r <= 0xFFFF:
				e.buf, digits = append(e.buf, 'u'), 4
			default:
				e.buf, digits = append(e.buf, 'U'), 8
			}
			for k := (digits - 1) * 4; k >= 0; k -= 4 {
				e.buf = append(e.buf, "0123456789ABCDEF"[(r>>uint(k))&0x0F])
			}
		}
	}
	e.buf = append(e.buf, '"')
}

// literal writes " |" with the library's hints and s as a literal block
// at the body's indentation (8), ending with a line break
// (yaml_emitter_write_literal_scalar). s has a line break, no CR, no
// trailing spaces and no space before a break (analyze said so).
func (e *emitter) literal(s string) {
	e.buf = append(e.buf, " |"...)
	if s[0] == ' ' || isBreakAt(s, 0) {
		e.buf = append(e.buf, '2') // the library's indentation step
	}
	last, lw := utf8.DecodeLastRuneInString(s)
	switch {
	case !isBreakRune(last):
		e.buf = append(e.buf, '-')
	case lw == len(s):
		e.buf = append(e.buf, '+')
	default:
		if prev, _ := utf8.DecodeLastRuneInString(s[:len(s)-lw]); isBreakRune(prev) {
			e.buf = append(e.buf, '+')
		}
	}
	e.buf = append(e.buf, '\n')
	for len(s) > 0 {
		i := strings.IndexByte(s, '\n')
		line := s
		if i >= 0 {
			line = s[:i]
		}
		if len(line) > 0 {
			// Empty lines get no indentation.
			e.buf = append(e.buf, "        "...)
			e.buf = append(e.buf, line...)
		}
		if i < 0 {
			// The next key starts on a new line.
			e.buf = append(e.buf, '\n')
			return
		}
		e.buf = append(e.buf, '\n')
		s = s[i+1:]
	}
}

// scalarAnalysis says which styles the library allows for a scalar
// (yaml_emitter_analyze_scalar with unicode output).
type scalarAnalysis struct {
	flowPlain, blockPlain, singleAllowed, blockAllowed bool
}

func analyze(s string) scalarAnalysis {
	if s == "" {
		return scalarAnalysis{blockPlain: true, singleAllowed: true}
	}
	var (
		blockIndicators, flowIndicators, lineBreaks, special, tabs bool
		leadingSpace, leadingBreak, trailingSpace, trailingBreak   bool
		breakSpace, spaceBreak, previousSpace, previousBreak       bool
	)
	if strings.HasPrefix(s, "---") || strings.HasPrefix(s, "...") {
		blockIndicators, flowIndicators = true, true
	}
	precededByWhitespace := true
	for i := 0; i < len(s); {
		c := s[i]
		w := utf8RuneLen(c)
		followedByWhitespace := i+w >= len(s) || s[i+w] == ' ' || s[i+w] == '\t'
		if i == 0 {
			switch c {
			case '#', ',', '[', ']', '{', '}', '&', '*', '!', '|', '>', '\'', '"', '%', '@', '`':
				flowIndicators, blockIndicators = true, true
			case '?', ':':
				flowIndicators = true
				if followedByWhitespace {
					blockIndicators = true
				}
			case '-':
				if followedByWhitespace {
					flowIndicators, blockIndicators = true, true
				}
			}
		} else {
			switch c {
			case ',', '?', '[', ']', '{', '}':
				flowIndicators = true
			case ':':
				flowIndicators = true
				if followedByWhitespace {
					blockIndicators = true
				}
			case '#':
				if precededByWhitespace {
					flowIndicators, blockIndicators = true, true
				}
			}
		}
		if c == '\t' {
			tabs = true
		} else if !printableAt(s, i) {
			special = true
		}
		switch {
		case c == ' ':
			if i == 0 {
				leadingSpace = true
			}
			if i+w == len(s) {
				trailingSpace = true
			}
			if previousBreak {
				breakSpace = true
			}
			previousSpace, previousBreak = true, false
		case isBreakAt(s, i):
			lineBreaks = true
			if i == 0 {
				leadingBreak = true
			}
			if i+w == len(s) {
				trailingBreak = true
			}
			if previousSpace {
				spaceBreak = true
			}
			previousSpace, previousBreak = false, true
		default:
			previousSpace, previousBreak = false, false
		}
		precededByWhitespace = c == ' ' || c == '\t' || c == 0 || isBreakAt(s, i)
		i += w
	}
	a := scalarAnalysis{flowPlain: true, blockPlain: true, singleAllowed: true, blockAllowed: true}
	if leadingSpace || leadingBreak || trailingSpace || trailingBreak {
		a.flowPlain, a.blockPlain = false, false
	}
	if trailingSpace {
		a.blockAllowed = false
	}
	if breakSpace || spaceBreak || tabs || special {
		a.flowPlain, a.blockPlain, a.singleAllowed = false, false, false
	}
	if spaceBreak || special {
		a.blockAllowed = false
	}
	if lineBreaks {
		a.flowPlain, a.blockPlain = false, false
	}
	if flowIndicators {
		a.flowPlain = false
	}
	if blockIndicators {
		a.blockPlain = false
	}
	return a
}

// allYAMLPrintable reports whether every character of valid UTF-8 s is
// printable for the library.
func allYAMLPrintable(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= utf8.RuneSelf {
			for _, r := range s[i:] {
				if r != '\n' && !yamlPrintable(r) {
					return false
				}
			}
			return true
		} else if c != '\n' && (c < 0x20 || c > 0x7e) {
			return false
		}
	}
	return true
}

// utf8RuneLen is the library's width: the length of the UTF-8 sequence
// that starts with c (s is valid UTF-8).
func utf8RuneLen(c byte) int {
	switch {
	case c&0x80 == 0:
		return 1
	case c&0xE0 == 0xC0:
		return 2
	case c&0xF0 == 0xE0:
		return 3
	}
	return 4
}

// printableAt is the library's is_printable at byte i of valid UTF-8 s.
func printableAt(s string, i int) bool {
	c := s[i]
	if c < utf8.RuneSelf {
		return c == '\n' || 0x20 <= c && c <= 0x7e
	}
	r, _ := utf8.DecodeRuneInString(s[i:])
	return yamlPrintable(r)
}

// yamlPrintable is the library's is_printable for a rune: LF, printable
// ASCII and the Basic Multilingual Plane from U+00A0 but for surrogates,
// the byte order mark and U+FFFE, U+FFFF. Other planes count as not
// printable (they are escaped).
func yamlPrintable(r rune) bool {
	return r == 0x0A || 0x20 <= r && r <= 0x7E || 0xA0 <= r && r <= 0xD7FF ||
		0xE000 <= r && r <= 0xFFFD && r != 0xFEFF
}

// isBreakAt is the library's is_break: CR, LF, NEL, LS or PS at byte i.
func isBreakAt(s string, i int) bool {
	switch s[i] {
	case '\r', '\n':
		return true
	case 0xC2:
		return i+1 < len(s) && s[i+1] == 0x85
	case 0xE2:
		return i+2 < len(s) && s[i+1] == 0x80 && (s[i+2] == 0xA8 || s[i+2] == 0xA9)
	}
	return false
}

func isBreakRune(r rune) bool {
	return r == '\r' || r == '\n' || r == 0x85 || r == 0x2028 || r == 0x2029
}

// resolvesNonStr reports whether base64 text s, written plain, would read
// as something other than a string under the library's resolve rules:
// true, null and the like, or a number. s holds only [A-Za-z0-9+/=], so
// floats with a dot, timestamps and the other rules never apply.
func resolvesNonStr(s string) bool {
	switch s {
	case "true", "True", "TRUE", "false", "False", "FALSE", "null", "Null", "NULL":
		return true
	}
	if s == "" || !(s[0] == '+' || '0' <= s[0] && s[0] <= '9') {
		return false
	}
	if _, err := strconv.ParseInt(s, 0, 64); err == nil {
		return true
	}
	if _, err := strconv.ParseUint(s, 0, 64); err == nil {
		return true
	}
	if isYAMLFloat(s) {
		if _, err := strconv.ParseFloat(s, 64); err == nil {
			return true
		}
	}
	for prefix, base := range map[string]int{"0b": 2, "0o": 8} {
		if rest, ok := strings.CutPrefix(s, prefix); ok {
			_, ierr := strconv.ParseInt(rest, base, 64) // accepts a sign
			_, uerr := strconv.ParseUint(rest, base, 64)
			if ierr == nil || uerr == nil {
				return true
			}
		}
	}
	return false
}

// isYAMLFloat matches ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$,
// the library's float syntax, for text without dots or minus signs.
func isYAMLFloat(s string) bool {
	s = strings.TrimPrefix(s, "+")
	digits := func(s string) (rest string, n int) {
		for n < len(s) && '0' <= s[n] && s[n] <= '9' {
			n++
		}
		return s[n:], n
	}
	s, n := digits(s)
	if n == 0 {
		return false
	}
	if s == "" {
		return true
	}
	if s[0] != 'e' && s[0] != 'E' {
		return false
	}
	s = s[1:]
	s = strings.TrimPrefix(s, "+")
	s, n = digits(s)
	return n > 0 && s == ""
}
