package checks

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// File is a parsed check file (version 1).
//
//	version: 1
//	page: http://localhost:8080          # default page origin
//	checks:
//	  - name: vue-posts-json
//	    page: http://localhost:8080      # optional per-check override
//	    request:
//	      url: http://localhost:8000/api/v1/stats
//	      method: POST                   # default GET
//	      headers: {Content-Type: application/json}
//	      body: '{"category":"CI_JOB","value":10}'
//	      credentials: include           # omit | same-origin (default) | include
//	      mode: cors                     # cors (default) | no-cors | same-origin
//	      api: fetch                     # fetch (default) | xhr
//	      cache: default                 # fetch cache mode (fetch only)
//	      redirect: follow               # follow (default) | error | manual (fetch only)
//	    expect:                          # every field optional
//	      allowed: true
//	      cors_error: ""
//	      failed_parameter: ""
//	      preflight: true
//	      preflights: 1
//	      status: 200
//	      readable_headers: [X-Total-Count]
//	  - name: login-then-read            # several requests in one browser state
//	    steps:                           # instead of request and expect
//	      - request: {url: http://localhost:8000/login, method: POST, credentials: include}
//	      - request: {url: http://localhost:8000/me, credentials: include}
//	        expect: {allowed: true}
//	      - wait: 1.5s                   # wall time before this step (not the first), at most 10s
//	        request: {url: http://localhost:8000/me, credentials: include}
//
// Parse fills in the defaults, so every Request of a File has its Method,
// Credentials, Mode, API, Cache and Redirect set, and every Check its Page. A check
// written with request and expect has one step. Headers keep the file's
// order.
type File struct {
	Version int
	Page    string // default page origin
	Checks  []Check
}

// Parse parses a check file; name is used in error messages. Every
// problem is reported at once (errors.Join), each naming the file, the check
// (index from 1 and name), the field and its line:
//
//	checks: "checks.yaml": check 2 "vue-posts-json" (line 14): request.credentials: "includ" is not one of omit, same-origin, include
//	checks: "checks.yaml": check 3 "login" (line 21): step 2: request.url: missing
//
// Unknown keys are errors, so a typo is never silently ignored.
func Parse(name string, data []byte) (*File, error) {
	p := &parser{file: name}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("checks: %q: %w", name, err)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return nil, fmt.Errorf("checks: %q: empty file", name)
	}
	f := p.file1(doc.Content[0])
	if len(p.errs) > 0 {
		return nil, errors.Join(p.errs...)
	}
	return f, nil
}

// Load reads and parses the check file at path.
func Load(path string) (*File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("checks: %w", err)
	}
	return Parse(path, data)
}

