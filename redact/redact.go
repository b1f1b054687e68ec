package redact

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/corsvcr/corsvcr/cassettes"
)

// defaultNames are the names DefaultNames returns.
var defaultNames = []string{
	"token", "access_token", "refresh_token", "id_token", "api_key", "apikey", "key",
	"secret", "client_secret", "password", "passwd", "pwd", "pass", "passphrase", "passcode",
	"auth", "auth_code", "authorization_code", "code_verifier", "otp", "jwt", "session",
	"sessionid", "sid", "signature", "sig", "credential", "credentials",
}

// DefaultNames returns, in a new slice, the names of query parameters,
// form and text fields, JSON fields and headers whose values Redact
// replaces. A name matches when it equals one of them or its last word
// does, ASCII case-insensitively, words being split at "_", "-", ".",
// brackets and lower-to-upper case changes: "access_token", "X-Api-Key",
// "refreshToken", "client_secret" and "user[password]" all match, and so
// does a bracketed form name any part of which matches: "credentials[user]".
//
// "code" is not among them: it names country, error and status codes as
// often as OAuth authorization codes. A query, form or text field named
// "code" is redacted when its value looks random (see Redact).
func DefaultNames() []string { return slices.Clone(defaultNames) }

// Options configures Redact and Protect. The zero value redacts the
// cassette alone, by DefaultNames.
type Options struct {
	// Names are further secret names, added to DefaultNames.
	Names []string
	// Extra are further requests redacted with the same placeholders as the
	// cassette, e.g. requests a check file is written from.
	Extra []*cassettes.Request
}

// Report says what Redact replaced.
type Report struct {
	// Secrets is the number of distinct secret values replaced.
	Secrets int
	// Fields names every replaced value's place, e.g.
	// `interaction 2 request header "Authorization"`, in cassette order.
	Fields []string
}

// Redact replaces the secrets in c, in place, with stable placeholders
// while keeping their presence, which CORS depends on:
//
//   - Authorization and Proxy-Authorization keep their scheme:
//     "Bearer corsvcr-redacted-1";
//   - Cookie keeps every cookie name, Set-Cookie its name and attributes:
//     "session=corsvcr-redacted-2; Path=/; Secure; HttpOnly";
//   - URLs (request URLs and the Location, Content-Location, Referer,
//     Link and Refresh headers): a request URL and a Referer lose their
//     user:password@, which the browser never sends (it becomes an
//     Authorization header); elsewhere it becomes a placeholder,
//     "http://corsvcr-redacted-4@host/", for Chrome refuses to follow a
//     CORS redirect to a URL with credentials, and so must a replay; path
//     segments that are secrets by their form (a JWT, an AWS access key
//     ID, a Stripe, GitHub, Slack, Google or GitLab key, a random-looking
//     token of 32 or more hex digits or 20 or more base64url characters)
//     are replaced whole: "/reset/corsvcr-redacted-3";
//   - other headers, and query and fragment parameters, whose names match
//     DefaultNames or opts.Names have their values replaced, and so does a
//     query parameter named "code" whose value looks random (an OAuth
//     authorization code);
//   - bodies, in requests and responses, by Content-Type: the values of
//     JSON fields with secret names and every value nested under one
//     ("credentials": {"user": …, "pass": …}); the values of
//     application/x-www-form-urlencoded and multipart/form-data fields
//     with secret names (not files); in text/plain bodies and bodies with
//     no Content-Type, the values of `name=value` and `name: value` pairs
//     with secret names, JWTs, AWS access key IDs and keys of the known
//     forms anywhere, and URL passwords. Other bodies (HTML, XML, binary)
//     are left to Scan.
//
// Origin and every Access-Control-* header are never altered, and values
// that already are placeholders are kept (numbering goes on after the
// highest one), so redacting twice changes nothing. A JSON body is edited
// in place: its formatting and key order are kept.
func Redact(c *cassettes.Cassette, opts Options) Report {
	r := &redactor{names: append(DefaultNames(), opts.Names...), ids: map[string]int{}}
	r.next = maxPlaceholder(c, opts.Extra) + 1
	for i := range c.Interactions {
		it := &c.Interactions[i]
		where := fmt.Sprintf("interaction %d ", i)
		r.request(where, &it.Request)
		r.headers(where+"response", it.Response.Headers)
		it.Response.Body = r.body(where+"response", it.Response.Headers, it.Response.Body)
	}
	for j, rq := range opts.Extra {
		r.request(fmt.Sprintf("extra request %d ", j), rq)
	}
	return Report{Secrets: len(r.ids), Fields: r.fields}
}

