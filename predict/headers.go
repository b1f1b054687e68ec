package predict

import (
	"strings"

	"github.com/corsvcr/corsvcr/checks"
	"github.com/corsvcr/corsvcr/internal/fetch"
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
// dropped silently (fetch.IsForbiddenRequestHeader), repeated names combined with ", " (Fetch
// §2.2.2 "combine"). With noCors (fetch in no-cors mode) the
// "request-no-cors" guard also drops every header that is not a no-CORS-
// safelisted request-header (Fetch §5.1 Headers "append" step 5, cors.cc
// IsNoCorsSafelistedHeader).
func scriptHeaders(in []checks.Header, noCors bool) []header {
	var out []header
	for _, h := range in {
		name, value := h.Name, trimHTTPSpace(h.Value)
		if fetch.IsForbiddenRequestHeader(name, value) {
			continue
		}
		i := indexHeader(out, name)
		if i < 0 {
			if noCors && !(fetch.IsNoCORSSafelistedRequestHeaderName(name) && fetch.IsCORSSafelistedRequestHeader(name, value)) {
				continue
			}
			out = append(out, header{name, value})
			continue
		}
		combined := out[i].Value + ", " + value
		if noCors && !fetch.IsCORSSafelistedRequestHeader(name, combined) {
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
		if !fetch.IsCORSSafelistedRequestHeader(name, h.Value) {
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
