package cassettes

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/corsvcr/corsvcr/internal/suggest"
)

// Decode parses and validates a cassette. name is used in error messages
// (usually the file path). Every validation problem is reported at once as
// an errors.Join of *FieldError values, in file order; a newer format
// version gives a *VersionError alone.
//
// Decode reads a scalar as the text written: null, ~, yes and 123 are the
// strings "null", "~", "yes" and "123" wherever a string is expected.
func Decode(name string, data []byte) (*Cassette, error) {
	return decode(name, data, false)
}

// decode is Decode; owned says that data is the decoder's to keep (see
// fastDecode).
func decode(name string, data []byte, owned bool) (*Cassette, error) {
	// Files as Encode writes them take the fast path; anything else, and
	// every invalid cassette, the general decoder, which reports problems
	// with their lines.
	if c, ok := fastDecode(data, owned); ok && len(check(c, name, nil)) == 0 {
		return c, nil
	}
	return decodeGeneral(name, data)
}

// decodeGeneral is Decode through the YAML library's node tree: it reads
// any YAML and reports every problem with its line.
func decodeGeneral(name string, data []byte) (*Cassette, error) {
	root, ferr := parse(data)
	if ferr != nil {
		ferr.File = name
		return nil, ferr
	}
	d := &decoder{
		file: name,
		pos:  newPositions(),
	}
	c, verr := d.cassette(root)
	if verr != nil {
		return nil, verr
	}
	errs := append(d.errs, check(c, name, &d.pos)...)
	slices.SortStableFunc(errs, func(a, b *FieldError) int { return a.Line - b.Line })
	if err := join(errs); err != nil {
		return nil, err
	}
	return c, nil
}

