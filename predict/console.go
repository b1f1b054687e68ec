package predict

import (
	"fmt"
	"strings"
)

// consoleMessage is the console text Chrome logs for a CORS error: Blink's
// cors_error_string.cc GetErrorStringForConsoleMessage, for a request that
// was not redirected.
func consoleMessage(e corsErr, target, page, api string) string {
	kind := "fetch"
	if api == "xhr" {
		kind = "XMLHttpRequest"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Access to %s at '%s' from origin '%s' has been blocked by CORS policy: ", kind, target, page)
	code := e.code
	if preflightCode(code) {
		b.WriteString("Response to preflight request doesn't pass access control check: ")
	}
	code = strings.TrimPrefix(code, "Preflight")
	hint := encodeHint(e.param)
	const noCors = " Have the server send the header with a valid value."
	const xhrCred = " The credentials mode of requests initiated by the XMLHttpRequest is controlled by the withCredentials attribute."
	switch code {
	case "WildcardOriginNotAllowed":
		b.WriteString("The value of the 'Access-Control-Allow-Origin' header in the response must not be the wildcard '*' when the request's credentials mode is 'include'.")
		if api == "xhr" {
			b.WriteString(xhrCred)
		}
	case "MissingAllowOriginHeader":
		b.WriteString("No 'Access-Control-Allow-Origin' header is present on the requested resource.")
	case "MultipleAllowOriginValues":
		fmt.Fprintf(&b, "The 'Access-Control-Allow-Origin' header contains multiple values '%s', but only one is allowed.", hint)
		if api != "xhr" {
			b.WriteString(noCors)
		}
	case "InvalidAllowOriginValue":
		fmt.Fprintf(&b, "The 'Access-Control-Allow-Origin' header contains the invalid value '%s'.", hint)
		if api != "xhr" {
			b.WriteString(noCors)
		}
	case "AllowOriginMismatch":
		fmt.Fprintf(&b, "The 'Access-Control-Allow-Origin' header has a value '%s' that is not equal to the supplied origin.", hint)
		if api != "xhr" {
			b.WriteString(noCors)
		}
	case "InvalidAllowCredentials":
		fmt.Fprintf(&b, "The value of the 'Access-Control-Allow-Credentials' header in the response is '%s' which must be 'true' when the request's credentials mode is 'include'.", hint)
		if api == "xhr" {
			b.WriteString(xhrCred)
		}
	case "InvalidStatus":
		b.WriteString("It does not have HTTP ok status.")
	case "DisallowedRedirect":
		b.WriteString("Redirect is not allowed for a preflight request.")
	case "InvalidAllowMethodsPreflightResponse":
		b.WriteString("Cannot parse Access-Control-Allow-Methods response header field in preflight response.")
	case "InvalidAllowHeadersPreflightResponse":
		b.WriteString("Cannot parse Access-Control-Allow-Headers response header field in preflight response.")
	case "MethodDisallowedByPreflightResponse":
		fmt.Fprintf(&b, "Method %s is not allowed by Access-Control-Allow-Methods in preflight response.", hint)
	case "HeaderDisallowedByPreflightResponse":
		fmt.Fprintf(&b, "Request header field %s is not allowed by Access-Control-Allow-Headers in preflight response.", hint)
	}
	return b.String()
}

// preflightCode reports whether a CorsError carries the "Response to
// preflight request doesn't pass access control check" prefix
// (cors_error_string.cc IsPreflightError).
func preflightCode(code string) bool {
	switch code {
	case "PreflightWildcardOriginNotAllowed", "PreflightMissingAllowOriginHeader",
		"PreflightMultipleAllowOriginValues", "PreflightInvalidAllowOriginValue",
		"PreflightAllowOriginMismatch", "PreflightInvalidAllowCredentials",
		"PreflightInvalidStatus", "PreflightDisallowedRedirect":
		return true
	}
	return false
}

// encodeHint is cors_error_string.cc EncodeHint: printable ASCII as is,
// every other byte as \uXXXX.
func encodeHint(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c < 0x7f {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "\\u%04X", c)
		}
	}
	return b.String()
}
