package fetch

import "github.com/corsvcr/corsvcr/internal/suggest"

// CorsErrors are the values of the DevTools protocol's Network.CorsError
// that Chrome 156 reports (corsErrorStatus.corsError; Chromium's
// services/network/public/mojom/cors.mojom CorsError), in the protocol's
// order. A check file's expect.cors_error must be one of them.
var corsErrors = [...]string{
	"DisallowedByMode", "InvalidResponse", "WildcardOriginNotAllowed",
	"MissingAllowOriginHeader", "MultipleAllowOriginValues", "InvalidAllowOriginValue",
	"AllowOriginMismatch", "InvalidAllowCredentials", "CorsDisabledScheme",
	"PreflightInvalidStatus", "PreflightDisallowedRedirect", "PreflightWildcardOriginNotAllowed",
	"PreflightMissingAllowOriginHeader", "PreflightMultipleAllowOriginValues",
	"PreflightInvalidAllowOriginValue", "PreflightAllowOriginMismatch",
	"PreflightInvalidAllowCredentials", "PreflightMissingAllowExternal",
	"PreflightInvalidAllowExternal", "InvalidAllowMethodsPreflightResponse",
	"InvalidAllowHeadersPreflightResponse", "MethodDisallowedByPreflightResponse",
	"HeaderDisallowedByPreflightResponse", "RedirectContainsCredentials",
	"InsecureLocalNetwork", "InvalidLocalNetworkAccess", "NoCorsRedirectModeNotFollow",
	"LocalNetworkAccessPermissionDenied",
}

// CorsErrors returns the Network.CorsError values Chrome reports.
func CorsErrors() []string { return corsErrors[:] }

// IsCorsError reports whether s is a Network.CorsError value.
func IsCorsError(s string) bool {
	for _, e := range corsErrors {
		if e == s {
			return true
		}
	}
	return false
}

// ClosestCorsError returns the CorsError value nearest to s by edit
// distance (case-insensitive), for "did you mean" hints.
func ClosestCorsError(s string) string {
	lower := make([]string, len(corsErrors))
	for i, e := range corsErrors {
		lower[i] = ByteLowercase(e)
	}
	best, _ := suggest.Closest(ByteLowercase(s), lower, -1)
	for _, e := range corsErrors {
		if ByteLowercase(e) == best {
			return e
		}
	}
	return ""
}
