package checks

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/corsvcr/corsvcr/internal/fetch"
)

// FieldError is one invalid field of a check or a check file. Validate and
// Parse report every problem at once, each a *FieldError, joined with
// errors.Join.
type FieldError struct {
	File  string // the check file; "" for a File or Check built in Go
	Line  int    // line in File; 0 when unknown
	Check int    // the check, from 1; 0 for the top level of a file (or Check.Validate)
	Name  string // the check's name, if it has one
	Step  int    // the step, from 1, of a check written with steps; 0 otherwise
	// Field is the check-file name of the field, e.g. "page",
	// "request.credentials", "expect.preflights", "request.headers.X-A".
	Field  string
	Reason string
}

// Error renders the problem as
//
//	checks: "checks.yaml": check 2 "put" (line 14): step 1: request.mode: "x" is not one of cors, no-cors, same-origin
//
// leaving out what is unknown.
func (e *FieldError) Error() string {
	var b strings.Builder
	b.WriteString("checks: ")
	if e.File != "" {
		fmt.Fprintf(&b, "%q: ", e.File)
	}
	switch {
	case e.Check > 0 || e.Name != "":
		b.WriteString("check")
		if e.Check > 0 {
			fmt.Fprintf(&b, " %d", e.Check)
		}
		if e.Name != "" {
			fmt.Fprintf(&b, " %q", e.Name)
		}
		if e.Line > 0 {
			fmt.Fprintf(&b, " (line %d)", e.Line)
		}
		b.WriteString(": ")
	case e.Line > 0:
		fmt.Fprintf(&b, "(line %d): ", e.Line)
	}
	if e.Step > 0 {
		fmt.Fprintf(&b, "step %d: ", e.Step)
	}
	if e.Field != "" {
		// A header name in the field is the file's text: quoted when it
		// holds a control character, so a message is always one line.
		prefix, name, ok := strings.Cut(e.Field, "request.headers.")
		if ok && prefix == "" {
			b.WriteString("request.headers." + Printable(name) + ": ")
		} else {
			b.WriteString(Printable(e.Field) + ": ")
		}
	}
	b.WriteString(e.Reason)
	return b.String()
}

// Printable returns s, or s quoted as a Go string literal when it holds a
// character that is not printable (a control character such as a line
// break or an ANSI escape, invalid UTF-8): names printed from a check file
// can then neither forge a line of output nor drive the terminal.
func Printable(s string) string {
	for _, r := range s {
		if r == utf8.RuneError || !strconv.IsPrint(r) && r != ' ' {
			return strconv.Quote(s)
		}
	}
	return s
}

// Validate reports every problem of f at once (errors.Join of
// *FieldError), the ones Parse reports for a file with the same values: a
// version other than 1 (0 counts as 1), no checks, duplicate check names,
// and every problem of each check (see Check.Validate); a check without a
// page takes f.Page. Parse calls it, so a File built in Go and a parsed one
// obey the same rules.
func (f *File) Validate() error {
	if f == nil {
		return &FieldError{Reason: "no file"}
	}
	var errs []error
	for _, p := range f.problems() {
		errs = append(errs, p.fieldError(""))
	}
	return errors.Join(errs...)
}

// Validate reports every problem of c at once (errors.Join of
// *FieldError), naming the check and the field: a missing page or URL, a
// name of only spaces (a check built in Go needs no name; one in a File
// does); a page that is not an origin as Chrome serialises it
// (fetch.OriginProblem: "HTTP://Localhost:80" is refused, with the hint
// "http://localhost"); a method or header name that is not a token; a
// header value with CR, LF or NUL; a credentials, mode, api, cache or
// redirect value not among the constants; combinations fetch() or
// XMLHttpRequest refuse before any request (a GET body, only-if-cached
// without mode same-origin, XHR with a cache or redirect mode, mode or
// credentials omit, another scheme than http or https outside fetch() in
// mode cors); a negative wait; and expectations that cannot hold. A File
// also needs a name for every check, bounds waits by MaxWait and refuses
// one on the first step. Empty fields are the defaults (see
// Request.WithDefaults). browsercheck.(*Browser).Check calls it.
func (c Check) Validate() error {
	var errs []error
	for _, p := range c.problems(0, "", false, false) {
		errs = append(errs, p.fieldError(""))
	}
	return errors.Join(errs...)
}

