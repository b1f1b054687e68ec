package predict

import (
	"strings"

	"github.com/corsvcr/corsvcr/checks"
)

// header is one request header as the page's request carries it: name as
// the script wrote it first, value combined for repeated names.
type header struct{ Name, Value string }

// trimHTTPSpace strips leading and trailing HTTP whitespace (Fetch §2.2
// "normalize" a header value: HTTP tab or space, CR, LF).
func trimHTTPSpace(s string) string {
	return strings.Trim(s, " \t\r\n")
}

// scriptHeaders returns the request headers fetch() or XMLHttpRequest
// keep from the script's: values normalised, forbidden request-headers
// dropped silently (Fetch §2.2.2 "forbidden request-header", Chromium's
// net::HttpUtil::IsSafeHeader), repeated names combined with ", " (Fetch
// §2.2.2 "combine"). With noCors (fetch in no-cors mode) the
// "request-no-cors" guard also drops every header that is not a no-CORS-
// safelisted request-header (Fetch §5.1 Headers "append" step 5, cors.cc
// IsNoCorsSafelistedHeader).
func scriptHeaders(in []checks.Header, noCors bool) []header {
	var out []header
	for _, h := range in {
		name, value := h.Name, trimHTTPSpace(h.Value)
		if !isSafeHeader(name, value) {
			continue
		}
		i := indexHeader(out, name)
		if i < 0 {
			if noCors && !(isNoCorsSafelistedName(name) && isSafelistedHeader(name, value)) {
				continue
			}
			out = append(out, header{name, value})
			continue
		}
		combined := out[i].Value + ", " + value
		if noCors && !isSafelistedHeader(name, combined) {
			continue
		}
		out[i].Value = combined
	}
	return out
}

func indexHeader(hs []header, name string) int {
	for i, h := range hs {
		if strings.EqualFold(h.Name, name) {
			return i
		}
	}
	return -1
}

// withBodyContentType adds the Content-Type a string body brings when the
// script set none: "text/plain;charset=UTF-8" (Fetch §5.2 "extract a body"
// for a USVString; XHR §4.5.6 send step 4). XMLHttpRequest also rewrites
// the charset parameter of the script's Content-Type to UTF-8
// (xml_http_request.cc ReplaceCharsetInMediaType).
func withBodyContentType(hs []header, api string) []header {
	i := indexHeader(hs, "Content-Type")
	if i < 0 {
		return append(hs, header{"Content-Type", "text/plain;charset=UTF-8"})
	}
	if api == "xhr" {
		hs[i].Value = replaceCharset(hs[i].Value)
	}
	return hs
}

// replaceCharset sets the value of every charset parameter of a media type
// to UTF-8.
func replaceCharset(mt string) string {
	parts := strings.Split(mt, ";")
	for i := 1; i < len(parts); i++ {
		p := parts[i]
		eq := strings.IndexByte(p, '=')
		if eq < 0 {
			continue
		}
		if strings.EqualFold(strings.TrimSpace(p[:eq]), "charset") {
			parts[i] = p[:eq+1] + "UTF-8"
		}
	}
	return strings.Join(parts, ";")
}

// unsafeHeaderNames returns the lower-cased names of the request's headers
// that make it need a preflight, in request order: cors_util.cc
// CorsUnsafeNotForbiddenRequestHeaderNames (Fetch §2.2.2 "CORS-unsafe
// request-header names"): every header that is not CORS-safelisted, and
// all of the safelisted ones too when their values add up to more than
// 1024 bytes. The request is the script's headers plus the Accept: */*
// that Blink adds when the script set none (fetch_manager.cc,
// xml_http_request.cc); the User-Agent client hints Blink also adds are
// Sec- headers, forbidden, and left out.
func unsafeHeaderNames(hs []header) []string {
	if indexHeader(hs, "Accept") < 0 {
		hs = append(hs[:len(hs):len(hs)], header{"Accept", "*/*"})
	}
	var names, safe []string
	size := 0
	for _, h := range hs {
		name := strings.ToLower(h.Name)
		if !isSafelistedHeader(name, h.Value) {
			names = append(names, name)
			continue
		}
		safe = append(safe, name)
		size += len(h.Value)
	}
	if size > 1024 {
		names = append(names, safe...)
	}
	return names
}

// forbiddenNames are the forbidden request-header names (Fetch §2.2.2)
// as Chromium's net::HttpUtil::IsSafeHeader lists them.
var forbiddenNames = map[string]bool{
	"accept-charset": true, "accept-encoding": true,
	"access-control-request-headers": true, "access-control-request-method": true,
	"access-control-request-private-network": true,
	"connection":                             true, "content-length": true, "cookie": true, "cookie2": true,
	"date": true, "dnt": true, "expect": true, "host": true, "keep-alive": true,
	"origin": true, "referer": true, "set-cookie": true, "te": true, "trailer": true,
	"transfer-encoding": true, "upgrade": true, "user-agent": true, "via": true,
}

// isSafeHeader mirrors net::HttpUtil::IsSafeHeader: false for a forbidden
// request-header, a Proxy- or Sec- prefixed name, and the method-override
// headers when they name a forbidden method.
func isSafeHeader(name, value string) bool {
	n := strings.ToLower(name)
	if strings.HasPrefix(n, "proxy-") || strings.HasPrefix(n, "sec-") || forbiddenNames[n] {
		return false
	}
	switch n {
	case "x-http-method", "x-http-method-override", "x-method-override":
		for m := range strings.SplitSeq(value, ",") {
			if isForbiddenMethod(strings.TrimSpace(m)) {
				return false
			}
		}
	}
	return true
}