type redactor struct {
	names  []string
	ids    map[string]int // secret → placeholder number
	next   int
	fields []string
}

var placeholderRE = regexp.MustCompile(cassettes.RedactedPrefix + `(\d+)`)

// maxPlaceholder returns the highest placeholder number in c and extra.
func maxPlaceholder(c *cassettes.Cassette, extra []*cassettes.Request) int {
	n := 0
	see := func(s string) {
		for _, m := range placeholderRE.FindAllStringSubmatch(s, -1) {
			if v, err := strconv.Atoi(m[1]); err == nil && v > n {
				n = v
			}
		}
	}
	seeReq := func(r *cassettes.Request) {
		see(r.URL)
		for _, h := range r.Headers {
			see(h.Value)
		}
		see(string(r.Body))
	}
	for i := range c.Interactions {
		seeReq(&c.Interactions[i].Request)
		for _, h := range c.Interactions[i].Response.Headers {
			see(h.Value)
		}
		see(string(c.Interactions[i].Response.Body))
	}
	for _, r := range extra {
		seeReq(r)
	}
	return n
}

// placeholder returns the placeholder for secret and records where it was.
func (r *redactor) placeholder(secret, field string) string {
	n, ok := r.ids[secret]
	if !ok {
		n = r.next
		r.next++
		r.ids[secret] = n
	}
	r.fields = append(r.fields, field)
	return cassettes.RedactedPrefix + strconv.Itoa(n)
}

// secretValue reports whether v is worth replacing: not empty and not a
// placeholder already.
func secretValue(v string) bool {
	return strings.TrimSpace(v) != "" && !strings.Contains(v, cassettes.RedactedPrefix)
}

func (r *redactor) request(where string, rq *cassettes.Request) {
	rq.URL = r.requestURL(where+"request", rq.URL)
	r.headers(where+"request", rq.Headers)
	rq.Body = r.body(where+"request", rq.Headers, rq.Body)
}

// neverRedacted reports whether header name must be kept as is.
func neverRedacted(name string) bool {
	n := strings.ToLower(name)
	return n == "origin" || strings.HasPrefix(n, "access-control-")
}

func (r *redactor) headers(where string, hs cassettes.Headers) {
	for j := range hs {
		h := &hs[j]
		field := fmt.Sprintf("%s header %q", where, h.Name)
		switch n := strings.ToLower(h.Name); {
		case neverRedacted(n):
		case n == "authorization" || n == "proxy-authorization":
			scheme, cred, ok := strings.Cut(strings.TrimSpace(h.Value), " ")
			if !ok {
				scheme, cred = "", scheme
			}
			if cred = strings.TrimSpace(cred); secretValue(cred) {
				ph := r.placeholder(cred, field)
				if scheme != "" {
					ph = scheme + " " + ph
				}
				h.Value = ph
			}
		case n == "cookie":
			parts := strings.Split(h.Value, ";")
			for k, p := range parts {
				name, val, ok := strings.Cut(p, "=")
				if !ok {
					name, val = "", name
				}
				if v := strings.TrimSpace(val); secretValue(v) {
					ph := r.placeholder(v, fmt.Sprintf("%s cookie %q", field, strings.TrimSpace(name)))
					if ok {
						parts[k] = name + "=" + ph
					} else {
						parts[k] = " " + ph
					}
				}
			}
			h.Value = strings.Join(parts, ";")
		case n == "set-cookie":
			pair, attrs, hasAttrs := strings.Cut(h.Value, ";")
			name, val, ok := strings.Cut(pair, "=")
			if v := strings.TrimSpace(val); ok && secretValue(v) {
				pair = name + "=" + r.placeholder(v, fmt.Sprintf("%s cookie %q", field, strings.TrimSpace(name)))
			}
			if hasAttrs {
				h.Value = pair + ";" + attrs
			} else {
				h.Value = pair
			}
		case n == "referer":
			h.Value = r.requestURL(field, h.Value)
		case n == "location" || n == "content-location":
			h.Value = r.url(field, h.Value)
		case n == "link":
			h.Value = r.link(field, h.Value)
		case n == "refresh":
			h.Value = r.refresh(field, h.Value)
		case r.secretName(h.Name):
			if v := strings.TrimSpace(h.Value); secretValue(v) {
				h.Value = r.placeholder(v, field)
			}
		}
	}
}

