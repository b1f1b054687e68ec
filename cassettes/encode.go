package cassettes

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// Encode returns the canonical YAML encoding of c: the same cassette always
// gives the same bytes, and Decode(Encode(c)) equals c. Encode refuses an
// invalid cassette with the errors of Validate.
func Encode(c *Cassette) ([]byte, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return emit(c), nil
}

// encodeYAML is the reference encoding of a valid cassette: a node tree
// written by the YAML library. Encode writes the same bytes with the
// canonical emitter (emit.go), tens of times faster; the differential
// tests and fuzzers hold the two equal.
func encodeYAML(c *Cassette) ([]byte, error) {
	root := mappingNode(false)
	add(root, "version", intNode(FormatVersion))
	if meta := mappingNode(false); !c.Meta.isZero() {
		if c.Meta.Corsvcr != "" {
			add(meta, "corsvcr", strNode(c.Meta.Corsvcr, false))
		}
		if c.Meta.Browser != "" {
			add(meta, "browser", strNode(c.Meta.Browser, false))
		}
		if len(c.Meta.OriginMap) > 0 {
			seq := &yaml.Node{Kind: yaml.SequenceNode}
			for _, m := range c.Meta.OriginMap {
				f := mappingNode(true)
				add(f, "from", strNode(m.From, true))
				add(f, "to", strNode(m.To, true))
				seq.Content = append(seq.Content, f)
			}
			add(meta, "origin_map", seq)
		}
		add(root, "meta", meta)
	}
	its := &yaml.Node{Kind: yaml.SequenceNode}
	if len(c.Interactions) == 0 {
		its.Style = yaml.FlowStyle // interactions: []
	}
	for i := range c.Interactions {
		its.Content = append(its.Content, interactionNode(&c.Interactions[i]))
	}
	add(root, "interactions", its)

	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(root); err != nil {
		return nil, fmt.Errorf("cassettes: encode: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("cassettes: encode: %w", err)
	}
	return buf.Bytes(), nil
}

func interactionNode(it *Interaction) *yaml.Node {
	req := mappingNode(false)
	add(req, "method", strNode(it.Request.Method, false))
	add(req, "url", strNode(it.Request.URL, false))
	addHeaders(req, it.Request.Headers)
	addBody(req, it.Request.Body)

	resp := mappingNode(false)
	add(resp, "status", intNode(it.Response.Status))
	addHeaders(resp, it.Response.Headers)
	addBody(resp, it.Response.Body)

	n := mappingNode(false)
	add(n, "kind", strNode(string(it.Kind), false))
	add(n, "request", req)
	add(n, "response", resp)
	return n
}

// addHeaders adds one flow mapping a line: - {name: Origin, value: "..."}.
func addHeaders(m *yaml.Node, hs Headers) {
	if len(hs) == 0 {
		return
	}
	seq := &yaml.Node{Kind: yaml.SequenceNode}
	for _, h := range hs {
		f := mappingNode(true)
		add(f, "name", strNode(h.Name, true))
		add(f, "value", strNode(h.Value, true))
		seq.Content = append(seq.Content, f)
	}
	add(m, "headers", seq)
}

// addBody adds b as text if it is text, as {base64: ...} otherwise.
func addBody(m *yaml.Node, b Body) {
	switch {
	case len(b) == 0:
	case b.IsText():
		n := strNode(string(b), false)
		// The YAML library falls back to a double-quoted string when a
		// block scalar cannot hold the text exactly (CR, trailing spaces,
		// characters it does not print), but it cannot tell that a block
		// starting with a tab does not read back: the tab lands where
		// the reader guesses the indentation.
		if bytes.IndexByte(b, '\n') >= 0 && b[0] != '\t' {
			n.Style = yaml.LiteralStyle
		}
		add(m, "body", n)
	default:
		enc := mappingNode(false)
		// Tagged !!str so that the YAML library quotes base64 that would
		// read as a number, such as "1234".
		add(enc, "base64", &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: base64.StdEncoding.EncodeToString(b)})
		add(m, "body", enc)
	}
}

// IsText reports whether b is valid UTF-8 made of printable characters,
// tabs and line breaks only, so that it reads well inline: Encode writes
// such a body as text, any other as base64.
func (b Body) IsText() bool {
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		if r == utf8.RuneError && size <= 1 {
			return false
		}
		if r != '\t' && r != '\n' && r != '\r' && !unicode.IsGraphic(r) {
			return false
		}
		b = b[size:]
	}
	return true
}

func mappingNode(flow bool) *yaml.Node {
	n := &yaml.Node{Kind: yaml.MappingNode}
	if flow {
		n.Style = yaml.FlowStyle
	}
	return n
}

func add(m *yaml.Node, key string, v *yaml.Node) {
	m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: key}, v)
}

func intNode(v int) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: strconv.Itoa(v)}
}

// strNode returns a string scalar in the style a reviewer reads best: plain
// when no YAML parser can take it for anything else, single-quoted when it
// holds quotes or backslashes, double-quoted (with escapes) otherwise.
// Strings that are not valid UTF-8 become !!binary base64 (done by the YAML
// library). flow says whether the scalar sits in a flow collection.
func strNode(s string, flow bool) *yaml.Node {
	n := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s}
	switch {
	case !utf8.ValidString(s):
		n.Tag = "" // the YAML library writes !!binary
	case plainOK(s, flow):
	case strings.ContainsAny(s, `"\`) && printable(s):
		n.Style = yaml.SingleQuotedStyle
	default:
		n.Style = yaml.DoubleQuotedStyle
	}
	return n
}

// plainOK reports whether s can be written unquoted and be read back as
// the same string by any YAML 1.1 or 1.2 parser. It is stricter than
// necessary on purpose: only text starting with a letter, in printable
// ASCII, without the sequences that YAML gives a meaning.
func plainOK(s string, flow bool) bool {
	if s == "" || !('a' <= s[0] && s[0] <= 'z' || 'A' <= s[0] && s[0] <= 'Z') {
		return false
	}
	if last := s[len(s)-1]; last == ' ' || last == ':' {
		return false
	}
	// One pass for what used to be five: printable ASCII only, no ": "
	// (a colon is never last here), no " #" (a hash is never first), and
	// in a flow collection none of ,[]{}:#.
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c < 0x20 || c > 0x7e:
			return false
		case c == ':':
			if flow || s[i+1] == ' ' {
				return false
			}
		case c == '#':
			if flow || s[i-1] == ' ' {
				return false
			}
		case flow && (c == ',' || c == '[' || c == ']' || c == '{' || c == '}'):
			return false
		}
	}
	if len(s) <= 5 { // ASCII here, so EqualFold is ToLower and ==
		for _, w := range []string{"y", "n", "yes", "no", "on", "off", "true", "false", "null"} {
			if strings.EqualFold(s, w) {
				return false
			}
		}
	}
	return true
}

// printable reports whether s needs no escapes: printable characters and
// spaces only.
func printable(s string) bool {
	for _, r := range s {
		if !unicode.IsPrint(r) && r != ' ' {
			return false
		}
	}
	return true
}