// problem is one invalid field found by the rules, before it becomes a
// *FieldError: Parse adds the file and line, and the step when the check is
// written with steps.
type problem struct {
	check    int    // from 1; 0 for the top level
	name     string // check name
	step     int    // from 1; 0 for a field of the check or the file
	steps    int    // the number of steps of the check
	field    string // check-file name, relative to the step
	index    int    // the header (request.headers.*) or list item (expect.readable_headers); -1 otherwise
	reason   string
	firstUse int // for a duplicate name: the check that used it first
}

// fieldError renders p; a step is named when the check has more than one.
func (p problem) fieldError(file string) *FieldError {
	e := &FieldError{File: file, Check: p.check, Name: p.name, Field: p.field, Reason: p.reason}
	if p.steps > 1 {
		e.Step = p.step
	}
	if p.firstUse > 0 {
		e.Reason = fmt.Sprintf("duplicate name (first used by check %d)", p.firstUse)
	}
	return e
}

func (f *File) problems() []problem {
	var out []problem
	add := func(field, reason string) {
		out = append(out, problem{field: field, index: -1, reason: reason})
	}
	if f.Version != 0 && f.Version != 1 {
		add("version", fmt.Sprintf("got %d, want 1", f.Version))
	}
	if f.Page != "" {
		if prob := fetch.OriginProblem(f.Page); prob != "" {
			add("page", prob)
		}
	}
	if len(f.Checks) == 0 {
		add("checks", "empty list")
	}
	first := map[string]int{}
	for i, c := range f.Checks {
		if c.Name != "" {
			if j, dup := first[c.Name]; dup {
				out = append(out, problem{check: i + 1, name: c.Name, field: "name", index: -1, firstUse: j})
			} else {
				first[c.Name] = i + 1
			}
		}
		if c.Page == "" && c.Visit == nil {
			c.Page = f.Page
		}
		out = append(out, c.problems(i+1, f.Page, f.Page == "", true)...)
	}
	return out
}

// problems returns the problems of c, check number index (0 when alone);
// filePage is the page c inherits. noFilePage words a missing page for a
// check of a file that has none. inFile adds the rules of check files: a
// name, a wait of at most MaxWait, and none on the first step.
func (c Check) problems(index int, filePage string, noFilePage, inFile bool) []problem {
	var out []problem
	add := func(step int, field, reason string, item int) {
		out = append(out, problem{check: index, name: c.Name, step: step, steps: len(c.Steps), field: field, index: item, reason: reason})
	}
	switch {
	case c.Name == "" && inFile:
		add(0, "name", "missing", -1)
	case c.Name != "" && strings.TrimSpace(c.Name) == "":
		add(0, "name", "empty", -1)
	}
	if c.Visit != nil {
		c.visitProblems(add, inFile)
		return out
	}
	switch {
	case c.Page == "" && noFilePage:
		add(0, "page", "missing, and the file has no top-level page", -1)
	case c.Page == "":
		add(0, "page", "missing", -1)
	case c.Page != filePage: // a file's page is the file's problem
		if prob := fetch.OriginProblem(c.Page); prob != "" {
			add(0, "page", prob, -1)
		}
	}
	if len(c.Steps) == 0 {
		add(0, "steps", "empty list", -1)
	}
	for i, s := range c.Steps {
		step := i + 1
		switch {
		case s.Wait < 0:
			add(step, "wait", fmt.Sprintf("%q is negative", s.Wait.String()), -1)
		case inFile && s.Wait > MaxWait:
			add(step, "wait", fmt.Sprintf("%q is out of range (0s, %v]", s.Wait.String(), MaxWait), -1)
		case inFile && s.Wait > 0 && i == 0:
			add(step, "wait", "not allowed on the first step (a check starts from a fresh state: nothing to wait for)", -1)
		}
		for _, p := range s.Request.problems() {
			add(step, p.field, p.reason, p.index)
		}
		for _, p := range s.Expect.problems() {
			add(step, p.field, p.reason, p.index)
		}
	}
	return out
}