// isNoCorsSafelistedName mirrors cors.cc IsNoCorsSafelistedHeaderName
// (Fetch §2.2.2 "no-CORS-safelisted request-header name").
func isNoCorsSafelistedName(name string) bool {
	switch strings.ToLower(name) {
	case "accept", "accept-language", "content-language", "content-type":
		return true
	}
	return false
}

// isSafelistedHeader mirrors cors.cc IsCorsSafelistedHeader (Fetch §2.2.2
// "CORS-safelisted request-header"), Chromium's extra names included.
func isSafelistedHeader(name, value string) bool {
	if len(value) > 128 {
		return false
	}
	lname := strings.ToLower(name)
	lvalue := strings.ToLower(value)
	switch lname {
	case "accept":
		return !strings.ContainsFunc(value, func(r rune) bool { return r < 0x80 && unsafeByte(byte(r)) })
	case "accept-language", "content-language":
		for i := 0; i < len(value); i++ {
			c := value[i]
			if !('0' <= c && c <= '9' || 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' ||
				c == ' ' || c == '*' || c == ',' || c == '-' || c == '.' || c == ';' || c == '=') {
				return false
			}
		}
		return true
	case "content-type":
		return safelistedContentType(lvalue)
	case "range":
		return simpleRange(lvalue)
	case "intervention":
		return true
	case "device-memory", "dpr", "downlink":
		return doubleABNF(value)
	case "width", "viewport-width", "rtt":
		return intABNF(value)
	case "ect":
		switch value {
		case "slow-2g", "2g", "3g", "4g":
			return true
		}
		return false
	case "save-data":
		return lvalue == "on"
	case "sec-ch-ua", "sec-ch-ua-arch", "sec-ch-ua-platform", "sec-ch-ua-model",
		"sec-ch-ua-mobile", "sec-ch-ua-full-version", "sec-ch-ua-platform-version",
		"sec-ch-prefers-color-scheme", "sec-ch-ua-bitness", "sec-ch-viewport-height",
		"sec-ch-device-memory", "sec-ch-dpr", "sec-ch-width", "sec-ch-viewport-width",
		"sec-ch-ua-full-version-list", "sec-ch-ua-wow64", "sec-ch-prefers-reduced-motion",
		"sec-ch-ua-form-factors", "sec-ch-prefers-reduced-transparency":
		return true
	}
	return false
}

// unsafeByte is Fetch's "CORS-unsafe request-header byte" (cors.cc
// IsCorsUnsafeRequestHeaderByte).
func unsafeByte(c byte) bool {
	return (c < 0x20 && c != 0x09) || c == '"' || c == '(' || c == ')' || c == ':' ||
		c == '<' || c == '>' || c == '?' || c == '@' || c == '[' || c == '\\' ||
		c == ']' || c == '{' || c == '}' || c == 0x7f
}

// safelistedContentType mirrors cors.cc IsCorsSafelistedLowerCaseContentType:
// no unsafe byte, and the essence of the parsed MIME type is
// application/x-www-form-urlencoded, multipart/form-data or text/plain.
func safelistedContentType(v string) bool {
	for i := 0; i < len(v); i++ {
		if unsafeByte(v[i]) {
			return false
		}
	}
	ess, ok := mimeEssence(v)
	if !ok {
		return false
	}
	switch ess {
	case "application/x-www-form-urlencoded", "multipart/form-data", "text/plain":
		return true
	}
	return false
}

// mimeEssence extracts "type/subtype" from a media type the way
// net::ExtractMimeTypeFromMediaType does: up to the first ';', trimmed, with
// a token type and subtype.
func mimeEssence(v string) (string, bool) {
	if i := strings.IndexByte(v, ';'); i >= 0 {
		v = v[:i]
	}
	v = strings.Trim(v, " \t")
	slash := strings.IndexByte(v, '/')
	if slash <= 0 || slash == len(v)-1 {
		return "", false
	}
	if !isToken(v[:slash]) || !isToken(v[slash+1:]) {
		return "", false
	}
	return strings.ToLower(v), true
}

// simpleRange reports whether v is `bytes=N-` or `bytes=N-M` with N <= M
// (Fetch §2.2.2 "simple range header value"; cors.cc parses it with
// net::HttpUtil::ParseRangeHeader, no whitespace, one range, no suffix).
func simpleRange(v string) bool {
	rest, ok := strings.CutPrefix(v, "bytes=")
	if !ok {
		return false
	}
	first, last, ok := strings.Cut(rest, "-")
	if !ok || !intABNF(first) || (last != "" && !intABNF(last)) {
		return false
	}
	if last != "" && numLess(last, first) {
		return false
	}
	return true
}

// numLess compares two digit strings numerically.
func numLess(a, b string) bool {
	a, b = strings.TrimLeft(a, "0"), strings.TrimLeft(b, "0")
	if len(a) != len(b) {
		return len(a) < len(b)
	}
	return a < b
}

// doubleABNF is 1*DIGIT [ "." 1*DIGIT ] (cors.cc IsSimilarToDoubleABNF).
func doubleABNF(v string) bool {
	i, d, dot := strings.Cut(v, ".")
	return intABNF(i) && (!dot || intABNF(d))
}

// intABNF is 1*DIGIT (cors.cc IsSimilarToIntABNF).
func intABNF(v string) bool {
	if v == "" {
		return false
	}
	for i := 0; i < len(v); i++ {
		if v[i] < '0' || v[i] > '9' {
			return false
		}
	}
	return true
}

// isToken mirrors net::HttpUtil::IsToken (RFC 9110 token).
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isTokenChar(s[i]) {
			return false
		}
	}
	return true
}

func isTokenChar(c byte) bool {
	if c <= 0x20 || c >= 0x7f {
		return false
	}
	return !strings.ContainsRune("()<>@,;:\\\"/[]?={}", rune(c))
}