// isJSON reports whether a Content-Type names JSON.
func isJSON(hs cassettes.Headers) bool {
	ct, _ := hs.Get("Content-Type")
	mt, _, _ := strings.Cut(strings.ToLower(ct), ";")
	mt = strings.TrimSpace(mt)
	return mt == "application/json" || strings.HasSuffix(mt, "+json") || mt == "text/json"
}

// body replaces the secrets of a body by its Content-Type (see Redact).
func (r *redactor) body(where string, hs cassettes.Headers, b cassettes.Body) cassettes.Body {
	if len(b) == 0 {
		return b
	}
	ct, hasCT := hs.Get("Content-Type")
	mt, params := mediaType(ct)
	var out []byte
	switch {
	case isJSON(hs):
		out = r.json(where, b)
	case mt == "application/x-www-form-urlencoded" && b.IsText():
		out = []byte(r.pairs(where+" body form", string(b)))
	case mt == "multipart/form-data":
		out = r.multipart(where+" body", b, params["boundary"])
	case (mt == "text/plain" || !hasCT) && b.IsText():
		out = []byte(r.text(where+" body", string(b)))
	default:
		return b
	}
	if bytes.Equal(out, b) {
		return b
	}
	// The body changed length: so does a recorded Content-Length.
	for j := range hs {
		if strings.EqualFold(hs[j].Name, "Content-Length") {
			hs[j].Value = strconv.Itoa(len(out))
		}
	}
	return out
}

// json replaces secret fields of a JSON body, editing the bytes in place.
func (r *redactor) json(where string, b []byte) []byte {
	if !json.Valid(b) {
		return b
	}
	spans := jsonSecretSpans(b, r.secretName)
	if len(spans) == 0 {
		return b
	}
	var out bytes.Buffer
	last := 0
	for _, s := range spans {
		var v any
		if json.Unmarshal(b[s.start:s.end], &v) != nil {
			continue
		}
		text := fmt.Sprint(v)
		if !secretValue(text) {
			continue
		}
		out.Write(b[last:s.start])
		ph, _ := json.Marshal(r.placeholder(text, fmt.Sprintf("%s body %s", where, s.path)))
		out.Write(ph)
		last = s.end
	}
	if last == 0 {
		return b
	}
	out.Write(b[last:])
	return out.Bytes()
}

// secretName reports whether name names a secret (see DefaultNames).
func (r *redactor) secretName(name string) bool {
	return matchesSecretName(name, r.names)
}

func matchesSecretName(name string, list []string) bool {
	if name == "" {
		return false
	}
	// A bracketed form name ("user[password]", "credentials[user]") is a
	// secret when any of its parts is: the form of a nested object.
	if base, rest, ok := strings.Cut(name, "["); ok {
		for _, p := range append([]string{base}, strings.Split(rest, "[")...) {
			if p = strings.TrimSuffix(p, "]"); p != name && matchesSecretName(p, list) {
				return true
			}
		}
		return false
	}
	words := splitWords(name)
	whole := strings.Join(words, "_")
	flat := strings.Join(words, "")
	last := words[len(words)-1]
	for _, n := range list {
		nw := splitWords(n)
		if len(nw) == 0 {
			continue
		}
		j, f := strings.Join(nw, "_"), strings.Join(nw, "")
		if whole == j || flat == f || len(nw) == 1 && last == f {
			return true
		}
	}
	return false
}

