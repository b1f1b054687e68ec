package fetch

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
	best, bestD := "", -1
	for _, e := range corsErrors {
		if d := editDistance(ByteLowercase(s), ByteLowercase(e)); bestD < 0 || d < bestD {
			best, bestD = e, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b (bytes).
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
