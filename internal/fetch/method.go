package fetch

import "strings"

// IsCORSSafelistedMethod reports whether m is GET, HEAD or POST (Fetch
// §2.2.1 "CORS-safelisted method"), compared upper-cased as Chromium's
// cors.cc IsCorsSafelistedMethod does. A request with another method needs
// a preflight; a no-cors fetch() may use no other.
func IsCORSSafelistedMethod(m string) bool {
	return isAny(m, "get", "head", "post")
}

// IsForbiddenMethod reports whether m is CONNECT, TRACE or TRACK, in any
// case (Fetch §2.2.1 "forbidden method", cors.cc IsForbiddenMethod): fetch()
// and XMLHttpRequest.open() throw.
func IsForbiddenMethod(m string) bool {
	return isAny(m, "connect", "trace", "track")
}

// NormalizeMethod normalises a method as fetch() and XMLHttpRequest.open()
// do (Fetch §2.2.1 "normalize"): DELETE, GET, HEAD, OPTIONS, POST and PUT
// are upper-cased, any other method is kept as written. "" is GET, the
// default method (Fetch §5.4 Request constructor).
func NormalizeMethod(m string) string {
	if m == "" {
		return "GET"
	}
	for _, n := range [...]string{"DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT"} {
		if strings.EqualFold(m, n) && IsToken(m) {
			return n
		}
	}
	return m
}