// splitWords splits a name into lower-case words at "_", "-", ".", spaces
// and lower-to-upper case changes.
func splitWords(s string) []string {
	var words []string
	var cur []rune
	prevLower := false
	flush := func() {
		if len(cur) > 0 {
			words = append(words, strings.ToLower(string(cur)))
			cur = cur[:0]
		}
	}
	for _, c := range s {
		switch {
		case c == '_' || c == '-' || c == '.' || c == ' ':
			flush()
			prevLower = false
			continue
		case unicode.IsUpper(c) && prevLower:
			flush()
		}
		cur = append(cur, c)
		prevLower = unicode.IsLower(c) || unicode.IsDigit(c)
	}
	flush()
	return words
}

// jsonSpan is the byte range of a scalar JSON value and its path.
type jsonSpan struct {
	start, end int
	path       string
}

// jsonSecretSpans returns the spans of the scalar values (strings,
// numbers) of object members whose names match, and of every scalar nested
// in them, in document order. b must be valid JSON.
func jsonSecretSpans(b []byte, match func(string) bool) []jsonSpan {
	p := &jsonScan{b: b, match: match}
	p.value("$", false)
	return p.spans
}

type jsonScan struct {
	b     []byte
	i     int
	match func(string) bool
	spans []jsonSpan
}

func (p *jsonScan) ws() {
	for p.i < len(p.b) && strings.IndexByte(" \t\r\n", p.b[p.i]) >= 0 {
		p.i++
	}
}

// value scans one value at p.i; secret says its member name matched.
func (p *jsonScan) value(path string, secret bool) {
	p.ws()
	if p.i >= len(p.b) {
		return
	}
	start := p.i
	switch p.b[p.i] {
	case '{':
		p.i++
		for {
			p.ws()
			if p.i >= len(p.b) || p.b[p.i] == '}' {
				p.i++
				return
			}
			if p.b[p.i] == ',' {
				p.i++
				continue
			}
			ks := p.i
			p.str()
			var key string
			_ = json.Unmarshal(p.b[ks:p.i], &key)
			p.ws()
			p.i++ // ':'
			// A member of an object under a secret name is a secret too.
			p.value(path+"."+key, secret || p.match(key))
		}
	case '[':
		p.i++
		for n := 0; ; {
			p.ws()
			if p.i >= len(p.b) || p.b[p.i] == ']' {
				p.i++
				return
			}
			if p.b[p.i] == ',' {
				p.i++
				n++
				continue
			}
			p.value(fmt.Sprintf("%s[%d]", path, n), secret)
		}
	case '"':
		p.str()
	default:
		for p.i < len(p.b) && strings.IndexByte(",}] \t\r\n", p.b[p.i]) < 0 {
			p.i++
		}
		if lit := string(p.b[start:p.i]); lit == "true" || lit == "false" || lit == "null" {
			return
		}
	}
	if secret {
		p.spans = append(p.spans, jsonSpan{start, p.i, path})
	}
}

// str skips a string literal starting at p.i.
func (p *jsonScan) str() {
	p.i++ // opening quote
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case '\\':
			p.i += 2
			continue
		case '"':
			p.i++
			return
		}
		p.i++
	}
}

// Finding is a value that looks like a secret, found by Scan.
type Finding struct {
	// Interaction is the index of the interaction.
	Interaction int
	// Part is "request" or "response".
	Part string
	// Field names the place: `header "Authorization"`, `cookie "session"`,
	// `query "token"`, `url`, `body $.user.token` or `body`.
	Field string
	// Kind says what was found: "bearer token", "basic credentials",
	// "JWT", "AWS access key ID", "AWS secret access key",
	// "session cookie", "Stripe secret key", "GitHub token", "Slack
	// token", "Google API key", "GitLab token", "URL credentials" (a
	// password in a URL) or "random token" (a URL path segment).
	Kind string
}

