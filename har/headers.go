package har

import (
	"strings"

	"github.com/corsvcr/corsvcr/cassettes"
	"github.com/corsvcr/corsvcr/internal/fetch"
)

// NoPreflights reports whether the HAR had cross-origin requests that need a
// preflight but no preflight entry: Chrome DevTools and Playwright leave
// preflights out, and a replay without them cannot reproduce a preflight
// failure.
func (r *Report) NoPreflights() bool {
	if r.Preflights > 0 {
		return false
	}
	for _, q := range r.Requests {
		if needsPreflight(q.Request) {
			return true
		}
	}
	return false
}

// needsPreflight reports whether a cross-origin fetch of r needs a CORS
// preflight: a method other than GET, HEAD and POST, or a header outside
// the CORS-safelisted ones (the check the Fetch standard makes, minus the
// value limits).
func needsPreflight(r cassettes.Request) bool {
	if !fetch.IsCORSSafelistedMethod(r.Method) {
		return true
	}
	for _, h := range r.Headers {
		switch strings.ToLower(h.Name) {
		case "accept", "accept-language", "content-language", "range":
		case "content-type":
			mt, _, _ := strings.Cut(strings.ToLower(h.Value), ";")
			switch strings.TrimSpace(mt) {
			case "application/x-www-form-urlencoded", "multipart/form-data", "text/plain":
			default:
				return true
			}
		default:
			if !browserSetHeader(h.Name) {
				return true
			}
		}
	}
	return false
}

// browserSetHeader reports whether name is a request header the browser
// (not a page script) sets: forbidden header names, client hints, and the
// ones a HAR writer adds.
func browserSetHeader(name string) bool {
	if fetch.IsForbiddenRequestHeaderName(name) || strings.HasPrefix(name, ":") {
		return true
	}
	switch strings.ToLower(name) {
	case "accept-language", "upgrade-insecure-requests", "access-control-request-local-network",
		"priority", "purpose", "x-client-data", "if-none-match", "if-modified-since":
		return true
	}
	return false
}

// ScriptHeaders returns the headers of r that a page script set: r's
// headers without the ones the browser adds (Origin, Referer, User-Agent,
// Accept-Encoding, Cookie, Host, sec-*, ...), without Accept: */* (fetch's
// default), and without the cache headers the browser adds for a cache
// mode (Fetch §4.5 HTTP-network-or-cache fetch): Pragma: no-cache and
// Cache-Control: no-cache (cache "no-store" or "reload", and DevTools with
// its cache disabled), Cache-Control: max-age=0 (cache "no-cache").
func ScriptHeaders(r cassettes.Request) cassettes.Headers {
	var out cassettes.Headers
	for _, h := range r.Headers {
		n := strings.ToLower(h.Name)
		switch {
		case browserSetHeader(h.Name):
		case n == "accept" && h.Value == "*/*":
		case n == "pragma" && h.Value == "no-cache":
		case n == "cache-control" && (h.Value == "no-cache" || h.Value == "max-age=0"):
		default:
			out = append(out, h)
		}
	}
	return out
}
