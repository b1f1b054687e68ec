package replay

import (
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/corsvcr/corsvcr/cassettes"
	"github.com/corsvcr/corsvcr/internal/fetch"
)

// key is the match key of a request (see the package documentation). The
// index stores keys encoded (appendKey) and finds them by hash; building a
// request's key costs no allocation beyond normalising unusual header
// values.
type key struct {
	method    string
	scheme    string // "" in a hostless key (origin-form request, no Config.Host)
	host      string // lower-case, default port removed; "" in a hostless key
	path      string // escaped path, "/" when empty
	query     string // raw query
	hasQuery  bool   // a "?" was present, even with an empty query
	origin    string
	hasOrigin bool
	acrm      string
	hasACRM   bool
	acrh      string // normalised token set, see normTokens
	cred      bool   // Cookie or Authorization present
}

// hostless returns k without scheme and host.
func (k key) hostless() key {
	k.scheme, k.host = "", ""
	return k
}

// url returns the URL part of k as text: absolute, or path and query only
// for a hostless key.
func (k key) url() string {
	var b strings.Builder
	if k.host != "" {
		b.WriteString(k.scheme)
		b.WriteString("://")
		b.WriteString(k.host)
	}
	b.WriteString(k.path)
	if k.hasQuery {
		b.WriteByte('?')
		b.WriteString(k.query)
	}
	return b.String()
}

// Match-key field names, in key order; they are the values of
// MissError.Field.
const (
	fieldMethod      = "method"
	fieldURL         = "URL"
	fieldOrigin      = "Origin"
	fieldACRM        = "Access-Control-Request-Method"
	fieldACRH        = "Access-Control-Request-Headers"
	fieldCredentials = "credentials"
	fieldUseCount    = "use count"
)

// numFields is the number of match-key fields.
const numFields = 6

// agreeEncoded is agree(*k, decodeKey(e)), with e's scheme and host read
// as "" when hostless, without building the key: the closest-interaction
// search runs it for every interaction it examines.
func agreeEncoded(k *key, e []byte, hostless bool) [numFields]bool {
	var s [8]string // method, scheme, host, path, query, origin, acrm, acrh
	i := 0
	for j := range s {
		n := int(e[i])
		if n >= 0x80 {
			s[j], i = decodeLongField(e, i)
			continue
		}
		s[j], i = bytesString(e[i+1:i+1+n]), i+1+n
	}
	if hostless {
		s[1], s[2] = "", ""
	}
	f := e[i]
	return [numFields]bool{
		k.method == s[0],
		k.scheme == s[1] && k.host == s[2] && k.path == s[3] && k.query == s[4] && k.hasQuery == (f&1 != 0),
		k.origin == s[5] && k.hasOrigin == (f&2 != 0),
		k.acrm == s[6] && k.hasACRM == (f&4 != 0),
		k.acrh == s[7],
		k.cred == (f&8 != 0),
	}
}

// field returns the name of field i and k's value of it as shown in a
// MissError: absent headers show as "", credentials as "present"/"absent",
// the header set as its normalised form.
func (k key) field(i int) (name, value string) {
	switch i {
	case 0:
		return fieldMethod, k.method
	case 1:
		return fieldURL, k.url()
	case 2:
		return fieldOrigin, k.origin
	case 3:
		return fieldACRM, k.acrm
	case 4:
		return fieldACRH, k.acrh
	default:
		return fieldCredentials, presence(k.cred)
	}
}

func presence(b bool) string {
	if b {
		return "present"
	}
	return "absent"
}

// recordedKey computes the key of a recorded request. u is its parsed URL.
func recordedKey(r *cassettes.Request, u *url.URL) key {
	return newKey(r.Method, u, func(name string) []string { return recordedValues(r.Headers, name) })
}

// newKey computes a match key from a method, a URL and the values of a
// header by name, so recorded and incoming requests get keys the same way.
func newKey(method string, u *url.URL, values func(name string) []string) key {
	k := key{method: method}
	setURL(&k, u)
	k.origin, k.hasOrigin = first(values("Origin"))
	k.acrm, k.hasACRM = first(values("Access-Control-Request-Method"))
	k.acrh = normTokens(values("Access-Control-Request-Headers"))
	k.cred = len(values("Cookie")) > 0 || len(values("Authorization")) > 0
	return k
}

