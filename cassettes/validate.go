package cassettes

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/corsvcr/corsvcr/internal/fetch"
)

// Validate reports every problem in c at once (errors.Join of *FieldError).
// It checks what Decode checks after parsing: a known kind that agrees with
// Classify, a token method, an absolute http or https URL, token header
// names, header values without CR, LF or NUL, and a final status, 200..999
// (StatusProblem).
// A zero Version means FormatVersion.
func (c *Cassette) Validate() error {
	if c == nil {
		return &FieldError{Interaction: -1, Reason: "nil cassette"}
	}
	return join(check(c, "", nil))
}

// join is errors.Join for a typed slice.
func join(errs []*FieldError) error {
	if len(errs) == 0 {
		return nil
	}
	es := make([]error, len(errs))
	for i, e := range errs {
		es[i] = e
	}
	return errors.Join(es...)
}

// fieldKey names one field of a cassette: path is relative to interaction
// ("request.headers[1].value"), or to the top level when interaction is -1.
// The empty path is the interaction (or the document) itself.
type fieldKey struct {
	interaction int
	path        string
}

// positions links the fields of a decoded cassette to their YAML lines and
// remembers the fields that failed to decode, so that validation neither
// reports them twice nor trips over their zero values.
type positions struct {
	lines   map[fieldKey]int
	bad     map[fieldKey]bool // fields that failed to decode
	tainted map[fieldKey]bool // fields with a bad field inside
}

func newPositions() positions {
	return positions{lines: map[fieldKey]int{}, bad: map[fieldKey]bool{}, tainted: map[fieldKey]bool{}}
}

// markBad records that the field failed to decode.
func (p *positions) markBad(i int, path string) {
	p.bad[fieldKey{i, path}] = true
	for path != "" {
		path = parent(path)
		p.tainted[fieldKey{i, path}] = true
	}
}

// line returns the line of the field, or of its closest ancestor that has
// one (the parent mapping of a missing key).
func (p *positions) line(i int, path string) int {
	if p == nil {
		return 0
	}
	for {
		if l, ok := p.lines[fieldKey{i, path}]; ok {
			return l
		}
		if path == "" {
			return 0
		}
		path = parent(path)
	}
}

// skip reports whether the field, or one of its ancestors, failed to decode.
func (p *positions) skip(i int, path string) bool {
	if p == nil {
		return false
	}
	for {
		if p.bad[fieldKey{i, path}] {
			return true
		}
		if path == "" {
			return false
		}
		path = parent(path)
	}
}

// badUnder reports whether the field, one of its ancestors or one of the
// fields inside it failed to decode.
func (p *positions) badUnder(i int, path string) bool {
	return p != nil && p.tainted[fieldKey{i, path}] || p.skip(i, path)
}

// parent returns the path of the field that contains path.
func parent(path string) string {
	if i := strings.LastIndexAny(path, ".["); i >= 0 {
		return path[:i]
	}
	return ""
}

// checker collects the semantic problems of a cassette. With pos set (by
// Decode) problems carry YAML lines.
type checker struct {
	file string
	pos  *positions
	errs []*FieldError
}

// check validates c; file and pos may be zero.
func check(c *Cassette, file string, pos *positions) []*FieldError {
	k := &checker{file: file, pos: pos}
	if !k.pos.skip(-1, "version") {
		switch {
		case c.Version < 0:
			k.add(-1, "version", "version", fmt.Sprintf("%d is not a valid format version", c.Version))
		case c.Version > FormatVersion:
			k.add(-1, "version", "version", fmt.Sprintf("%d is newer than this corsvcr supports (%d)", c.Version, FormatVersion))
		}
	}
	k.originMap(c.Meta.OriginMap)
	for i := range c.Interactions {
		if !k.pos.skip(i, "") {
			k.interaction(i, &c.Interactions[i])
		}
	}
	return k.errs
}

func (k *checker) add(i int, path, field, reason string) {
	k.errs = append(k.errs, &FieldError{
		File:        k.file,
		Interaction: i,
		Line:        k.pos.line(i, path),
		Field:       field,
		Reason:      reason,
	})
}

func (k *checker) interaction(i int, it *Interaction) {
	req, resp := &it.Request, &it.Response
	if k.kind(i, it.Kind) && k.classifiable(i, req) {
		if want := Classify(req.Method, req.Headers); it.Kind != want {
			k.add(i, "kind", "kind", fmt.Sprintf("%q does not match the request, which is %q (%s)", it.Kind, want, why[want]))
		}
	}
	k.method(i, req.Method)
	k.url(i, req.URL)
	k.headers(i, "request.headers", req.Headers)
	k.status(i, resp.Status)
	k.headers(i, "response.headers", resp.Headers)
}

