package fetch

import (
	"slices"
	"strings"
)

// IsConnectionHeader reports whether name is a header that describes the
// connection to the nearest hop rather than the message: Connection,
// Keep-Alive, Proxy-Connection, TE, Trailer, Transfer-Encoding and Upgrade
// (RFC 9110 section 7.6.1 "Connection", RFC 9112 sections 6.1 and 9.6,
// plus the non-standard Keep-Alive and Proxy-Connection that browsers
// send). Whether a same-origin script sees them depends on the transport
// (a proxy, HTTP/2), not on the server, so verdicts leave them out of the
// readable headers: browsercheck and predict both ask this function, which
// keeps Chrome's and the predictor's readable headers equal.
func IsConnectionHeader(name string) bool { return connectionHeaders.has(name) }

var connectionHeaders = newNameSet(connectionNames...)

var connectionNames = []string{"connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade"}

// IsHopByHop reports whether name is a hop-by-hop header, one a proxy
// never forwards or records: the connection headers (IsConnectionHeader)
// plus Proxy-Authenticate and Proxy-Authorization (RFC 9110 sections 7.6.1,
// 11.7.1 and 11.7.2; the list of RFC 2616 section 13.5.1 that proxies such
// as net/http/httputil and martian still strip). The headers a Connection
// header names are hop-by-hop too; callers strip them as well.
func IsHopByHop(name string) bool { return hopByHopHeaders.has(name) }

var hopByHopHeaders = newNameSet(slices.Concat(connectionNames, []string{"proxy-authenticate", "proxy-authorization"})...)

// IsForbiddenRequestHeaderName reports whether name is a forbidden request
// header name (Fetch §2.2.2 "forbidden request-header"), as Chromium's
// net::HttpUtil::IsSafeHeader lists them: a page script cannot set it, the
// browser does. A name beginning with Proxy- or Sec- is forbidden too.
// IsForbiddenRequestHeader also looks at the value.
func IsForbiddenRequestHeaderName(name string) bool {
	if HasPrefixFold(name, "proxy-") || HasPrefixFold(name, "sec-") {
		return true
	}
	return isAny(name,
		"accept-charset", "accept-encoding",
		"access-control-request-headers", "access-control-request-method",
		"access-control-request-private-network",
		"connection", "content-length", "cookie", "cookie2",
		"date", "dnt", "expect", "host", "keep-alive",
		"origin", "referer", "set-cookie", "te", "trailer",
		"transfer-encoding", "upgrade", "user-agent", "via")
}

// IsForbiddenRequestHeader reports whether the header name: value is a
// forbidden request-header (Fetch §2.2.2), which fetch() and
// XMLHttpRequest drop silently: a forbidden name
// (IsForbiddenRequestHeaderName), or X-HTTP-Method, X-HTTP-Method-Override
// or X-Method-Override naming a forbidden method (IsForbiddenMethod) in its
// comma-separated value. It is the negation of net::HttpUtil::IsSafeHeader.
func IsForbiddenRequestHeader(name, value string) bool {
	if IsForbiddenRequestHeaderName(name) {
		return true
	}
	if isAny(name, "x-http-method", "x-http-method-override", "x-method-override") {
		for m := range strings.SplitSeq(value, ",") {
			if IsForbiddenMethod(strings.TrimSpace(m)) {
				return true
			}
		}
	}
	return false
}

// IsNoCORSSafelistedRequestHeaderName reports whether name is a no-CORS-
// safelisted request-header name (Fetch §2.2.2; cors.cc
// IsNoCorsSafelistedHeaderName): Accept, Accept-Language, Content-Language
// or Content-Type, the only headers a no-cors fetch() keeps (and only with
// a CORS-safelisted value).
func IsNoCORSSafelistedRequestHeaderName(name string) bool {
	return isAny(name, "accept", "accept-language", "content-language", "content-type")
}