// String renders f as `interaction 3 request header "Authorization": bearer token`.
func (f Finding) String() string {
	return fmt.Sprintf("interaction %d %s %s: %s", f.Interaction, f.Part, f.Field, f.Kind)
}

var (
	jwtRE       = regexp.MustCompile(`eyJ[A-Za-z0-9_-]{4,}\.eyJ[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]*`)
	awsKeyRE    = regexp.MustCompile(`\b(?:AKIA|ASIA)[A-Z0-9]{16}\b`)
	awsSecretRE = regexp.MustCompile(`(?i)(?:aws[a-z_\-]*secret[a-z_\-]*|secret[_\-]?access[_\-]?key)["']?\s*[:=]\s*["']?([A-Za-z0-9/+]{40})(?:[^A-Za-z0-9/+]|$)`)
)

// Scan reports every value in c that still looks like a secret: bearer
// tokens and Basic credentials in Authorization headers, JWTs (three
// base64url segments whose first decodes to a JSON header with "alg"), AWS
// access key IDs (AKIA/ASIA and 16 characters), 40-character AWS secret keys
// next to an AWS secret name, Stripe secret keys (sk_live_, rk_test_...),
// GitHub (ghp_..., github_pat_), Slack (xoxb-...), Google (AIza...) and
// GitLab (glpat-) tokens, passwords in URLs (user:password@), cookies
// with long random values, and random-looking tokens as URL path segments
// (in request URLs and Location, Content-Location, Referer, Link and
// Refresh headers). It looks at headers, URLs and text bodies;
// placeholders written by Redact are never reported. Findings name the
// place, never the secret.
func Scan(c *cassettes.Cassette) []Finding {
	var out []Finding
	for i := range c.Interactions {
		it := &c.Interactions[i]
		out = append(out, scanPart(i, "request", it.Request.URL, it.Request.Headers, it.Request.Body)...)
		out = append(out, scanPart(i, "response", "", it.Response.Headers, it.Response.Body)...)
	}
	return out
}

