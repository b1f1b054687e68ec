package checks

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/corsvcr/corsvcr/internal/fetch"
	"github.com/corsvcr/corsvcr/internal/inputfile"
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
//	      readable_headers: [X-Total-Count]   # at least these are readable
//	      unreadable_headers: [X-Secret]     # these are not ("*": none but readable_headers)
//	  - name: login-then-read            # several requests in one browser state
//	    steps:                           # instead of request and expect
//	      - request: {url: http://localhost:8000/login, method: POST, credentials: include}
//	      - request: {url: http://localhost:8000/me, credentials: include}
//	        expect: {allowed: true}
//	      - wait: 1.5s                   # wall time before this step (not the first), at most 10s
//	        request: {url: http://localhost:8000/me, credentials: include}
//
// Parse fills in the defaults (Request.WithDefaults), so every Request of a
// File has its Method, Credentials, Mode, API, Cache and Redirect set, and
// every Check its Page. A check written with request and expect has one
// step. Headers keep the file's order.
//
// Origins (page) are written as Chrome serialises them: lower-case scheme
// and host, no default port, no trailing slash (fetch.OriginProblem). A page
// such as HTTP://Localhost:80 is an error whose message gives the form to
// write instead, http://localhost: the page origin shows up verbatim in
// verdicts (console messages, a failed_parameter naming the origin), so a
// file says what Chrome will say rather than being rewritten silently.
type File struct {
	Version int
	Page    string // default page origin
	Checks  []Check
}

// Parse parses a check file; name is used in error messages. Every
// problem is reported at once (errors.Join of *FieldError), each naming the
// file, the check (index from 1 and name), the field and its line:
//
//	checks: "checks.yaml": check 2 "vue-posts-json" (line 14): request.credentials: "includ" is not one of omit, same-origin, include
//	checks: "checks.yaml": check 3 "login" (line 21): step 2: request.url: missing
//
// Unknown keys are errors, so a typo is never silently ignored; so is a
// second YAML document (after "---"), which would be ignored too. Parse
// checks the file's shape itself (mappings, lists, types, keys) and its
// values with File.Validate, the rules a File built in Go obeys too.
func Parse(name string, data []byte) (*File, error) {
	p := &parser{file: name, nodes: map[nodeKey]*yaml.Node{}, bad: map[nodeKey]bool{}, stepsSyntax: map[int]bool{}}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc, extra yaml.Node
	if err := dec.Decode(&doc); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("checks: %q: %w", name, err)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return nil, fmt.Errorf("checks: %q: empty file", name)
	}
	// A second document would be silently ignored: refuse it.
	switch err := dec.Decode(&extra); {
	case err == nil:
		return nil, &FieldError{File: name, Line: extra.Line, Reason: "more than one YAML document"}
	case !errors.Is(err, io.EOF):
		return nil, fmt.Errorf("checks: %q: %w", name, err)
	}
	f := p.file1(doc.Content[0])
	p.validate(f)
	if len(p.errs) > 0 {
		// Problems in file order: the top level, then check by check and
		// step by step, each step's fields in the order of the format.
		slices.SortStableFunc(p.errs, func(a, b parseError) int {
			return cmp.Or(cmp.Compare(a.check, b.check), cmp.Compare(a.step, b.step), cmp.Compare(part(a.Field), part(b.Field)))
		})
		errs := make([]error, len(p.errs))
		for i, e := range p.errs {
			errs[i] = e.FieldError
		}
		return nil, errors.Join(errs...)
	}
	for i := range f.Checks {
		for j := range f.Checks[i].Steps {
			r := &f.Checks[i].Steps[j].Request
			*r = r.WithDefaults()
		}
	}
	return f, nil
}

// Load reads and parses the check file at path. It refuses what is not a
// regular file after following symlinks and a file larger than 16 MiB;
// the environment variable CORSVCR_MAX_INPUT raises the limit.
func Load(path string) (*File, error) {
	data, err := inputfile.Read(path, inputfile.Checks)
	if err != nil {
		return nil, fmt.Errorf("checks: load %q: %w", path, err)
	}
	return Parse(path, data)
}

// ErrNoMatch is the error (wrapped) of Select when no check name matches.
var ErrNoMatch = errors.New("no check name matches")

