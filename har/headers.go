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
			if !fetch.IsBrowserRequestHeaderName(h.Name) {
				return true
			}
		}
	}
	return false
}

// ScriptHeaders returns the headers of r that a page script set
// (fetch.IsScriptRequestHeader): r's headers without the ones the browser
// adds (Origin, Referer, User-Agent, Accept-Encoding, Cookie, Host, sec-*,
// ...), without Accept: */* (fetch's default), and without the cache
// headers the browser adds for a cache mode. Replay tells requests that
// share a match key apart by the same rule.
func ScriptHeaders(r cassettes.Request) cassettes.Headers {
	var out cassettes.Headers
	for _, h := range r.Headers {
		if fetch.IsScriptRequestHeader(h.Name, h.Value) {
			out = append(out, h)
		}
	}
	return out
}