// IsCORSSafelistedRequestHeader reports whether name: value is a
// CORS-safelisted request-header (Fetch §2.2.2 "CORS-safelisted
// request-header"), as Chromium's cors.cc IsCorsSafelistedHeader decides
// it, Chromium's extra names included (Intervention, the legacy client
// hints and the Sec-CH- ones): a value of at most 128 bytes that suits the
// name. A request also needs a preflight when the safelisted values add up
// to more than 1024 bytes; that is the caller's sum.
func IsCORSSafelistedRequestHeader(name, value string) bool {
	if len(value) > 128 {
		return false
	}
	switch lname := ByteLowercase(name); lname {
	case "accept":
		return !strings.ContainsFunc(value, func(r rune) bool { return r < 0x80 && isCORSUnsafeByte(byte(r)) })
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
		return IsCORSSafelistedContentType(value)
	case "range":
		return isSimpleRange(ByteLowercase(value))
	case "intervention":
		return true
	case "device-memory", "dpr", "downlink":
		return isDoubleABNF(value)
	case "width", "viewport-width", "rtt":
		return isIntABNF(value)
	case "ect":
		switch value {
		case "slow-2g", "2g", "3g", "4g":
			return true
		}
		return false
	case "save-data":
		return equalFold(value, "on")
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

// IsCORSSafelistedContentType reports whether a Content-Type value is
// CORS-safelisted (Fetch §2.2.2, cors.cc
// IsCorsSafelistedLowerCaseContentType): no CORS-unsafe request-header
// byte, and the essence of the parsed MIME type (MIMEEssence) is
// application/x-www-form-urlencoded, multipart/form-data or text/plain.
func IsCORSSafelistedContentType(value string) bool {
	for i := 0; i < len(value); i++ {
		if isCORSUnsafeByte(value[i]) {
			return false
		}
	}
	ess, ok := MIMEEssence(value)
	if !ok {
		return false
	}
	switch ess {
	case "application/x-www-form-urlencoded", "multipart/form-data", "text/plain":
		return true
	}
	return false
}

// MIMEEssence returns the lower-cased essence "type/subtype" of a media
// type (a Content-Type value) the way net::ExtractMimeTypeFromMediaType
// finds it: up to the first ';', trimmed of spaces and tabs, with a token
// type and subtype; false when there is none.
func MIMEEssence(v string) (string, bool) {
	if i := strings.IndexByte(v, ';'); i >= 0 {
		v = v[:i]
	}
	v = strings.Trim(v, " \t")
	slash := strings.IndexByte(v, '/')
	if slash <= 0 || slash == len(v)-1 {
		return "", false
	}
	if !IsToken(v[:slash]) || !IsToken(v[slash+1:]) {
		return "", false
	}
	return ByteLowercase(v), true
}

// isCORSUnsafeByte is Fetch's "CORS-unsafe request-header byte" (cors.cc
// IsCorsUnsafeRequestHeaderByte).
func isCORSUnsafeByte(c byte) bool {
	return (c < 0x20 && c != 0x09) || c == '"' || c == '(' || c == ')' || c == ':' ||
		c == '<' || c == '>' || c == '?' || c == '@' || c == '[' || c == '\\' ||
		c == ']' || c == '{' || c == '}' || c == 0x7f
}

// isSimpleRange reports whether the lower-cased v is `bytes=N-` or
// `bytes=N-M` with N <= M (Fetch §2.2.2 "simple range header value";
// cors.cc parses it with net::HttpUtil::ParseRangeHeader: no whitespace,
// one range, no suffix range).
func isSimpleRange(v string) bool {
	rest, ok := strings.CutPrefix(v, "bytes=")
	if !ok {
		return false
	}
	first, last, ok := strings.Cut(rest, "-")
	if !ok || !isIntABNF(first) || (last != "" && !isIntABNF(last)) {
		return false
	}
	return last == "" || !numLess(last, first)
}

// numLess compares two digit strings numerically.
func numLess(a, b string) bool {
	a, b = strings.TrimLeft(a, "0"), strings.TrimLeft(b, "0")
	if len(a) != len(b) {
		return len(a) < len(b)
	}
	return a < b
}

// isDoubleABNF is 1*DIGIT [ "." 1*DIGIT ] (cors.cc IsSimilarToDoubleABNF).
func isDoubleABNF(v string) bool {
	i, d, dot := strings.Cut(v, ".")
	return isIntABNF(i) && (!dot || isIntABNF(d))
}

// isIntABNF is 1*DIGIT (cors.cc IsSimilarToIntABNF).
func isIntABNF(v string) bool {
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

// IsCORSSafelistedResponseHeaderName reports whether a cross-origin script
// may read the response header name without Access-Control-Expose-Headers
// (Fetch §2.2.6 "CORS-safelisted response-header name", cors.cc
// IsCorsSafelistedResponseHeader): Cache-Control, Content-Language,
// Content-Length, Content-Type, Expires, Last-Modified, Pragma.
func IsCORSSafelistedResponseHeaderName(name string) bool {
	return isAny(name, "cache-control", "content-language", "content-length", "content-type", "expires", "last-modified", "pragma")
}

// IsForbiddenResponseHeaderName reports whether no script can ever read
// the response header name: Set-Cookie and Set-Cookie2 (Fetch §2.2.6
// "forbidden response-header name").
func IsForbiddenResponseHeaderName(name string) bool {
	return isAny(name, "set-cookie", "set-cookie2")
}

// IsBrowserRequestHeaderName reports whether a request header named name
// is one the browser sets, not a page script: the forbidden request-header
// names (IsForbiddenRequestHeaderName), HTTP/2 pseudo-headers (":path" in a
// HAR), and the names Chrome adds on its own although a script could set
// them: Accept-Language, Upgrade-Insecure-Requests,
// Access-Control-Request-Local-Network, Priority, Purpose, X-Client-Data,
// and the cache validators If-None-Match and If-Modified-Since (Fetch §4.5
// HTTP-network-or-cache fetch adds them for a stored response).
func IsBrowserRequestHeaderName(name string) bool {
	if IsForbiddenRequestHeaderName(name) || strings.HasPrefix(name, ":") {
		return true
	}
	return isAny(name, "accept-language", "upgrade-insecure-requests", "access-control-request-local-network",
		"priority", "purpose", "x-client-data", "if-none-match", "if-modified-since")
}

// IsScriptRequestHeader reports whether the request header name: value, as
// a browser sent it, is one the page script set: the one rule by which
// check files are derived from recordings (package har) and by which replay
// tells apart requests that share a match key (package replay). It holds
// for every header whose name is not the browser's (IsBrowserRequestHeaderName)
// except the values the browser itself puts in script-settable headers:
// Accept: */* (fetch's and XMLHttpRequest's default, Fetch §4.1 main fetch
// step 12.2 / XHR send()), and the cache headers of a cache mode (Fetch §4.5
// HTTP-network-or-cache fetch): Pragma: no-cache and Cache-Control: no-cache
// (cache "no-store" or "reload", and DevTools with its cache disabled),
// Cache-Control: max-age=0 (cache "no-cache"). A script that sets exactly
// these values is indistinguishable from the browser and is treated alike.
// Content-Type counts: Chrome's default for a string body
// ("text/plain;charset=UTF-8") is what a script asked for by sending one.
func IsScriptRequestHeader(name, value string) bool {
	switch {
	case IsBrowserRequestHeaderName(name):
		return false
	case equalFold(name, "accept"):
		return value != "*/*"
	case equalFold(name, "pragma"):
		return value != "no-cache"
	case equalFold(name, "cache-control"):
		return value != "no-cache" && value != "max-age=0"
	}
	return true
}