// problems returns the problems of r, fields relative to the step.
func (r Request) problems() []problem {
	var out []problem
	add := func(field, reason string, index int) {
		out = append(out, problem{field: field, index: index, reason: reason})
	}
	// d is r with the defaults, and a default in place of each invalid
	// value, so that an invalid value is reported once, by its own field.
	d := r.WithDefaults()

	u, reason := urlProblem(r.URL)
	if reason != "" {
		add("request.url", reason, -1)
	}
	urlOK := reason == ""
	if !fetch.IsToken(d.Method) {
		add("request.method", fmt.Sprintf("%q is not a valid HTTP method", r.Method), -1)
		d.Method = DefaultMethod
	}
	var seen []string
	for i, h := range r.Headers {
		field := "request.headers." + h.Name
		switch {
		case !fetch.IsToken(h.Name):
			add(field, fmt.Sprintf("%q is not a valid header name", h.Name), i)
		case slices.ContainsFunc(seen, func(s string) bool { return strings.EqualFold(s, h.Name) }):
			add(field, "duplicate header", i)
		default:
			seen = append(seen, h.Name)
			if strings.ContainsAny(h.Value, "\r\n\x00") {
				add(field, "value has a line break or NUL", i)
			}
		}
	}
	if r.Body != "" && (strings.EqualFold(d.Method, "GET") || strings.EqualFold(d.Method, "HEAD")) {
		add("request.body", fmt.Sprintf("a %s request cannot have a body", strings.ToUpper(d.Method)), -1)
	}
	for _, e := range []struct{ field, reason string }{
		{"request.credentials", oneOf(&d.Credentials, allCredentials, CredentialsSameOrigin)},
		{"request.mode", oneOf(&d.Mode, allModes, ModeCORS)},
		{"request.api", oneOf(&d.API, allAPIs, APIFetch)},
		{"request.cache", oneOf(&d.Cache, allCaches, CacheDefault)},
		{"request.redirect", oneOf(&d.Redirect, allRedirects, RedirectFollow)},
	} {
		if e.reason != "" {
			add(e.field, e.reason, -1)
		}
	}
	if d.Cache == CacheOnlyIfCached && d.Mode != ModeSameOrigin {
		// fetch() throws before any request: a check mistake, not a verdict.
		add("request.cache", `"only-if-cached" needs mode same-origin (fetch throws otherwise)`, -1)
	}
	if urlOK && u.Scheme != "http" && u.Scheme != "https" && (d.API != APIFetch || d.Mode != ModeCORS) {
		// Only fetch() in mode cors reports another scheme as a verdict
		// (CorsDisabledScheme); XHR and no-cors give Chrome no event to read.
		add("request.url", fmt.Sprintf("%q: want an absolute http or https URL (scheme %q only with api fetch and mode cors)", r.URL, u.Scheme), -1)
	}
	if d.API == APIXHR {
		if d.Cache != CacheDefault {
			add("request.cache", fmt.Sprintf("%q is not possible with api xhr (XMLHttpRequest has no cache mode)", d.Cache), -1)
		}
		if d.Redirect != RedirectFollow {
			add("request.redirect", fmt.Sprintf("%q is not possible with api xhr (XMLHttpRequest always follows redirects)", d.Redirect), -1)
		}
		// XMLHttpRequest always uses mode cors, and withCredentials can only
		// choose same-origin or include.
		if d.Mode != ModeCORS {
			add("request.mode", fmt.Sprintf("%q is not possible with api xhr (XMLHttpRequest always uses cors)", d.Mode), -1)
		}
		if d.Credentials == CredentialsOmit {
			add("request.credentials", `"omit" is not possible with api xhr (withCredentials gives same-origin or include)`, -1)
		}
	}
	return out
}

