// Package predict computes, offline and without a browser, the verdict
// Chrome 156 gives on a check: given the check and a Server that answers the
// requests Chrome would send (usually a cassette, through a replay.Session,
// which answers exactly as the replay of that cassette does), Predict
// returns the same checks.Verdict browsercheck reads from Chrome — allowed,
// CorsError, failedParameter, console message, preflight sent or cached,
// status and readable headers — plus the exchanges and the rule that decided
// it, for explaining a failure.
//
// It implements the Fetch standard's CORS protocol the way Chromium does.
// Every step cites the section of https://fetch.spec.whatwg.org/ or the
// Chromium function it mirrors. The facts it shares with the rest of
// corsvcr (safelisted and forbidden methods and headers, the token grammar,
// origin serialisation, the connection-level headers left out of readable
// headers as browsercheck leaves them out, the check page path) live in
// internal/fetch; request defaults come from checks.Request.WithDefaults:
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
//   - redirects (redirect.go): the CORS check of each redirect response
//     (§4.3 HTTP fetch, cors_url_loader.cc OnReceiveRedirect), the redirect
//     modes ("request's redirect mode": error is a network error, manual an
//     opaque-redirect response, no-cors with a mode other than follow
//     NoCorsRedirectModeNotFollow before any request, fetch_manager.cc),
//     §4.4 HTTP-redirect fetch step by step (the Location resolved against
//     the current URL; at most 20 redirects; credentials in the Location,
//     cors_url_loader.cc CheckRedirectLocation; the tainted origin,
//     CheckTainted, sent and checked as "Origin: null"; 301/302 POST and
//     303 non-GET become GET without body and request-body headers;
//     Authorization dropped across origins), the CORS flag set on reaching
//     another origin and never unset (SetCorsFlagIfNeeded), a new
//     CORS-preflight for every hop that needs one (FollowRedirect restarts
//     the request), and net/'s own Origin rewriting for requests without
//     the CORS flag (redirect_util.cc UpdateHttpRequest). Step.Hops lists
//     every request of a step.
//   - Opaque Response Blocking of a cross-origin no-cors response (orb.go):
//     Chromium's "ORB v0.1" (services/network/orb/orb_impl.cc
//     OpaqueResponseBlockingAnalyzer, orb_mimetypes.cc, orb_sniffers.cc;
//     the proposal https://github.com/annevk/orb that Fetch §4.1 main fetch
//     refers to): opaque-safelisted types (CSS, SVG, audio, video) pass,
//     never-sniffed types (PDF, ZIP, CSV, protobuf, Office…) are blocked,
//     HTML, JSON, XML and text/plain are blocked with nosniff, a 206 from
//     the middle of a resource is blocked, a response without a MIME type
//     passes, else the first 1024 bytes are sniffed for HTML, XML, a JSON
//     object or a JavaScript parser breaker. The script gets its opaque
//     response either way; Verdict.ORB is set as browsercheck reads it,
//     from DevTools, which hears of a block only for a non-empty response
//     with an ok status (ShouldReportBlockedResponse); Step.Rule names the
//     step that blocked (measured: integration/testdata/oracle/orb).
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
//     reports a deprecation issue instead (measured). A preflight-cache
//     entry made from that answer does not cover Authorization, though: a
//     repeated request carrying it sends a new preflight (measured; the
//     cache lookup applies the non-wildcard rule).
//   - Which of several disallowed request headers is named in
//     failedParameter follows the order of Chrome's request header list,
//     built from a Blink hash map, not the script's order nor the sorted
//     order of Access-Control-Request-Headers. Predict names the first in
//     lexicographic order and lists every candidate in
//     Step.FailedParameterCandidates.
//
// Redirects where Chrome departs from the standard or where the standard
// is silent (all measured on Chrome 156, integration/testdata/oracle/
// redirects):
//
//   - The console message of a redirected request names the URL that
//     failed, then "(redirected from 'FIRST')", and the page origin even
//     when the request carried "Origin: null".
//   - RedirectContainsCredentials is reported with an empty
//     failedParameter and quotes the location as an empty string in the
//     console.
//   - The Location's credentials are checked before redirect mode error
//     applies (the network service checks, the renderer refuses to
//     follow), so a fetch with redirect "error" can still report
//     RedirectContainsCredentials; any other redirect in mode error is a
//     network error without a CORS error.
//   - A request in mode same-origin redirected to another origin fails
//     before the next request without a CORS error (the first hop of such a
//     request reports DisallowedByMode).
//   - Too many redirects (ERR_TOO_MANY_REDIRECTS) is a network error
//     without a CORS error.
//
// Not modelled (Predict says so in Step.Rule and sets Step.Unsupported):
// a redirect to a scheme other than http and https or with a Location Go's
// URL parser refuses, data:, blob: and filesystem: URLs (any other scheme
// is CorsDisabledScheme for fetch in mode cors), XHR or no-cors requests to
// schemes other than http and https, Private/Local
// Network Access, service workers and the HTTP cache (a cached redirect
// included). Not modelled and not flagged, of ORB: the audio, video and
// image signatures of net::SniffMimeTypeFromLocalData (none starts like
// HTML, XML or JSON, so only the memory of a URL sniffed as media matters:
// a later range response from the middle of that resource is allowed by
// Chrome and predicted blocked), Chromium's report of an empty response
// that registers an attribution (not seen from Chrome 156 headless), ORB
// for other request destinations (img, script: checks use fetch()) and
// Content-Type values net/ parses differently from Fetch's "extract a
// MIME type". Cookies are modelled per host only (see session.jar), also
// across redirects; Referer and the Referrer-Policy of a redirect are not
// modelled (replay does not match on them).
//
// The proof that Predict equals Chrome is two tests. TestCorpus, in this
// package and offline (go test ./predict/), predicts every check of the
// golden corpora the integration tests recorded in Chrome
// (integration/testdata: cassettes and Chrome's verdicts) and compares the
// verdicts field by field. integration's TestGenerated runs random checks
// through real Chrome and through Predict.
package predict