// Hosts returns the sorted, distinct authorities ("localhost:8000") of the
// checks' request URLs: the hosts a recorder should record. Default ports
// are written out ("example.com:443").
func (f *File) Hosts() []string {
	var out []string
	for _, c := range f.Checks {
		for _, s := range c.Steps {
			if a := authority(s.Request.URL); a != "" {
				out = append(out, a)
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// authority returns host:port of an http(s) URL, the port defaulted; "" if
// raw is not such a URL.
func authority(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return ""
	}
	port := u.Port()
	if port == "" {
		switch u.Scheme {
		case "http":
			port = "80"
		case "https":
			port = "443"
		default:
			return ""
		}
	}
	return net.JoinHostPort(strings.ToLower(u.Hostname()), port)
}

// parser collects every problem of one file.
type parser struct {
	file string
	errs []error
}

// where names a place in the file: "" for the top level, or a check and
// maybe one of its steps.
type where struct {
	index int // from 1; 0 for the top level
	name  string
	step  int // from 1, in a check written with steps; 0 otherwise
}

func (p *parser) errorf(w where, n *yaml.Node, field, format string, args ...any) {
	var b strings.Builder
	fmt.Fprintf(&b, "checks: %q: ", p.file)
	if w.index > 0 {
		fmt.Fprintf(&b, "check %d", w.index)
		if w.name != "" {
			fmt.Fprintf(&b, " %q", w.name)
		}
		if n != nil {
			fmt.Fprintf(&b, " (line %d)", n.Line)
		}
		b.WriteString(": ")
		if w.step > 0 {
			fmt.Fprintf(&b, "step %d: ", w.step)
		}
	} else if n != nil {
		fmt.Fprintf(&b, "(line %d): ", n.Line)
	}
	if field != "" {
		b.WriteString(field + ": ")
	}
	fmt.Fprintf(&b, format, args...)
	p.errs = append(p.errs, errors.New(b.String()))
}

// fields returns the key/value pairs of a mapping, reporting unknown and
// duplicate keys. prefix names the mapping in messages ("request.").
func (p *parser) fields(w where, n *yaml.Node, prefix string, known ...string) map[string]*yaml.Node {
	out := map[string]*yaml.Node{}
	if n.Kind != yaml.MappingNode {
		p.errorf(w, n, strings.TrimSuffix(prefix, "."), "want a mapping, got %s", kind(n))
		return out
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		switch {
		case !slices.Contains(known, k.Value):
			p.errorf(w, k, prefix+k.Value, "unknown key (want one of %s)", strings.Join(known, ", "))
		case out[k.Value] != nil:
			p.errorf(w, k, prefix+k.Value, "duplicate key")
		default:
			out[k.Value] = v
		}
	}
	return out
}

func kind(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	}
	if n.Tag == "!!null" {
		return "null"
	}
	return strconv.Quote(n.Value)
}

// str returns a scalar's text.
func (p *parser) str(w where, n *yaml.Node, field string) (string, bool) {
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		p.errorf(w, n, field, "want a string, got %s", kind(n))
		return "", false
	}
	return n.Value, true
}

func (p *parser) boolean(w where, n *yaml.Node, field string) *bool {
	var b bool
	if n.Kind != yaml.ScalarNode || n.Tag != "!!bool" || n.Decode(&b) != nil {
		p.errorf(w, n, field, "want true or false, got %s", kind(n))
		return nil
	}
	return &b
}

func (p *parser) integer(w where, n *yaml.Node, field string) (int, bool) {
	var i int
	if n.Kind != yaml.ScalarNode || n.Tag != "!!int" || n.Decode(&i) != nil {
		p.errorf(w, n, field, "want an integer, got %s", kind(n))
		return 0, false
	}
	return i, true
}

func (p *parser) oneOf(w where, n *yaml.Node, field string, allowed ...string) string {
	s, ok := p.str(w, n, field)
	if !ok {
		return ""
	}
	if !slices.Contains(allowed, s) {
		p.errorf(w, n, field, "%q is not one of %s", s, strings.Join(allowed, ", "))
		return ""
	}
	return s
}

// origin checks that s is scheme://host[:port] with scheme http or https.
func originProblem(s string) string {
	u, err := url.Parse(s)
	switch {
	case err != nil:
		return err.Error()
	case u.Scheme != "http" && u.Scheme != "https":
		return "want an http or https origin, scheme://host[:port]"
	case u.Host == "" || u.Opaque != "":
		return "want an origin scheme://host[:port]"
	case u.User != nil:
		return "an origin has no user info"
	case u.Path != "" || u.RawQuery != "" || u.Fragment != "" || u.ForceQuery:
		return "want an origin scheme://host[:port], without path, query or fragment"
	}
	return ""
}

func (p *parser) file1(root *yaml.Node) *File {
	top := where{}
	f := &File{}
	m := p.fields(top, root, "", "version", "page", "checks")
	if root.Kind != yaml.MappingNode {
		return f
	}
	if v := m["version"]; v == nil {
		p.errorf(top, nil, "version", "missing (want 1)")
	} else if i, ok := p.integer(top, v, "version"); ok {
		if i != 1 {
			p.errorf(top, v, "version", "got %d, want 1", i)
		}
		f.Version = i
	}
	if v := m["page"]; v != nil {
		if s, ok := p.str(top, v, "page"); ok {
			if prob := originProblem(s); prob != "" {
				p.errorf(top, v, "page", "%q: %s", s, prob)
			} else {
				f.Page = s
			}
		}
	}
	cs := m["checks"]
	switch {
	case cs == nil:
		p.errorf(top, nil, "checks", "missing")
		return f
	case cs.Kind != yaml.SequenceNode:
		p.errorf(top, cs, "checks", "want a list, got %s", kind(cs))
		return f
	case len(cs.Content) == 0:
		p.errorf(top, cs, "checks", "empty list")
	}
	names := map[string]int{} // name → line of first use
	for i, n := range cs.Content {
		c := p.check(i+1, n, f.Page, root.Content != nil && m["page"] != nil)
		if c.Name != "" {
			if line, dup := names[c.Name]; dup {
				p.errorf(where{index: i + 1, name: c.Name}, n, "name", "duplicate name (first used at line %d)", line)
			} else {
				names[c.Name] = n.Line
			}
		}
		f.Checks = append(f.Checks, c)
	}
	return f
}

func (p *parser) check(index int, n *yaml.Node, defPage string, hasDefPage bool) Check {
	w := where{index: index}
	var c Check
	// Find the name first, so every message of the check can carry it.
	if n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == "name" && n.Content[i+1].Kind == yaml.ScalarNode {
				w.name = n.Content[i+1].Value
			}
		}
	}
	m := p.fields(w, n, "", "name", "page", "request", "expect", "steps")
	if n.Kind != yaml.MappingNode {
		return c
	}
	if v := m["name"]; v == nil {
		p.errorf(w, n, "name", "missing")
	} else if s, ok := p.str(w, v, "name"); ok {
		if strings.TrimSpace(s) == "" {
			p.errorf(w, v, "name", "empty")
		}
		c.Name = s
	}
	c.Page = defPage
	if v := m["page"]; v != nil {
		if s, ok := p.str(w, v, "page"); ok {
			if prob := originProblem(s); prob != "" {
				p.errorf(w, v, "page", "%q: %s", s, prob)
			} else {
				c.Page = s
			}
		}
	} else if !hasDefPage {
		p.errorf(w, n, "page", "missing, and the file has no top-level page")
	}
	if steps := m["steps"]; steps != nil {
		for _, k := range []string{"request", "expect"} {
			if v := m[k]; v != nil {
				p.errorf(w, v, k, "not allowed with steps (put it in a step)")
			}
		}
		c.Steps = p.steps(w, steps)
		return c
	}
	var s Step
	if v := m["request"]; v == nil {
		p.errorf(w, n, "request", "missing (want request, or steps)")
	} else {
		s.Request = p.request(w, v)
	}
	if v := m["expect"]; v != nil {
		s.Expect = p.expect(w, v)
	}
	c.Steps = []Step{s}
	return c
}