// yamlLine splits "yaml: line 3: did not find expected key".
var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// parse returns the top node of the single YAML document in data.
func parse(data []byte) (root *yaml.Node, ferr *FieldError) {
	defer func() {
		// The YAML library recovers its own panics; this guards against
		// the ones it misses, so bad input never crashes a caller.
		if r := recover(); r != nil {
			root, ferr = nil, &FieldError{Interaction: -1, Reason: fmt.Sprintf("invalid YAML: %v", r)}
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc, extra yaml.Node
	err := dec.Decode(&doc)
	if errors.Is(err, io.EOF) {
		return nil, &FieldError{Interaction: -1, Reason: "empty document"}
	}
	if err == nil {
		if err = dec.Decode(&extra); err == nil {
			return nil, &FieldError{Interaction: -1, Line: extra.Line, Reason: "more than one YAML document"}
		}
		if errors.Is(err, io.EOF) {
			err = nil
		}
	}
	if err != nil {
		msg := err.Error()
		if m := yamlLine.FindStringSubmatch(msg); m != nil {
			line, _ := strconv.Atoi(m[1])
			return nil, &FieldError{Interaction: -1, Line: line, Reason: "invalid YAML: " + m[2]}
		}
		return nil, &FieldError{Interaction: -1, Reason: "invalid YAML: " + strings.TrimPrefix(msg, "yaml: ")}
	}
	if len(doc.Content) != 1 {
		return nil, &FieldError{Interaction: -1, Reason: "empty document"}
	}
	return doc.Content[0], nil
}

// decoder turns YAML nodes into a Cassette, collecting structural problems
// (wrong node kinds, unknown keys, bad base64) and the line of every field.
type decoder struct {
	file string
	pos  positions
	errs []*FieldError
}

// fail reports a problem with node n, which holds the field at path, and
// marks that field as bad.
func (d *decoder) fail(i int, path string, n *yaml.Node, field, reason string) {
	d.errs = append(d.errs, &FieldError{File: d.file, Interaction: i, Line: n.Line, Field: field, Reason: reason})
	d.pos.markBad(i, path)
}

func (d *decoder) cassette(root *yaml.Node) (*Cassette, *VersionError) {
	c := &Cassette{}
	d.pos.lines[fieldKey{-1, ""}] = root.Line
	if root.Kind == yaml.MappingNode {
		// The version decides how to read everything else, so it comes
		// first, before unknown keys are reported.
		if v := lookup(root, "version"); v == nil {
			d.fail(-1, "version", root, "version", "missing")
		} else if n, ok := d.integer(-1, "version", v); ok {
			if n > FormatVersion {
				return nil, &VersionError{File: d.file, Found: n, Supported: FormatVersion}
			}
			if n < 1 {
				d.fail(-1, "version", v, "version", fmt.Sprintf("%d is not a valid format version", n))
			}
			c.Version = n
		}
	}
	f := d.mapping(-1, "", root, "version", "meta", "interactions")
	if f == nil {
		return c, nil
	}
	if n := f["meta"]; n != nil && !isNull(n) {
		if m := d.mapping(-1, "meta", n, "corsvcr", "browser", "origin_map"); m != nil {
			c.Meta.Corsvcr = d.str(-1, "meta.corsvcr", m["corsvcr"])
			c.Meta.Browser = d.str(-1, "meta.browser", m["browser"])
			c.Meta.OriginMap = d.originMap(m["origin_map"])
		}
	}
	if n := f["interactions"]; n != nil && !isNull(n) && d.want(-1, "interactions", n, yaml.SequenceNode) {
		for i, item := range n.Content {
			c.Interactions = append(c.Interactions, d.interaction(i, item))
		}
	}
	return c, nil
}

// originMap decodes meta.origin_map: a list of {from, to} mappings.
func (d *decoder) originMap(n *yaml.Node) []OriginMapping {
	const path = "meta.origin_map"
	if n == nil || isNull(n) || !d.want(-1, path, n, yaml.SequenceNode) {
		return nil
	}
	var ms []OriginMapping
	for j, item := range n.Content {
		p := fmt.Sprintf("%s[%d]", path, j)
		var m OriginMapping
		if f := d.mapping(-1, p, item, "from", "to"); f != nil {
			m.From = d.str(-1, p+".from", f["from"])
			m.To = d.str(-1, p+".to", f["to"])
		}
		ms = append(ms, m)
	}
	return ms
}

func (d *decoder) interaction(i int, n *yaml.Node) Interaction {
	var it Interaction
	f := d.mapping(i, "", n, "kind", "request", "response")
	if f == nil {
		return it
	}
	it.Kind = Kind(d.str(i, "kind", f["kind"]))
	if r := d.mapping(i, "request", f["request"], "method", "url", "headers", "body"); r != nil {
		it.Request.Method = d.str(i, "request.method", r["method"])
		it.Request.URL = d.str(i, "request.url", r["url"])
		it.Request.Headers = d.headers(i, "request.headers", r["headers"])
		it.Request.Body = d.body(i, "request.body", r["body"])
	}
	if r := d.mapping(i, "response", f["response"], "status", "headers", "body"); r != nil {
		if n := r["status"]; n != nil {
			if s, ok := d.integer(i, "response.status", n); ok {
				if s == 0 {
					d.fail(i, "response.status", n, "response.status", "0 is not a valid HTTP status")
				}
				it.Response.Status = s
			}
		}
		it.Response.Headers = d.headers(i, "response.headers", r["headers"])
		it.Response.Body = d.body(i, "response.body", r["body"])
	}
	return it
}

func (d *decoder) headers(i int, path string, n *yaml.Node) Headers {
	if n == nil || isNull(n) || !d.want(i, path, n, yaml.SequenceNode) {
		return nil
	}
	var hs Headers
	for j, item := range n.Content {
		p := fmt.Sprintf("%s[%d]", path, j)
		var h Header
		if f := d.mapping(i, p, item, "name", "value"); f != nil {
			h.Name = d.str(i, p+".name", f["name"])
			if f["value"] == nil {
				d.fail(i, p+".value", item, fmt.Sprintf("%s %q", p, h.Name), `missing value (write value: "" for an empty one)`)
			}
			h.Value = d.str(i, p+".value", f["value"])
		}
		hs = append(hs, h)
	}
	return hs
}

func (d *decoder) body(i int, path string, n *yaml.Node) Body {
	if n == nil {
		return nil
	}
	d.pos.lines[fieldKey{i, path}] = n.Line
	var b []byte
	switch n.Kind {
	case yaml.ScalarNode:
		b = []byte(d.str(i, path, n))
	case yaml.MappingNode:
		f := d.mapping(i, path, n, "base64")
		if f == nil {
			return nil
		}
		v := f["base64"]
		if v == nil {
			d.fail(i, path, n, path, `missing key "base64"`)
			return nil
		}
		s := d.str(i, path+".base64", v)
		var err error
		if b, err = base64.StdEncoding.DecodeString(s); err != nil {
			d.fail(i, path+".base64", v, path+".base64", "invalid base64: "+err.Error())
			return nil
		}
	default:
		d.fail(i, path, n, path, "expected text or a base64 mapping, got "+describe(n))
	}
	if len(b) == 0 {
		return nil
	}
	return b
}

// mapping checks that n is a mapping whose keys are all in keys and returns
// its values by key; nil when n is not a mapping. A nil n is a missing
// mapping: an empty one, whose fields validation reports as missing.
func (d *decoder) mapping(i int, path string, n *yaml.Node, keys ...string) map[string]*yaml.Node {
	if n == nil {
		return map[string]*yaml.Node{}
	}
	d.pos.lines[fieldKey{i, path}] = n.Line
	if !d.want(i, path, n, yaml.MappingNode) {
		return nil
	}
	m := make(map[string]*yaml.Node, len(keys))
	for j := 0; j+1 < len(n.Content); j += 2 {
		k, v := n.Content[j], n.Content[j+1]
		switch {
		case k.Kind != yaml.ScalarNode:
			d.fail(i, path, k, path, "expected a key, got "+describe(k))
		case !slices.Contains(keys, k.Value):
			// Marking the unknown field bad keeps the kind check quiet:
			// the key may have been meant to hold a header.
			d.fail(i, join2(path, k.Value), k, path, fmt.Sprintf("unknown key %q%s", k.Value, didYouMean(k.Value, keys)))
		case m[k.Value] != nil:
			d.fail(i, join2(path, k.Value), k, join2(path, k.Value), "duplicate key")
		default:
			m[k.Value] = v
			d.pos.lines[fieldKey{i, join2(path, k.Value)}] = v.Line
		}
	}
	return m
}

// want checks that n is a node of the given kind.
func (d *decoder) want(i int, path string, n *yaml.Node, kind yaml.Kind) bool {
	if n.Kind == kind {
		return true
	}
	d.fail(i, path, n, path, fmt.Sprintf("expected %s, got %s", describe(&yaml.Node{Kind: kind}), describe(n)))
	return false
}

// str returns the text of scalar n, "" when n is nil. A !!binary scalar
// holds base64; Encode writes one for text that is not valid UTF-8.
func (d *decoder) str(i int, path string, n *yaml.Node) string {
	if n == nil {
		return ""
	}
	if n.Kind != yaml.ScalarNode {
		d.fail(i, path, n, path, "expected a string, got "+describe(n))
		return ""
	}
	if n.Style&yaml.TaggedStyle == 0 {
		return n.Value
	}
	switch n.ShortTag() {
	case "!!str":
		return n.Value
	case "!!binary":
		b, err := base64.StdEncoding.DecodeString(n.Value)
		if err != nil {
			d.fail(i, path, n, path, "invalid !!binary: "+err.Error())
			return ""
		}
		return string(b)
	}
	d.fail(i, path, n, path, fmt.Sprintf("unsupported tag %q", n.Tag))
	return ""
}

// integer returns the value of a decimal integer scalar.
func (d *decoder) integer(i int, path string, n *yaml.Node) (int, bool) {
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!int" {
		if v, err := strconv.Atoi(n.Value); err == nil {
			return v, true
		}
	}
	d.fail(i, path, n, path, "expected a decimal integer, got "+describe(n))
	return 0, false
}

// lookup returns the value of key in mapping n, or nil.
func lookup(n *yaml.Node, key string) *yaml.Node {
	for j := 0; j+1 < len(n.Content); j += 2 {
		if k := n.Content[j]; k.Kind == yaml.ScalarNode && k.Value == key {
			return n.Content[j+1]
		}
	}
	return nil
}

// isNull reports whether n is a null scalar, such as a key without value.
func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

// describe names n for error messages.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a sequence"
	case yaml.AliasNode:
		return "an alias (anchors and aliases are not supported)"
	case yaml.ScalarNode:
		if isNull(n) && n.Value == "" {
			return "nothing"
		}
		v := n.Value
		if len(v) > 40 {
			v = v[:37] + "..."
		}
		return strconv.Quote(v)
	}
	return "a YAML node of kind " + strconv.Itoa(int(n.Kind))
}

// join2 appends key to path.
func join2(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// didYouMean returns ` (did you mean "x"?)` for the known key closest to
// a mistyped one, at most two edits away, or "".
func didYouMean(key string, keys []string) string {
	best, ok := suggest.Closest(strings.ToLower(key), keys, 2)
	if !ok {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}