// urlProblem parses a request URL, or says why it is not one a check can
// use: the URL must be absolute, with a scheme and a host, and free of
// whitespace and control characters, which Chrome strips or escapes
// silently, so that the request Chrome makes is the one the file shows.
// Another scheme than http and https is kept for CorsDisabledScheme (the
// caller restricts it to fetch in mode cors).
func urlProblem(raw string) (*url.URL, string) {
	const want = "want an absolute http or https URL"
	if raw == "" {
		return nil, "missing"
	}
	if i := strings.IndexFunc(raw, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }); i >= 0 {
		return nil, fmt.Sprintf("%q: has %s at byte %d (Chrome would strip or escape it: percent-encode it, e.g. %%20)", raw, describeRune(raw[i:]), i)
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return nil, err.Error()
	case u.Scheme == "":
		return nil, fmt.Sprintf("%q: %s", raw, want)
	case u.Opaque != "" && u.Scheme != "http" && u.Scheme != "https" && looksLikePort(u.Opaque):
		// "localhost:8080/api" parses as scheme "localhost".
		return nil, fmt.Sprintf("%q: no scheme: %s (write \"http://%s\")", raw, want, raw)
	case u.Opaque != "" || u.Host == "" || u.Hostname() == "":
		return nil, fmt.Sprintf("%q: no host: %s such as http://localhost:8000/path", raw, want)
	}
	return u, ""
}

// looksLikePort reports whether s starts with a port number and then ends
// or goes on with a path, query or fragment.
func looksLikePort(s string) bool {
	i := strings.IndexFunc(s, func(r rune) bool { return r < '0' || r > '9' })
	return i != 0 && (i < 0 || strings.ContainsRune("/?#", rune(s[i])))
}

// describeRune names the whitespace or control character s starts with.
func describeRune(s string) string {
	r, _ := utf8.DecodeRuneInString(s)
	if r == ' ' {
		return "a space"
	}
	return fmt.Sprintf("the character %q", r)
}

// oneOf returns why *v is not among the allowed values, and sets *v to def
// then; "" when it is.
func oneOf[T ~string](v *T, allowed []T, def T) string {
	if slices.Contains(allowed, *v) {
		return ""
	}
	s := notOneOf(string(*v), allowed)
	*v = def
	return s
}

// notOneOf says that s is not among the allowed values.
func notOneOf[T ~string](s string, allowed []T) string {
	names := make([]string, len(allowed))
	for i, a := range allowed {
		names[i] = string(a)
	}
	return fmt.Sprintf("%q is not one of %s", s, strings.Join(names, ", "))
}

// problems returns the problems of e: expectations no verdict can meet.
func (e Expect) problems() []problem {
	var out []problem
	add := func(field, reason string, index int) {
		out = append(out, problem{field: field, index: index, reason: reason})
	}
	if e.Preflights != nil {
		switch i := *e.Preflights; {
		case i < 0:
			add("expect.preflights", fmt.Sprintf("%d is negative", i), -1)
		case e.Preflight != nil && *e.Preflight != (i > 0):
			add("expect.preflights", fmt.Sprintf("%d contradicts expect.preflight %v", i, *e.Preflight), -1)
		}
	}
	if e.CorsError != nil && *e.CorsError != "" && !fetch.IsCorsError(*e.CorsError) {
		add("expect.cors_error", fmt.Sprintf("%q is not a CorsError Chrome reports (did you mean %q?)", *e.CorsError, fetch.ClosestCorsError(*e.CorsError)), -1)
	}
	if e.Status != nil {
		if i := *e.Status; i != 0 && (i < 100 || i > 599) {
			add("expect.status", fmt.Sprintf("%d is not an HTTP status (or 0 for blocked/opaque)", i), -1)
		}
	}
	for i, h := range e.ReadableHeaders {
		if !fetch.IsToken(h) {
			add("expect.readable_headers", fmt.Sprintf("%q is not a valid header name", h), i)
		}
	}
	for i, h := range e.UnreadableHeaders {
		switch {
		case h == AllOtherHeaders:
		case !fetch.IsToken(h):
			add("expect.unreadable_headers", fmt.Sprintf("%q is not a valid header name (or %q: every header not in readable_headers)", h, AllOtherHeaders), i)
		case slices.ContainsFunc(e.ReadableHeaders, func(r string) bool { return strings.EqualFold(r, h) }):
			add("expect.unreadable_headers", fmt.Sprintf("%q is in readable_headers too", h), i)
		}
	}
	return out
}

// part orders the problems of one step as the check file writes its
// fields: the check's own fields, wait, request, expect.
func part(field string) int {
	switch {
	case field == "wait":
		return 1
	case field == "request" || strings.HasPrefix(field, "request."):
		return 2
	case field == "expect" || strings.HasPrefix(field, "expect."):
		return 3
	}
	return 0
}