// steps parses a check's steps: a non-empty list of {wait, request, expect}.
func (p *parser) steps(w where, n *yaml.Node) []Step {
	if n.Kind != yaml.SequenceNode {
		p.errorf(w, n, "steps", "want a list, got %s", kind(n))
		return nil
	}
	if len(n.Content) == 0 {
		p.errorf(w, n, "steps", "empty list")
		return nil
	}
	out := make([]Step, 0, len(n.Content))
	for i, sn := range n.Content {
		sw := w
		sw.step = i + 1
		var s Step
		m := p.fields(sw, sn, "", "wait", "request", "expect")
		if sn.Kind != yaml.MappingNode {
			out = append(out, s)
			continue
		}
		if v := m["wait"]; v != nil {
			s.Wait = p.wait(sw, v)
		}
		if v := m["request"]; v == nil {
			p.errorf(sw, sn, "request", "missing")
		} else {
			s.Request = p.request(sw, v)
		}
		if v := m["expect"]; v != nil {
			s.Expect = p.expect(sw, v)
		}
		out = append(out, s)
	}
	return out
}

// wait parses a step's wait: a Go duration ("1.5s", "1200ms") in
// (0, MaxWait], on a step after the first.
func (p *parser) wait(w where, n *yaml.Node) time.Duration {
	s, ok := p.str(w, n, "wait")
	if !ok {
		return 0
	}
	d, err := time.ParseDuration(s)
	switch {
	case err != nil:
		p.errorf(w, n, "wait", "%q is not a duration such as 1.5s or 1200ms", s)
	case d <= 0 || d > MaxWait:
		p.errorf(w, n, "wait", "%q is out of range (0s, %v]", s, MaxWait)
	case w.step == 1:
		p.errorf(w, n, "wait", "not allowed on the first step (a check starts from a fresh state: nothing to wait for)")
	default:
		return d
	}
	return 0
}