// Select returns a copy of f with only the checks whose name re matches
// (unanchored, as go test -run), in file order. It refuses, with an error
// wrapping ErrNoMatch, when no check matches: a filter that selects nothing
// is a mistake, not a run that passes.
func (f *File) Select(re *regexp.Regexp) (*File, error) {
	out := *f
	out.Checks = nil
	for _, c := range f.Checks {
		if re.MatchString(c.Name) {
			out.Checks = append(out.Checks, c)
		}
	}
	if len(out.Checks) == 0 {
		return nil, fmt.Errorf("checks: select %q: %w (of %d checks)", re.String(), ErrNoMatch, len(f.Checks))
	}
	return &out, nil
}

// Hosts returns the sorted, distinct authorities ("localhost:8000") of the
// checks' request URLs: the hosts a recorder should record. Default ports
// are written out ("example.com:443"). It returns nil when a check is a
// page visit: a page may touch any host, so every host is recorded.
func (f *File) Hosts() []string {
	var out []string
	for _, c := range f.Checks {
		if c.Visit != nil {
			return nil
		}
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
	if err != nil || u.Host == "" || u.Scheme != "http" && u.Scheme != "https" {
		return ""
	}
	port := u.Port()
	if port == "" {
		port = fetch.DefaultPort(u.Scheme)
	}
	return net.JoinHostPort(strings.ToLower(u.Hostname()), port)
}

// parser collects every problem of one file.
type parser struct {
	file string
	errs []parseError
	// nodes are the YAML nodes of the fields, for the lines of the
	// problems File.Validate finds.
	nodes map[nodeKey]*yaml.Node
	// bad are fields with a problem of shape: Validate's view of them
	// (a zero value) is not reported again.
	bad map[nodeKey]bool
	// stepsSyntax: the checks (by index) written with steps, whose
	// problems name the step even when there is one.
	stepsSyntax map[int]bool
}

// parseError is a problem and where it sorts.
type parseError struct {
	*FieldError
	check, step int
}

// nodeKey names a field of a check file: check and step from 1 (0 for
// the top level or the check itself), field as in FieldError, index the
// header or list item (-1 for none).
type nodeKey struct {
	check, step int
	field       string
	index       int
}

// where names a place in the file: "" for the top level, or a check and
// maybe one of its steps.
type where struct {
	index int // from 1; 0 for the top level
	name  string
	step  int // from 1; 0 for the check itself
	// showStep: the check is written with steps, so messages name the step.
	showStep bool
}

func (p *parser) errorf(w where, n *yaml.Node, field, format string, args ...any) {
	e := &FieldError{File: p.file, Check: w.index, Name: w.name, Field: field, Reason: fmt.Sprintf(format, args...)}
	if n != nil {
		e.Line = n.Line
	}
	if w.showStep {
		e.Step = w.step
	}
	p.errs = append(p.errs, parseError{e, w.index, w.step})
	p.bad[nodeKey{w.index, w.step, field, -1}] = true
}

// node records the node of a field for the lines of Validate's problems.
func (p *parser) node(w where, field string, index int, n *yaml.Node) {
	p.nodes[nodeKey{w.index, w.step, field, index}] = n
}

// validate reports the problems File.Validate finds in f, with the lines
// of their fields.
func (p *parser) validate(f *File) {
	for _, pr := range f.problems() {
		if p.bad[nodeKey{pr.check, pr.step, pr.field, -1}] {
			continue
		}
		e := pr.fieldError(p.file)
		e.Step = 0
		if p.stepsSyntax[pr.check] {
			e.Step = pr.step
		}
		if pr.firstUse > 0 {
			e.Reason = fmt.Sprintf("duplicate name (first used at line %d)", p.line(nodeKey{pr.firstUse, 0, "", -1}))
		}
		e.Line = p.line(nodeKey{pr.check, pr.step, pr.field, pr.index})
		p.errs = append(p.errs, parseError{e, pr.check, pr.step})
	}
}

// line returns the line of the field k, or of the closest enclosing
// mapping recorded: the request of a request field, the step, the check.
func (p *parser) line(k nodeKey) int {
	for {
		if n := p.nodes[k]; n != nil {
			return n.Line
		}
		switch {
		case k.index >= 0:
			k.index = -1
		case strings.Contains(k.field, "."):
			k.field = k.field[:strings.LastIndexByte(k.field, '.')]
			if strings.HasPrefix(k.field, "request.headers") {
				k.field = "request"
			}
		case k.field != "":
			k.field = ""
		case k.step > 0:
			k.step = 0
		default:
			return 0
		}
	}
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
			p.node(w, prefix+k.Value, -1, v)
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

// enum returns a scalar's text for a field of a typed value. In a file an
// empty value is no value at all, not the default.
func enum[T ~string](p *parser, w where, n *yaml.Node, field string, allowed []T) T {
	s, ok := p.str(w, n, field)
	if ok && s == "" {
		p.errorf(w, n, field, "%s", notOneOf(s, allowed))
	}
	return T(s)
}

func (p *parser) file1(root *yaml.Node) *File {
	top := where{}
	f := &File{}
	p.node(top, "", -1, root)
	m := p.fields(top, root, "", "version", "page", "checks")
	if root.Kind != yaml.MappingNode {
		return f
	}
	if v := m["version"]; v == nil {
		p.errorf(top, nil, "version", "missing (want 1)")
		f.Version = 1
	} else if i, ok := p.integer(top, v, "version"); ok {
		f.Version = i
	} else {
		f.Version = 1
	}
	if v := m["page"]; v != nil {
		if s, ok := p.str(top, v, "page"); ok && s == "" {
			p.errorf(top, v, "page", "%s", fetch.OriginProblem(s))
		} else {
			f.Page = s
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
	}
	for i, n := range cs.Content {
		f.Checks = append(f.Checks, p.check(i+1, n, f.Page, m["page"] != nil))
	}
	return f
}

func (p *parser) check(index int, n *yaml.Node, defPage string, hasDefPage bool) Check {
	w := where{index: index}
	var c Check
	p.node(w, "", -1, n)
	// Find the name first, so every message of the check can carry it.
	if n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == "name" && n.Content[i+1].Kind == yaml.ScalarNode {
				w.name = n.Content[i+1].Value
			}
		}
	}
	m := p.fields(w, n, "", "name", "page", "request", "expect", "steps", "visit", "requests")
	if n.Kind != yaml.MappingNode {
		p.bad[nodeKey{index, 0, "name", -1}] = true
		p.bad[nodeKey{index, 0, "page", -1}] = true
		p.bad[nodeKey{index, 0, "steps", -1}] = true
		return c
	}
	if v := m["name"]; v != nil {
		if s, ok := p.str(w, v, "name"); ok && s == "" {
			p.errorf(w, v, "name", "empty")
		} else {
			c.Name = s
		}
	}
	c.Page = defPage
	if v := m["page"]; v != nil {
		if s, ok := p.str(w, v, "page"); ok && s == "" {
			p.errorf(w, v, "page", "%s", fetch.OriginProblem(s))
		} else {
			c.Page = s
		}
	} else if hasDefPage && defPage == "" {
		// The file's page is not a string: already reported.
		p.bad[nodeKey{index, 0, "page", -1}] = true
	}
	if v := m["visit"]; v != nil {
		for _, k := range []string{"page", "request", "expect", "steps"} {
			if x := m[k]; x != nil {
				p.errorf(w, x, k, "not allowed with visit (a page visit's page is its URL's origin; its expectations are its requests)")
			}
		}
		c.Visit = p.visit(w, v)
		c.Page = visitOrigin(c.Visit.URL)
		if r := m["requests"]; r != nil {
			c.Requests = p.requests(w, r)
		}
		return c
	}
	if r := m["requests"]; r != nil {
		p.errorf(w, r, "requests", "only with visit (a page visit's expected requests)")
	}
	if steps := m["steps"]; steps != nil {
		p.stepsSyntax[index] = true
		w.showStep = true
		for _, k := range []string{"request", "expect"} {
			if v := m[k]; v != nil {
				p.errorf(w, v, k, "not allowed with steps (put it in a step)")
			}
		}
		c.Steps = p.steps(w, steps)
		return c
	}
	var s Step
	sw := w
	sw.step = 1
	if v := m["request"]; v == nil {
		p.errorf(w, n, "request", "missing (want request, or steps)")
		p.bad[nodeKey{index, 1, "request.url", -1}] = true
	} else {
		s.Request = p.request(sw, v)
	}
	if v := m["expect"]; v != nil {
		s.Expect = p.expect(sw, v)
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
		p.node(sw, "", -1, sn)
		m := p.fields(sw, sn, "", "wait", "request", "expect")
		if sn.Kind != yaml.MappingNode {
			p.bad[nodeKey{w.index, sw.step, "request.url", -1}] = true
			out = append(out, s)
			continue
		}
		if v := m["wait"]; v != nil {
			s.Wait = p.wait(sw, v)
		}
		if v := m["request"]; v == nil {
			p.errorf(sw, sn, "request", "missing")
			p.bad[nodeKey{w.index, sw.step, "request.url", -1}] = true
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

// wait parses a step's wait: a Go duration ("1.5s", "1200ms"). Validate
// bounds it by (0, MaxWait] and refuses it on the first step; in a file,
// unlike in Go, a wait of 0 is a mistake rather than no wait.
func (p *parser) wait(w where, n *yaml.Node) time.Duration {
	s, ok := p.str(w, n, "wait")
	if !ok {
		return 0
	}
	d, err := time.ParseDuration(s)
	switch {
	case err != nil:
		p.errorf(w, n, "wait", "%q is not a duration such as 1.5s or 1200ms", s)
	case d <= 0:
		p.errorf(w, n, "wait", "%q is out of range (0s, %v]", s, MaxWait)
	default:
		return d
	}
	return 0
}

func (p *parser) request(w where, n *yaml.Node) Request {
	var r Request
	m := p.fields(w, n, "request.", "url", "method", "headers", "body", "credentials", "mode", "api", "cache", "redirect")
	p.node(w, "request", -1, n)
	if n.Kind != yaml.MappingNode {
		p.bad[nodeKey{w.index, w.step, "request.url", -1}] = true
		return r
	}
	if v := m["url"]; v != nil {
		r.URL, _ = p.str(w, v, "request.url")
	}
	if v := m["method"]; v != nil {
		if s, ok := p.str(w, v, "request.method"); ok {
			r.Method = s
			if s == "" {
				p.errorf(w, v, "request.method", "%q is not a valid HTTP method", s)
			}
		}
	}
	if v := m["headers"]; v != nil {
		if v.Kind != yaml.MappingNode {
			p.errorf(w, v, "request.headers", "want a mapping of header names to values, got %s", kind(v))
		} else {
			for i := 0; i+1 < len(v.Content); i += 2 {
				k, hv := v.Content[i], v.Content[i+1]
				if s, ok := p.str(w, hv, "request.headers."+k.Value); ok {
					p.node(w, "request.headers."+k.Value, len(r.Headers), k)
					r.Headers = append(r.Headers, Header{Name: k.Value, Value: s})
				}
			}
		}
	}
	if v := m["body"]; v != nil {
		r.Body, _ = p.str(w, v, "request.body")
	}
	if v := m["credentials"]; v != nil {
		r.Credentials = enum(p, w, v, "request.credentials", allCredentials)
	}
	if v := m["mode"]; v != nil {
		r.Mode = enum(p, w, v, "request.mode", allModes)
	}
	if v := m["api"]; v != nil {
		r.API = enum(p, w, v, "request.api", allAPIs)
	}
	if v := m["cache"]; v != nil {
		r.Cache = enum(p, w, v, "request.cache", allCaches)
	}
	if v := m["redirect"]; v != nil {
		r.Redirect = enum(p, w, v, "request.redirect", allRedirects)
	}
	return r
}

// headerList parses a list of header names; nil when it is not a list.
func (p *parser) headerList(w where, n *yaml.Node, field string) []string {
	if n.Kind != yaml.SequenceNode {
		p.errorf(w, n, field, "want a list of header names, got %s", kind(n))
		return nil
	}
	out := []string{}
	for _, h := range n.Content {
		if s, ok := p.str(w, h, field); ok {
			p.node(w, field, len(out), h)
			out = append(out, s)
		}
	}
	return out
}

func (p *parser) expect(w where, n *yaml.Node) Expect {
	var e Expect
	m := p.fields(w, n, "expect.", "allowed", "cors_error", "failed_parameter", "preflight", "preflights", "status", "readable_headers", "unreadable_headers")
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
			e.Preflights = &i
		}
	}
	if v := m["status"]; v != nil {
		if i, ok := p.integer(w, v, "expect.status"); ok {
			e.Status = &i
		}
	}
	if v := m["readable_headers"]; v != nil {
		e.ReadableHeaders = p.headerList(w, v, "expect.readable_headers")
	}
	if v := m["unreadable_headers"]; v != nil {
		e.UnreadableHeaders = p.headerList(w, v, "expect.unreadable_headers")
	}
	return e
}