// classifiable reports whether req decoded cleanly and has a sound method
// and header names, so that a kind mismatch is a problem of its own rather
// than a consequence of another one.
func (k *checker) classifiable(i int, req *Request) bool {
	if !fetch.IsToken(req.Method) || k.pos.badUnder(i, "request") {
		return false
	}
	for _, h := range req.Headers {
		if !fetch.IsToken(h.Name) {
			return false
		}
	}
	return true
}

// why explains each result of Classify.
var why = map[Kind]string{
	KindPreflight: "OPTIONS with Origin and Access-Control-Request-Method",
	KindActual:    "has Origin but is no preflight",
	KindOther:     "has no Origin",
}

func (k *checker) kind(i int, kind Kind) bool {
	if k.pos.skip(i, "kind") {
		return false
	}
	switch kind {
	case KindPreflight, KindActual, KindOther:
		return true
	case "":
		k.add(i, "kind", "kind", "missing")
	default:
		k.add(i, "kind", "kind", fmt.Sprintf("%q is not one of preflight, actual, other", kind))
	}
	return false
}

func (k *checker) method(i int, m string) {
	const path = "request.method"
	switch {
	case k.pos.skip(i, path):
	case m == "":
		k.add(i, path, path, "missing")
	case !fetch.IsToken(m):
		k.add(i, path, path, fmt.Sprintf("%q is not a valid HTTP method", m))
	}
}

func (k *checker) url(i int, s string) {
	const path = "request.url"
	if k.pos.skip(i, path) {
		return
	}
	if s == "" {
		k.add(i, path, path, "missing")
		return
	}
	u, err := url.Parse(s)
	var uerr *url.Error
	switch {
	case errors.As(err, &uerr):
		k.add(i, path, path, fmt.Sprintf("%q is not a valid URL: %v", s, uerr.Err))
	case err != nil:
		k.add(i, path, path, fmt.Sprintf("%q is not a valid URL: %v", s, err))
	case u.Scheme != "http" && u.Scheme != "https":
		k.add(i, path, path, fmt.Sprintf("%q is not an absolute http or https URL", s))
	case u.Host == "":
		k.add(i, path, path, fmt.Sprintf("%q has no host", s))
	}
}

func (k *checker) headers(i int, path string, hs Headers) {
	for j, h := range hs {
		if fetch.IsToken(h.Name) && strings.IndexAny(h.Value, "\r\n\x00") < 0 {
			continue // nothing to report, whatever failed to decode
		}
		p := fmt.Sprintf("%s[%d]", path, j)
		if !k.pos.skip(i, p+".name") {
			switch {
			case h.Name == "":
				k.add(i, p+".name", p, "empty name")
			case !fetch.IsToken(h.Name):
				k.add(i, p+".name", fmt.Sprintf("%s %q", p, h.Name), "not a valid header name")
			}
		}
		if !k.pos.skip(i, p+".value") {
			if n := strings.IndexAny(h.Value, "\r\n\x00"); n >= 0 {
				k.add(i, p+".value", fmt.Sprintf("%s %q", p, h.Name), fmt.Sprintf("value contains %q", h.Value[n:n+1]))
			}
		}
	}
}

func (k *checker) status(i, s int) {
	const path = "response.status"
	switch {
	case k.pos.skip(i, path):
	case s == 0:
		k.add(i, path, path, "missing")
	default:
		if why := StatusProblem(s); why != "" {
			k.add(i, path, path, why)
		}
	}
}

// StatusProblem returns why a response cannot have status s, or "" when
// it can. A recorded response is a final one, 200..999, which is what
// replay serves: a 1xx status is informational (net/http writes it as an
// interim response and then a 200; a 101 switches protocols), and a
// status outside 100..999 is no HTTP status at all. Validate, Decode and
// replay (for a cassette built in Go) apply this one rule.
func StatusProblem(s int) string {
	switch {
	case s < 100 || s > 999:
		return fmt.Sprintf("%d is not a valid HTTP status", s)
	case s < 200:
		return fmt.Sprintf("%d is not a final HTTP status (1xx is informational; want 200..999)", s)
	}
	return ""
}

// originMap checks that every mapping joins two distinct origins and that
// no recorded origin is mapped twice.
func (k *checker) originMap(ms []OriginMapping) {
	seen := map[string]int{}
	for j, m := range ms {
		p := fmt.Sprintf("meta.origin_map[%d]", j)
		for _, f := range []struct{ name, v string }{{"from", m.From}, {"to", m.To}} {
			if k.pos.skip(-1, p+"."+f.name) {
				continue
			}
			if prob := fetch.OriginProblem(f.v); prob != "" {
				k.add(-1, p+"."+f.name, p+"."+f.name, prob)
			}
		}
		switch first, dup := seen[m.From]; {
		case m.From == "":
		case dup:
			k.add(-1, p+".from", p+".from", fmt.Sprintf("%q is already mapped by meta.origin_map[%d]", m.From, first))
		case m.From == m.To:
			k.add(-1, p+".to", p+".to", fmt.Sprintf("%q maps an origin to itself", m.To))
		default:
			seen[m.From] = j
		}
	}
}
