// Package predict computes, offline and without a browser, the verdict
// Chrome 156 gives on a check: given the check and a Server that answers the
// requests Chrome would send (usually a cassette, through Replay), Predict
// returns the same checks.Verdict browsercheck reads from Chrome — allowed,
// CorsError, failedParameter, console message, preflight sent or cached,
// status and readable headers — plus the exchanges and the rule that decided
// it, for explaining a failure.
//
// It implements the Fetch standard's CORS protocol the way Chromium does.
// Every step cites the section of https://fetch.spec.whatwg.org/ or the
// Chromium function it mirrors:
//
//   - what the page sends: Blink's fetch()/XMLHttpRequest request setup
//     (method normalisation §2.2.1 "normalize"; forbidden request-headers
//     §2.2.2 and net::HttpUtil::IsSafeHeader; the no-cors header guard
//     §5.1 "request-no-cors"; the default Content-Type of a string body
//     §5.2 "extract a body").
//   - whether a preflight is needed: §4.1 main fetch step 12 and
//     services/network/cors/cors_url_loader.cc NeedsPreflight, with
//     CORS-safelisted methods (§2.2.1, cors.cc IsCorsSafelistedMethod) and
//     request-headers (§2.2.2 "CORS-safelisted request-header",
//     cors.cc IsCorsSafelistedHeader, cors_util.cc
//     CorsUnsafeNotForbiddenRequestHeaderNames).
//   - the preflight: §4.8 CORS-preflight fetch, preflight_controller.cc
//     CreatePreflightRequest / CheckPreflightAccess / CreatePreflightResult,
//     preflight_result.cc Parse / EnsureAllowedCrossOriginMethod /
//     EnsureAllowedCrossOriginHeaders.
//   - the preflight cache: §4.8 "CORS-preflight cache" and
//     preflight_cache.cc / preflight_result.cc (5 s default, 2 h cap).
//   - the CORS check of the response: §4.9 CORS check, cors.cc CheckAccess.
//   - what the script can read: §2.2.6 CORS-safelisted response-header
//     name, §3.2.4 Access-Control-Expose-Headers, Blink's cors.cc
//     ExtractCorsExposedHeaderNamesList.
//   - the console text: Blink's cors_error_string.cc
//     GetErrorStringForConsoleMessage and fetch_manager.cc.
//
// # Chromium's divergences from the standard
//
// Predict reproduces Chrome, not the standard, where they differ:
//
//   - Access-Control-Allow-Methods lists are matched byte for byte against
//     the method as sent, as the standard says (preflight_result.cc
//     EnsureAllowedCrossOriginMethod with acam_preflight_spec_conformant
//     on, measured on Chrome 156: fetch(url, {method: "patch"}) is not
//     allowed by "PATCH"); older Chromium upper-cased the method first
//     (https://crbug.com/1228178). The safelisted methods still pass in
//     any case.
//   - A wrong Access-Control-Allow-Origin is reported as one of four errors
//     (cors.cc CheckAccess): MultipleAllowOriginValues when the value holds a
//     space or a comma, AllowOriginMismatch for "null",
//     InvalidAllowOriginValue when it does not parse as a URL (GURL), else
//     AllowOriginMismatch. The standard has a single failure.
//   - A preflight answered with a bad status but also failing the CORS check
//     reports the CORS check's error, as a Preflight… error
//     (preflight_controller.cc CheckPreflightAccess); only a response that
//     passes the check reports PreflightInvalidStatus.
//   - Chromium's safelist adds headers to the standard's (cors.cc
//     IsCorsSafelistedHeader): Intervention, the legacy client hints
//     (device-memory, dpr, width, viewport-width, rtt, downlink, ect) and
//     save-data, each with its own value rule.
//   - The 1024-byte budget of safelisted header values (§2.2.2) counts the
//     headers the renderer adds itself (Accept, the User-Agent client hints
//     sec-ch-ua*), not only the script's (cors_util.cc).
//   - Access-Control-Expose-Headers is parsed as a whole list: one invalid
//     member empties it (Blink cors.cc HTTPHeaderNameListParser); the
//     standard ignores a header value that fails to parse the same way, but
//     Chrome also accepts empty members.
//   - "Access-Control-Allow-Headers: *" also covers Authorization:
//     preflight_result.cc EnsureAllowedCrossOriginHeaders checks the
//     standard's "CORS non-wildcard request-header name" only with
//     NonWildcardRequestHeadersSupport, which Chrome 156 leaves off; it
//     reports a deprecation issue instead (measured).
//   - Which of several disallowed request headers is named in
//     failedParameter follows the order of Chrome's request header list,
//     built from a Blink hash map, not the script's order nor the sorted
//     order of Access-Control-Request-Headers. Predict names the first in
//     lexicographic order and lists every candidate in
//     Step.FailedParameterCandidates.
//
// Not modelled (Predict says so in Step.Rule and sets Step.Unsupported):
// redirects of the actual request, schemes other than http and https,
// Private/Local Network Access, service workers and the HTTP cache.
package predict