// redactedValue is what a redacted query parameter's value reads as in a
// match key: any value matches a redaction placeholder
// (cassettes.RedactedPrefix + N), whose secret the cassette does not hold.
const redactedValue = "corsvcr-redacted"

// redactedQuery returns the raw query q of a recorded request with every
// value that is a redaction placeholder read as redactedValue, calling
// note with the names of those parameters.
func redactedQuery(q string, note func(name string)) string {
	if !strings.Contains(q, cassettes.RedactedPrefix) {
		return q
	}
	parts := strings.Split(q, "&")
	for i, p := range parts {
		name, val, ok := strings.Cut(p, "=")
		if ok && isPlaceholder(val) {
			parts[i] = name + "=" + redactedValue
			note(name)
		}
	}
	return strings.Join(parts, "&")
}

// isPlaceholder reports whether v is cassettes.RedactedPrefix and digits.
func isPlaceholder(v string) bool {
	n, ok := strings.CutPrefix(v, cassettes.RedactedPrefix)
	if !ok || n == "" {
		return false
	}
	for i := 0; i < len(n); i++ {
		if n[i] < '0' || n[i] > '9' {
			return false
		}
	}
	return true
}

// matchQuery returns the raw query q of an incoming request with the value
// of every parameter named in redacted read as redactedValue.
func matchQuery(q string, redacted map[string]bool) string {
	if q == "" {
		return q
	}
	parts := strings.Split(q, "&")
	for i, p := range parts {
		if name, _, ok := strings.Cut(p, "="); ok && redacted[name] {
			parts[i] = name + "=" + redactedValue
		}
	}
	return strings.Join(parts, "&")
}

// setURL fills the URL fields of k from u.
func setURL(k *key, u *url.URL) {
	if u.Host != "" {
		k.scheme = fetch.ByteLowercase(u.Scheme)
		k.host = fetch.SerializeHost(k.scheme, u.Host)
	}
	k.path = u.EscapedPath()
	if k.path == "" {
		k.path = "/"
	}
	k.query = u.RawQuery
	k.hasQuery = u.ForceQuery || u.RawQuery != ""
}

func first(vs []string) (string, bool) {
	if len(vs) == 0 {
		return "", false
	}
	return vs[0], true
}

// headerValues returns the values of name in h. name must be canonical;
// like http.Header.Values, it relies on h's keys being canonical, as
// net/http makes them for every request it parses.
func headerValues(h http.Header, name string) []string {
	return h[name]
}

// recordedValues returns the values of every line of h named name, ASCII
// case-insensitively, in order. (Headers.Values folds Unicode, which the
// wire does not: "Coo\u212Aie" is not a Cookie header.)
func recordedValues(h cassettes.Headers, name string) []string {
	var vs []string
	for _, f := range h {
		if asciiEqualFold(f.Name, name) {
			vs = append(vs, f.Value)
		}
	}
	return vs
}

func asciiEqualFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// normTokens returns the comma-separated token set in vs in normal form:
// tokens trimmed of spaces and tabs, lower-cased, sorted, deduplicated and
// joined with ",". A single value already in normal form, as Chrome sends
// it, is returned as is.
func normTokens(vs []string) string {
	switch len(vs) {
	case 0:
		return ""
	case 1:
		if isNormTokens(vs[0]) {
			return vs[0]
		}
	}
	var toks []string
	for _, v := range vs {
		for t := range strings.SplitSeq(v, ",") {
			t = strings.Trim(t, " \t")
			if t != "" {
				toks = append(toks, fetch.ByteLowercase(t))
			}
		}
	}
	slices.Sort(toks)
	return strings.Join(slices.Compact(toks), ",")
}

// isNormTokens reports whether s is already in the form normTokens returns.
func isNormTokens(s string) bool {
	if s == "" {
		return true
	}
	prev, start := "", 0
	for i := 0; i <= len(s); i++ {
		if i < len(s) {
			c := s[i]
			if 'A' <= c && c <= 'Z' || c == ' ' || c == '\t' {
				return false
			}
			if c != ',' {
				continue
			}
		}
		tok := s[start:i]
		if tok == "" || (start > 0 && tok <= prev) {
			return false
		}
		prev, start = tok, i+1
	}
	return true
}
