package checks

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"go.yaml.in/yaml/v3"

	"github.com/corsvcr/corsvcr/internal/atomicfile"
)

// Encode writes f as a check file in the documented format (see File), so
// that Parse reads back the same File. Fields at their defaults (method GET,
// credentials same-origin, mode cors, api fetch, cache default, redirect
// follow, a check page
// equal to the file's page) are left out; a check of one step is written
// with request and expect, a longer one with steps. Expectations that are
// not set are left out, and a check without any has no expect.
//
// Encode refuses a File that Parse would refuse for its shape: no checks, a
// check without a name or steps, or a request without a URL.
func Encode(f *File) ([]byte, error) {
	if f == nil || len(f.Checks) == 0 {
		return nil, errors.New("checks: encode: no checks")
	}
	root := &yaml.Node{Kind: yaml.MappingNode}
	encPut(root, "version", &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: "1"})
	if f.Page != "" {
		encPut(root, "page", encStr(f.Page))
	}
	list := &yaml.Node{Kind: yaml.SequenceNode}
	for i, c := range f.Checks {
		if c.Visit != nil {
			if c.Name == "" {
				return nil, fmt.Errorf("checks: encode: check %d: no name", i+1)
			}
			if c.Visit.URL == "" {
				return nil, fmt.Errorf("checks: encode: check %d %q: visit.url: missing", i+1, c.Name)
			}
			n := &yaml.Node{Kind: yaml.MappingNode}
			encPut(n, "name", encStr(c.Name))
			visitNode(n, c)
			list.Content = append(list.Content, n)
			continue
		}
		switch {
		case c.Name == "":
			return nil, fmt.Errorf("checks: encode: check %d: no name", i+1)
		case len(c.Steps) == 0:
			return nil, fmt.Errorf("checks: encode: check %d %q: no steps", i+1, c.Name)
		case c.Page == "" && f.Page == "":
			return nil, fmt.Errorf("checks: encode: check %d %q: no page, and the file has none", i+1, c.Name)
		}
		n := &yaml.Node{Kind: yaml.MappingNode}
		encPut(n, "name", encStr(c.Name))
		if c.Page != "" && c.Page != f.Page {
			encPut(n, "page", encStr(c.Page))
		}
		for j, s := range c.Steps {
			if s.Request.URL == "" {
				return nil, fmt.Errorf("checks: encode: check %d %q: step %d: request.url: missing", i+1, c.Name, j+1)
			}
		}
		if len(c.Steps) == 1 && c.Steps[0].Wait == 0 {
			encPut(n, "request", requestNode(c.Steps[0].Request))
			if e := expectNode(c.Steps[0].Expect); e != nil {
				encPut(n, "expect", e)
			}
		} else {
			steps := &yaml.Node{Kind: yaml.SequenceNode}
			for _, s := range c.Steps {
				sn := &yaml.Node{Kind: yaml.MappingNode}
				if s.Wait > 0 {
					encPut(sn, "wait", encStr(s.Wait.String()))
				}
				encPut(sn, "request", requestNode(s.Request))
				if e := expectNode(s.Expect); e != nil {
					encPut(sn, "expect", e)
				}
				steps.Content = append(steps.Content, sn)
			}
			encPut(n, "steps", steps)
		}
		list.Content = append(list.Content, n)
	}
	encPut(root, "checks", list)

	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(root); err != nil {
		return nil, fmt.Errorf("checks: encode: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("checks: encode: %w", err)
	}
	return buf.Bytes(), nil
}

func requestNode(r Request) *yaml.Node {
	def := Request{}.WithDefaults()
	n := &yaml.Node{Kind: yaml.MappingNode}
	encPut(n, "url", encStr(r.URL))
	if r.Method != "" && r.Method != def.Method {
		encPut(n, "method", encStr(r.Method))
	}
	if len(r.Headers) > 0 {
		h := &yaml.Node{Kind: yaml.MappingNode, Style: yaml.FlowStyle}
		for _, f := range r.Headers {
			encPut(h, f.Name, encStr(f.Value))
		}
		encPut(n, "headers", h)
	}
	if r.Body != "" {
		encPut(n, "body", encStr(r.Body))
	}
	for _, f := range []struct{ key, v, def string }{
		{"credentials", string(r.Credentials), string(def.Credentials)},
		{"mode", string(r.Mode), string(def.Mode)},
		{"api", string(r.API), string(def.API)},
		{"cache", string(r.Cache), string(def.Cache)},
		{"redirect", string(r.Redirect), string(def.Redirect)},
	} {
		if f.v != "" && f.v != f.def {
			encPut(n, f.key, encStr(f.v))
		}
	}
	return n
}

// expectNode returns the expect mapping of e, or nil when e asserts nothing.
func expectNode(e Expect) *yaml.Node {
	n := &yaml.Node{Kind: yaml.MappingNode}
	if e.Allowed != nil {
		encPut(n, "allowed", encBool(*e.Allowed))
	}
	if e.CorsError != nil {
		encPut(n, "cors_error", encStr(*e.CorsError))
	}
	if e.FailedParameter != nil {
		encPut(n, "failed_parameter", encStr(*e.FailedParameter))
	}
	if e.Preflight != nil {
		encPut(n, "preflight", encBool(*e.Preflight))
	}
	if e.Preflights != nil {
		encPut(n, "preflights", encInt(*e.Preflights))
	}
	if e.Status != nil {
		encPut(n, "status", encInt(*e.Status))
	}
	if e.ReadableHeaders != nil {
		l := &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle}
		for _, h := range e.ReadableHeaders {
			l.Content = append(l.Content, encStr(h))
		}
		encPut(n, "readable_headers", l)
	}
	if e.UnreadableHeaders != nil {
		l := &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle}
		for _, h := range e.UnreadableHeaders {
			l.Content = append(l.Content, encStr(h))
		}
		encPut(n, "unreadable_headers", l)
	}
	if len(n.Content) == 0 {
		return nil
	}
	return n
}

func encPut(m *yaml.Node, key string, v *yaml.Node) {
	m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: key}, v)
}

// encStr is a string scalar; the YAML library quotes it when it would read as
// anything else (a number, a boolean, null).
func encStr(s string) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s}
}

func encBool(b bool) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: strconv.FormatBool(b)}
}

func encInt(i int) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: strconv.Itoa(i)}
}

// Save writes f to path as a check file (Encode), atomically, creating its
// directory. A symlink at path is followed; an existing file keeps its
// mode, a new one gets 0644, or 0600 with WithSecrets.
func Save(path string, f *File, opts ...SaveOption) error {
	var o atomicfile.Options
	for _, opt := range opts {
		opt(&o)
	}
	data, err := Encode(f)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("checks: save %q: %w", path, err)
	}
	if err := atomicfile.WriteFile(path, data, o); err != nil {
		return fmt.Errorf("checks: save %q: %w", path, err)
	}
	return nil
}

// SaveOption configures Save.
type SaveOption func(*atomicfile.Options)

// WithSecrets says the check file holds unredacted secrets (request
// headers and bodies kept as recorded): a new file gets mode 0600 instead
// of 0644 and an existing one loses any group and other permission.
func WithSecrets() SaveOption {
	return func(o *atomicfile.Options) { o.Private = true }
}