func (p *parser) request(w where, n *yaml.Node) Request {
	r := Request{Method: "GET", Credentials: "same-origin", Mode: "cors", API: "fetch", Cache: "default", Redirect: "follow"}
	m := p.fields(w, n, "request.", "url", "method", "headers", "body", "credentials", "mode", "api", "cache", "redirect")
	if n.Kind != yaml.MappingNode {
		return r
	}
	if v := m["url"]; v == nil {
		p.errorf(w, n, "request.url", "missing")
	} else if s, ok := p.str(w, v, "request.url"); ok {
		u, err := url.Parse(s)
		switch {
		case err != nil:
			p.errorf(w, v, "request.url", "%v", err)
		case (u.Scheme == "http" || u.Scheme == "https") && u.Host == "", u.Scheme == "" || u.Host == "" && u.Opaque == "":
			p.errorf(w, v, "request.url", "%q: want an absolute http or https URL", s)
		default:
			// Another scheme is kept for CorsDisabledScheme, which fetch()
			// in mode cors gives it before any request; checked below.
			r.URL = s
		}
	}
	if v := m["method"]; v != nil {
		if s, ok := p.str(w, v, "request.method"); ok {
			if !isToken(s) {
				p.errorf(w, v, "request.method", "%q is not a valid HTTP method", s)
			} else {
				r.Method = s
			}
		}
	}
	if v := m["headers"]; v != nil {
		if v.Kind != yaml.MappingNode {
			p.errorf(w, v, "request.headers", "want a mapping of header names to values, got %s", kind(v))
		} else {
			seen := map[string]bool{}
			for i := 0; i+1 < len(v.Content); i += 2 {
				k, hv := v.Content[i], v.Content[i+1]
				field := "request.headers." + k.Value
				if !isToken(k.Value) {
					p.errorf(w, k, field, "%q is not a valid header name", k.Value)
					continue
				}
				if seen[strings.ToLower(k.Value)] {
					p.errorf(w, k, field, "duplicate header")
					continue
				}
				seen[strings.ToLower(k.Value)] = true
				if s, ok := p.str(w, hv, field); ok {
					if strings.ContainsAny(s, "\r\n\x00") {
						p.errorf(w, hv, field, "value has a line break or NUL")
						continue
					}
					r.Headers = append(r.Headers, Header{Name: k.Value, Value: s})
				}
			}
		}
	}
	if v := m["body"]; v != nil {
		if s, ok := p.str(w, v, "request.body"); ok {
			r.Body = s
			if s != "" && (strings.EqualFold(r.Method, "GET") || strings.EqualFold(r.Method, "HEAD")) {
				p.errorf(w, v, "request.body", "a %s request cannot have a body", strings.ToUpper(r.Method))
			}
		}
	}
	if v := m["credentials"]; v != nil {
		if s := p.oneOf(w, v, "request.credentials", "omit", "same-origin", "include"); s != "" {
			r.Credentials = s
		}
	}
	if v := m["mode"]; v != nil {
		if s := p.oneOf(w, v, "request.mode", "cors", "no-cors", "same-origin"); s != "" {
			r.Mode = s
		}
	}
	if v := m["api"]; v != nil {
		if s := p.oneOf(w, v, "request.api", "fetch", "xhr"); s != "" {
			r.API = s
		}
	}
	if v := m["cache"]; v != nil {
		if s := p.oneOf(w, v, "request.cache", "default", "no-store", "reload", "no-cache", "force-cache", "only-if-cached"); s != "" {
			r.Cache = s
		}
	}
	if v := m["redirect"]; v != nil {
		if s := p.oneOf(w, v, "request.redirect", "follow", "error", "manual"); s != "" {
			r.Redirect = s
		}
	}
	if r.Cache == "only-if-cached" && r.Mode != "same-origin" {
		// fetch() throws before any request: a check-file mistake, not a verdict.
		p.errorf(w, m["cache"], "request.cache", `"only-if-cached" needs mode same-origin (fetch throws otherwise)`)
	}
	if u, err := url.Parse(r.URL); err == nil && u.Scheme != "" && u.Scheme != "http" && u.Scheme != "https" && (r.API != "fetch" || r.Mode != "cors") {
		// Only fetch() in mode cors reports another scheme as a verdict
		// (CorsDisabledScheme); XHR and no-cors give Chrome no event to read.
		p.errorf(w, m["url"], "request.url", "%q: want an absolute http or https URL (scheme %q only with api fetch and mode cors)", r.URL, u.Scheme)
	}
	if r.API == "xhr" {
		if r.Cache != "default" {
			p.errorf(w, m["cache"], "request.cache", "%q is not possible with api xhr (XMLHttpRequest has no cache mode)", r.Cache)
		}
		if r.Redirect != "follow" {
			p.errorf(w, m["redirect"], "request.redirect", "%q is not possible with api xhr (XMLHttpRequest always follows redirects)", r.Redirect)
		}
		// XMLHttpRequest always uses mode cors, and withCredentials can only
		// choose same-origin or include.
		if r.Mode != "cors" {
			p.errorf(w, m["mode"], "request.mode", "%q is not possible with api xhr (XMLHttpRequest always uses cors)", r.Mode)
		}
		if r.Credentials == "omit" {
			p.errorf(w, m["credentials"], "request.credentials", `"omit" is not possible with api xhr (withCredentials gives same-origin or include)`)
		}
	}
	return r
}