func scanPart(i int, part, rawURL string, hs cassettes.Headers, body cassettes.Body) []Finding {
	var out []Finding
	add := func(field, kind string) {
		f := Finding{Interaction: i, Part: part, Field: field, Kind: kind}
		if !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	if rawURL != "" {
		if u, err := url.Parse(rawURL); err == nil {
			for _, kv := range strings.Split(u.RawQuery, "&") {
				name, val, _ := strings.Cut(kv, "=")
				if v, err := url.QueryUnescape(val); err == nil {
					val = v
				}
				for _, k := range textKinds(val) {
					add(fmt.Sprintf("query %q", name), k)
				}
			}
		}
		for _, k := range urlKinds(rawURL) {
			add("url", k)
		}
	}
	for _, h := range hs {
		field := fmt.Sprintf("header %q", h.Name)
		switch strings.ToLower(h.Name) {
		case "location", "content-location", "referer", "refresh":
			v := h.Value
			if i := strings.Index(strings.ToLower(v), "url="); i >= 0 && strings.EqualFold(h.Name, "refresh") {
				v = strings.Trim(v[i+4:], `"'`)
			}
			for _, k := range urlKinds(v) {
				add(field, k)
			}
		case "link":
			for _, m := range linkURLRE.FindAllString(h.Value, -1) {
				for _, k := range urlKinds(m[1 : len(m)-1]) {
					add(field, k)
				}
			}
		case "authorization", "proxy-authorization":
			scheme, cred, _ := strings.Cut(strings.TrimSpace(h.Value), " ")
			cred = strings.TrimSpace(cred)
			switch {
			case !secretValue(cred):
			case strings.EqualFold(scheme, "bearer"):
				add(field, "bearer token")
			case strings.EqualFold(scheme, "basic"):
				add(field, "basic credentials")
			}
		case "cookie", "set-cookie":
			pairs := strings.Split(h.Value, ";")
			if strings.EqualFold(h.Name, "set-cookie") {
				pairs = pairs[:1]
			}
			for _, p := range pairs {
				name, val, _ := strings.Cut(p, "=")
				if randomLooking(strings.TrimSpace(val)) {
					add(fmt.Sprintf("%s cookie %q", field, strings.TrimSpace(name)), "session cookie")
				}
			}
		}
		for _, k := range textKinds(h.Value) {
			add(field, k)
		}
	}
	if len(body) > 0 && body.IsText() {
		var v any
		if isJSON(hs) && json.Unmarshal(body, &v) == nil {
			walkJSON("$", v, func(path, s string) {
				for _, k := range textKinds(s) {
					add("body "+path, k)
				}
			})
			// A secret key next to its name spans a member: look at the text.
			if awsSecretRE.Match(body) {
				add("body", "AWS secret access key")
			}
		} else {
			for _, k := range textKinds(string(body)) {
				add("body", k)
			}
		}
	}
	return out
}

// urlKinds returns the kinds of secrets a URL or URL reference holds
// before its query: in its user:password@ and path segments (see
// segmentKind), or anywhere in that text (see textKinds).
func urlKinds(raw string) []string {
	path, _, _ := strings.Cut(raw, "?")
	path, _, _ = strings.Cut(path, "#")
	kinds := textKinds(path)
	seen := func(k string) bool { return slices.Contains(kinds, k) }
	if u, err := url.Parse(path); err == nil {
		if pw, ok := u.User.Password(); ok && secretValue(pw) && !seen("URL credentials") {
			kinds = append(kinds, "URL credentials")
		}
		path = u.EscapedPath()
	}
	for _, seg := range strings.Split(path, "/") {
		if un, err := url.PathUnescape(seg); err == nil {
			seg = un
		}
		if k := segmentKind(seg); k != "" && !seen(k) {
			kinds = append(kinds, k)
		}
	}
	return kinds
}

// textKinds returns the kinds of secrets found in s.
func textKinds(s string) []string {
	var kinds []string
	for _, m := range jwtRE.FindAllString(s, -1) {
		if isJWT(m) {
			kinds = append(kinds, "JWT")
			break
		}
	}
	if awsKeyRE.MatchString(s) {
		kinds = append(kinds, "AWS access key ID")
	}
	if awsSecretRE.MatchString(s) {
		kinds = append(kinds, "AWS secret access key")
	}
	kinds = append(kinds, formatKinds(s)...)
	if hasURLCredentials(s) {
		kinds = append(kinds, "URL credentials")
	}
	return kinds
}

// isJWT reports whether the first segment of tok decodes to a JSON object
// with an "alg" member.
func isJWT(tok string) bool {
	head, _, _ := strings.Cut(tok, ".")
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(head, "="))
	if err != nil {
		return false
	}
	var h map[string]any
	if json.Unmarshal(b, &h) != nil {
		return false
	}
	_, ok := h["alg"]
	return ok
}

// randomLooking reports whether a cookie value looks like a session
// identifier: at least 16 characters, letters and digits mixed, and an
// entropy of at least 3 bits a character.
func randomLooking(v string) bool {
	v = strings.Trim(v, `"`)
	if len(v) < 16 || !secretValue(v) {
		return false
	}
	var letters, digits bool
	counts := map[rune]int{}
	for _, c := range v {
		counts[c]++
		switch {
		case unicode.IsLetter(c):
			letters = true
		case unicode.IsDigit(c):
			digits = true
		}
	}
	if !letters || !digits {
		return false
	}
	var h float64
	n := float64(len([]rune(v)))
	for _, k := range counts {
		p := float64(k) / n
		h -= p * math.Log2(p)
	}
	return h >= 3
}

// walkJSON calls fn with the path and value of every string in v.
func walkJSON(path string, v any, fn func(path, s string)) {
	switch v := v.(type) {
	case string:
		fn(path, v)
	case []any:
		for i, e := range v {
			walkJSON(fmt.Sprintf("%s[%d]", path, i), e, fn)
		}
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			walkJSON(path+"."+k, v[k], fn)
		}
	}
}
