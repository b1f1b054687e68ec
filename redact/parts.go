package redact

import (
	"bytes"
	"fmt"
	"mime"
	"net/url"
	"regexp"
	"strings"
)

// How Redact reads the parts of a request or response that are not
// headers: URLs (userinfo, path segments, query, fragment), form,
// multipart and text bodies.

// namedSecret reports whether the value v of a query parameter, form field
// or text pair named name is a secret: its name is a secret name, or it is
// a random-looking "code" (an OAuth authorization code: `?code=…&state=…`,
// RFC 6749 §4.1.2), and it is not empty nor a placeholder already. A
// "code" that does not look random ("US", "404", "invalid_grant") is kept.
func (r *redactor) namedSecret(name, v string) bool {
	if !secretValue(v) {
		return false
	}
	if r.secretName(name) {
		return true
	}
	return strings.EqualFold(strings.TrimSpace(name), "code") && randomLooking(v)
}

var schemeRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9+.-]*:$`)

// url redacts a URL or URL reference (a Location may be relative): it
// replaces path segments that are secrets by their form (see segmentKind)
// and the values of secret query and fragment parameters, keeping the rest
// byte for byte. Its user:password@ becomes one placeholder: Chrome
// refuses a cross-origin CORS redirect to a URL with credentials, and the
// replay must too. (requestURL drops it instead.)
func (r *redactor) url(where, raw string) string {
	return r.urlOf(where, raw, false)
}

// requestURL redacts the URL of a request like url, but drops its
// user:password@: the browser never sends it (it becomes an Authorization
// header, redacted as such), and the match key leaves it out.
func (r *redactor) requestURL(where, raw string) string {
	return r.urlOf(where, raw, true)
}

func (r *redactor) urlOf(where, raw string, request bool) string {
	rest, frag, hasFrag := strings.Cut(raw, "#")
	rest, query, hasQuery := strings.Cut(rest, "?")
	prefix, path := "", rest
	if i := strings.Index(rest, "//"); i >= 0 && (i == 0 || schemeRE.MatchString(rest[:i])) {
		auth := rest[i+2:]
		end := strings.IndexByte(auth, '/')
		if end < 0 {
			end = len(auth)
		}
		host := auth[:end]
		if at := strings.LastIndexByte(host, '@'); at >= 0 {
			userinfo := host[:at]
			host = host[at+1:]
			switch {
			case request:
				r.fields = append(r.fields, where+" url userinfo")
			case secretValue(userinfo):
				host = r.placeholder(userinfo, where+" url userinfo") + "@" + host
			default:
				host = userinfo + "@" + host
			}
		}
		prefix, path = rest[:i+2]+host, auth[end:]
	}
	segs := strings.Split(path, "/")
	for k, seg := range segs {
		un, err := url.PathUnescape(seg)
		if err != nil {
			un = seg
		}
		if segmentKind(un) != "" {
			segs[k] = r.placeholder(un, fmt.Sprintf("%s url path segment %d", where, k))
		}
	}
	out := prefix + strings.Join(segs, "/")
	if hasQuery {
		out += "?" + r.pairs(where+" query", query)
	}
	if hasFrag {
		out += "#" + r.pairs(where+" fragment", frag)
	}
	return out
}

// pairs replaces the secret values of an application/x-www-form-urlencoded
// text (a query, a fragment, a form body), keeping the rest byte for byte.
// Fields read `WHERE "name"`.
func (r *redactor) pairs(where, s string) string {
	if s == "" {
		return s
	}
	parts := strings.Split(s, "&")
	for k, p := range parts {
		name, val, ok := strings.Cut(p, "=")
		if !ok {
			continue
		}
		un, err := url.QueryUnescape(name)
		if err != nil {
			un = name
		}
		uv, err := url.QueryUnescape(val)
		if err != nil {
			uv = val
		}
		if r.namedSecret(un, uv) {
			parts[k] = name + "=" + r.placeholder(uv, fmt.Sprintf("%s %q", where, un))
		}
	}
	return strings.Join(parts, "&")
}

var linkURLRE = regexp.MustCompile(`<[^>]*>`)

// link redacts the URLs between angle brackets of a Link header.
func (r *redactor) link(where, v string) string {
	return linkURLRE.ReplaceAllStringFunc(v, func(m string) string {
		return "<" + r.url(where, m[1:len(m)-1]) + ">"
	})
}

// refresh redacts the URL of a Refresh header: `5; url=/next?token=…`.
func (r *redactor) refresh(where, v string) string {
	i := strings.Index(strings.ToLower(v), "url=")
	if i < 0 {
		return v
	}
	u := v[i+4:]
	q := ""
	if len(u) > 0 && (u[0] == '"' || u[0] == '\'') {
		q = u[:1]
		u = strings.TrimSuffix(u[1:], q)
	}
	return v[:i+4] + q + r.url(where, u) + q
}

// mediaType returns the lower-case media type of a Content-Type and its
// parameters; "" when there is none.
func mediaType(ct string) (string, map[string]string) {
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil {
		mt, _, _ = strings.Cut(ct, ";")
	}
	return strings.ToLower(strings.TrimSpace(mt)), params
}

// multipart replaces the values of the secret fields of a
// multipart/form-data body (parts named by Content-Disposition, files
// excepted), keeping the rest byte for byte.
func (r *redactor) multipart(where string, b []byte, boundary string) []byte {
	if boundary == "" {
		return b
	}
	delim := []byte("--" + boundary)
	parts := bytes.Split(b, delim)
	for k := 1; k < len(parts)-1; k++ {
		p := parts[k]
		head, content, ok := bytes.Cut(p, []byte("\r\n\r\n"))
		if !ok {
			continue
		}
		var name string
		var file bool
		for _, line := range strings.Split(string(head), "\r\n") {
			hn, hv, ok := strings.Cut(line, ":")
			if !ok || !strings.EqualFold(strings.TrimSpace(hn), "Content-Disposition") {
				continue
			}
			_, params, err := mime.ParseMediaType(strings.TrimSpace(hv))
			if err != nil {
				continue
			}
			name = params["name"]
			_, file = params["filename"]
		}
		value, ok := bytes.CutSuffix(content, []byte("\r\n"))
		if !ok || file || !r.namedSecret(name, string(value)) {
			continue
		}
		ph := r.placeholder(string(value), fmt.Sprintf("%s multipart %q", where, name))
		parts[k] = append(append(append(head, "\r\n\r\n"...), ph...), "\r\n"...)
	}
	return bytes.Join(parts, delim)
}

// textPairRE finds the start of a `name=value` or `name: value` pair in
// text: a name, quoted or not, after the start of a line, a space or a
// separator; the value follows the match.
var textPairRE = regexp.MustCompile(`(?:^|[\s&;,?{(])["']?([A-Za-z0-9_.\-\[\]]+)["']?[ \t]*[=:][ \t]*`)

// text redacts a text body: the values of pairs with secret names
// (`token=…` lines, `a=1&password=…` sent as text/plain, `"key": "…"`),
// then JWTs, AWS access key IDs and keys of known formats anywhere (a text
// body has no field a user could name), then the passwords of URLs.
func (r *redactor) text(where, s string) string {
	var out strings.Builder
	off := 0
	for off < len(s) {
		m := textPairRE.FindStringSubmatchIndex(s[off:])
		if m == nil {
			break
		}
		name := s[off+m[2] : off+m[3]]
		vs := off + m[1]
		ve := valueEnd(s, vs)
		val := s[vs:ve]
		q := ""
		if len(val) >= 2 && (val[0] == '"' || val[0] == '\'') && val[len(val)-1] == val[0] {
			q, val = val[:1], val[1:len(val)-1]
		}
		out.WriteString(s[off:vs])
		if vs == ve || !r.namedSecret(name, val) {
			off = vs // the value may hold pairs: `next=/a?token=…`
			continue
		}
		out.WriteString(q + r.placeholder(val, fmt.Sprintf("%s text %q", where, name)) + q)
		off = ve
	}
	out.WriteString(s[off:])
	s = out.String()

	spans := tokenSpans(s)
	if len(spans) > 0 {
		var b strings.Builder
		last := 0
		for _, sp := range spans {
			b.WriteString(s[last:sp[0]])
			b.WriteString(r.placeholder(s[sp[0]:sp[1]], where+" text"))
			last = sp[1]
		}
		b.WriteString(s[last:])
		s = b.String()
	}
	return r.urlCredentials(where, s)
}

// valueEnd returns the end of the value of a text pair starting at i: the
// closing quote of a quoted value, else the first space, "&", ",", ";" or
// closing bracket.
func valueEnd(s string, i int) int {
	if i < len(s) && (s[i] == '"' || s[i] == '\'') {
		if j := strings.IndexByte(s[i+1:], s[i]); j >= 0 {
			return i + 1 + j + 1
		}
	}
	j := strings.IndexAny(s[i:], " \t\r\n&,;\"'})")
	if j < 0 {
		return len(s)
	}
	return i + j
}

// urlCredentials replaces the passwords of the URLs in s.
func (r *redactor) urlCredentials(where, s string) string {
	ms := urlCredentialsRE.FindAllStringSubmatchIndex(s, -1)
	if len(ms) == 0 {
		return s
	}
	var b strings.Builder
	last := 0
	for _, m := range ms {
		pw := s[m[2]:m[3]]
		if !secretValue(pw) {
			continue
		}
		b.WriteString(s[last:m[2]])
		b.WriteString(r.placeholder(pw, where+" url password"))
		last = m[3]
	}
	b.WriteString(s[last:])
	return b.String()
}