func (p *parser) expect(w where, n *yaml.Node) Expect {
	var e Expect
	m := p.fields(w, n, "expect.", "allowed", "cors_error", "failed_parameter", "preflight", "preflights", "status", "readable_headers")
	if n.Kind != yaml.MappingNode {
		return e
	}
	if v := m["allowed"]; v != nil {
		e.Allowed = p.boolean(w, v, "expect.allowed")
	}
	if v := m["cors_error"]; v != nil {
		if s, ok := p.str(w, v, "expect.cors_error"); ok {
			e.CorsError = &s
		}
	}
	if v := m["failed_parameter"]; v != nil {
		if s, ok := p.str(w, v, "expect.failed_parameter"); ok {
			e.FailedParameter = &s
		}
	}
	if v := m["preflight"]; v != nil {
		e.Preflight = p.boolean(w, v, "expect.preflight")
	}
	if v := m["preflights"]; v != nil {
		if i, ok := p.integer(w, v, "expect.preflights"); ok {
			switch {
			case i < 0:
				p.errorf(w, v, "expect.preflights", "%d is negative", i)
			case e.Preflight != nil && *e.Preflight != (i > 0):
				p.errorf(w, v, "expect.preflights", "%d contradicts expect.preflight %v", i, *e.Preflight)
			default:
				e.Preflights = &i
			}
		}
	}
	if v := m["status"]; v != nil {
		if i, ok := p.integer(w, v, "expect.status"); ok {
			if i != 0 && (i < 100 || i > 599) {
				p.errorf(w, v, "expect.status", "%d is not an HTTP status (or 0 for blocked/opaque)", i)
			} else {
				e.Status = &i
			}
		}
	}
	if v := m["readable_headers"]; v != nil {
		if v.Kind != yaml.SequenceNode {
			p.errorf(w, v, "expect.readable_headers", "want a list of header names, got %s", kind(v))
		} else {
			e.ReadableHeaders = []string{}
			for _, h := range v.Content {
				if s, ok := p.str(w, h, "expect.readable_headers"); ok {
					if !isToken(s) {
						p.errorf(w, h, "expect.readable_headers", "%q is not a valid header name", s)
						continue
					}
					e.ReadableHeaders = append(e.ReadableHeaders, s)
				}
			}
		}
	}
	return e
}

// isToken reports whether s is an RFC 9110 token (method or header name).
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r > 0x7e || r <= 0x20 || strings.ContainsRune(`"(),/:;<=>?@[\]{}`, r) {
			return false
		}
	}
	return true
}
