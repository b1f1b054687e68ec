package predict

import (
	"net/url"
	"slices"
	"strings"

	"github.com/corsvcr/corsvcr/cassettes"
	"github.com/corsvcr/corsvcr/internal/fetch"
)

// fetch is one request of the page script as Chrome's network service
// carries it from hop to hop: services/network/cors/cors_url_loader.cc
// CorsURLLoader's request_ with its fetch_cors_flag_, tainted_ and
// redirect_count_ (Fetch §4.1 main fetch, §4.3 HTTP fetch and §4.4
// HTTP-redirect fetch).
type fetchParams struct {
	u        *url.URL // the request's current URL
	initial  string   // the first URL, serialised
	method   string
	hdrs     []header // the script's headers (and a body's Content-Type)
	body     string   // "" when the request has no body
	mode     string   // cors | no-cors | same-origin
	cred     string   // omit | same-origin | include
	api      string   // fetch | xhr
	cache    string   // the fetch cache mode
	redirect string   // follow | error | manual
	// corsFlag is Fetch's CORS flag (fetch_cors_flag_): set for a
	// cross-origin request in mode cors, and never unset
	// (cors_url_loader.cc SetCorsFlagIfNeeded).
	corsFlag bool
	// tainted is the request's tainted origin flag (Fetch §4.4; cors_url_
	// loader.cc CheckTainted): its Origin is then "null".
	tainted bool
	// plainOrigin is the Origin a request without the CORS flag carries:
	// the page origin for a method other than GET and HEAD (Fetch §3.1),
	// "null" once a redirect crossed origins and "" (none) once a redirect
	// changed the method (net/url_request/redirect_util.cc
	// UpdateHttpRequest, which follows such redirects).
	plainOrigin string
	redirects   int // redirects followed so far (Fetch's redirect count)
}

// clientHints are the client hint request headers a script can set (the
// legacy ones; the Sec-CH- ones are forbidden), as named in
// services/network/public/cpp/client_hints.cc GetClientHintToNameMap.
var clientHints = []string{"device-memory", "dpr", "width", "viewport-width", "rtt", "downlink", "ect"}

// maxRedirects is Fetch §4.4 HTTP-redirect fetch's limit ("If request's
// redirect count is 20, return a network error"), cors_url_loader.cc
// OnReceiveRedirect: the 21st redirect fails with ERR_TOO_MANY_REDIRECTS.
const maxRedirects = 20

// origin returns the serialised origin the request carries when it has the
// CORS flag: "null" once tainted (cors_url_loader.cc StartRequest and
// CheckAccess use url::Origin(), an opaque origin, then).
func (f *fetchParams) origin(page string) string {
	if f.tainted {
		return "null"
	}
	return page
}

// tainting is the request's response tainting (Fetch §4.1 main fetch step
// 12; cors_url_loader.cc CalculateResponseTainting): "cors" with the CORS
// flag; "opaque" for a no-cors request to another origin or after a
// redirect tainted it; else "basic".
func (f *fetchParams) tainting(page string) string {
	switch {
	case f.corsFlag:
		return "cors"
	case f.mode == "no-cors" && (f.tainted || fetch.SerializeOrigin(f.u) != page):
		return "opaque"
	}
	return "basic"
}

// fetch sends f and follows its redirects, filling out: each hop is a
// request (after a preflight when one is needed) whose response is either
// final or a redirect handled by redirect.
func (s *session) fetch(out *Step, f *fetchParams) {
	v := &out.Verdict
	for {
		target := href(f.u)
		if f.redirects > 0 {
			out.from = f.initial
		}
		req := cassettes.Request{Method: f.method, URL: target}
		orig := f.plainOrigin
		if f.corsFlag {
			// cors_url_loader.cc StartRequest (Fetch §3.1 "append a
			// request Origin header", serialising a tainted origin as
			// "null").
			orig = f.origin(s.page)
		}
		if orig != "" {
			req.Headers = append(req.Headers, cassettes.Header{Name: "Origin", Value: orig})
		}
		for _, h := range f.hdrs {
			req.Headers = append(req.Headers, cassettes.Header{Name: h.Name, Value: h.Value})
		}
		// The credentials flag (cors.cc CalculateCredentialsFlag, Fetch
		// §4.6 step 8): include, or same-origin with basic tainting.
		sendCookies := f.cred == "include" || (f.cred == "same-origin" && f.tainting(s.page) == "basic")
		if sendCookies && s.jar[strings.ToLower(f.u.Hostname())] {
			req.Headers = append(req.Headers, cassettes.Header{Name: "Cookie", Value: "corsvcr=1"})
		}
		if f.body != "" {
			req.Body = cassettes.Body(f.body)
		}

		if f.corsFlag {
			// A preflight for every hop that needs one: cors_url_loader.cc
			// FollowRedirect restarts the request (StartRequest) when
			// NeedsPreflight holds, so the new URL gets its own preflight
			// (Fetch §4.4: HTTP-redirect fetch runs main fetch again).
			if reason := s.preflight(out, f.u, req, f.hdrs, f.method, f.cred, f.api, f.cache, f.origin(s.page)); reason != "" {
				return
			}
		}

		ans := s.srv.RoundTrip(req)
		resp, ok := ans.Response, ans.Miss == nil
		out.Actual = &Exchange{Request: req, Response: resp, Interaction: ans.Interaction}
		out.Hops = append(out.Hops, *out.Actual)
		if !ok {
			out.Miss = true
			out.Rule = "no recorded response for the actual request (replay miss)"
			blocked(v, f.api)
			return
		}
		if sendCookies {
			s.storeCookies(f.u, resp)
		}
		if !isRedirect(resp) {
			s.final(out, f, resp)
			return
		}
		if !s.redirect(out, f, resp) {
			return
		}
	}
}

// final fills out from the response that ends the fetch (Fetch §4.1 main
// fetch steps 14-15: the response filtered by the request's tainting).
func (s *session) final(out *Step, f *fetchParams, resp cassettes.Response) {
	v := &out.Verdict
	switch f.tainting(s.page) {
	case "basic":
		// Basic filtered response (Fetch §2.2.6): every header but
		// Set-Cookie/Set-Cookie2 is readable.
		v.Allowed = true
		v.Status = resp.Status
		v.ReadableHeaders = readable(resp.Headers, func(string) bool { return true })
	case "opaque":
		// Opaque filtered response (Fetch §2.2.6): nothing readable;
		// Opaque Response Blocking may still block the body, but not a
		// response from the page's own origin, which a redirect tainted
		// (orb_impl.cc: a same-origin request_initiator is allowed;
		// measured by TestGenerated).
		v.Allowed = true
		v.Opaque = true
		if fetch.SerializeOrigin(f.u) != s.page {
			orb := opaqueResponseBlocking(f.method, resp)
			v.ORB = orb.reported
			out.Rule = orb.why
		}
	default:
		if e, ok := checkAccess(resp.Headers, f.cred, f.origin(s.page)); !ok {
			why := "CORS check of the response (Fetch §4.9, cors.cc CheckAccess): " + e.why
			if f.tainted {
				why += "; after a cross-origin redirect the request's origin is \"null\" (Fetch §4.4 tainted origin, cors_url_loader.cc CheckTainted)"
			}
			s.fail(out, e, href(f.u), f.api, why)
			return
		}
		v.Allowed = true
		v.Status = resp.Status
		exposed := exposedHeaders(resp.Headers, f.cred)
		v.ReadableHeaders = readable(resp.Headers, func(name string) bool {
			return fetch.IsCORSSafelistedResponseHeaderName(name) || exposed.has(name)
		})
	}
}

// redirect handles a redirect response the way cors_url_loader.cc
// OnReceiveRedirect and FollowRedirect do (Fetch §4.3 HTTP fetch's redirect
// mode switch and §4.4 HTTP-redirect fetch), and reports whether the fetch
// goes on to f's new URL. When it does not, out is complete.
func (s *session) redirect(out *Step, f *fetchParams, resp cassettes.Response) bool {
	v := &out.Verdict
	target := href(f.u)
	// OnReceiveRedirect: "If CORS flag is set and a CORS check for request
	// and response returns failure, then return a network error" (Fetch
	// §4.3 HTTP fetch), with the tainted origin as it stands.
	if f.corsFlag {
		if e, ok := checkAccess(resp.Headers, f.cred, f.origin(s.page)); !ok {
			s.fail(out, e, target, f.api, "CORS check of the redirect response (Fetch §4.3 HTTP fetch, cors_url_loader.cc OnReceiveRedirect → cors.cc CheckAccess): "+e.why)
			return false
		}
	}
	if f.redirect == "manual" {
		// Fetch §4.3 HTTP fetch, redirect mode "manual": an
		// opaque-redirect filtered response (OnReceiveRedirect forwards
		// it as kOpaqueRedirect): type "opaqueredirect", status 0,
		// nothing readable.
		v.Allowed = true
		v.Opaque = true
		v.Status = 0
		v.ReadableHeaders = []string{}
		out.Rule = ""
		return false
	}
	// Fetch §4.4 HTTP-redirect fetch: the redirect count
	// (OnReceiveRedirect: redirect_count_++ == 20 → ERR_TOO_MANY_REDIRECTS,
	// a network error without a CORS error).
	if f.redirects == maxRedirects {
		blocked(v, f.api)
		out.Rule = "more than 20 redirects (Fetch §4.4 HTTP-redirect fetch: redirect count; cors_url_loader.cc OnReceiveRedirect: net::ERR_TOO_MANY_REDIRECTS)"
		return false
	}
	f.redirects++
	loc, _ := resp.Headers.Get("Location")
	ref, err := url.Parse(strings.TrimSpace(loc))
	if err != nil {
		out.Unsupported = "Location " + loc
		blocked(v, f.api)
		out.Rule = "the Location does not parse (not modelled: Chrome's URL parser is more lenient)"
		return false
	}
	next := f.u.ResolveReference(ref)
	if next.Scheme != "http" && next.Scheme != "https" {
		// Fetch §4.4: "If locationURL's scheme is not an HTTP(S) scheme,
		// then return a network error" (net::ERR_UNSAFE_REDIRECT).
		out.Unsupported = "redirect to scheme " + next.Scheme
		blocked(v, f.api)
		out.Rule = "redirect to a URL whose scheme is not http or https (Fetch §4.4 HTTP-redirect fetch)"
		return false
	}
	// cors_url_loader.cc CheckRedirectLocation (Fetch §4.4: a location URL
	// that includes credentials, in mode cors to another origin or after
	// taint, or with the CORS flag). Chrome names no failed parameter, and
	// its console message quotes it empty.
	if next.User != nil && ((f.mode == "cors" && (f.tainted || fetch.SerializeOrigin(next) != s.page)) || f.corsFlag) {
		s.fail(out, corsErr{code: "RedirectContainsCredentials"}, target, f.api, "the redirect's Location includes credentials (Fetch §4.4 HTTP-redirect fetch, cors_url_loader.cc CheckRedirectLocation)")
		return false
	}
	if f.redirect == "error" {
		// Fetch §4.3 HTTP fetch, redirect mode "error": a network error.
		// The network service has done its redirect checks above by then
		// (cors_url_loader.cc OnReceiveRedirect, before the renderer sees
		// the redirect and does not follow it; measured: a Location with
		// credentials still reports RedirectContainsCredentials): no CORS
		// error.
		blocked(v, f.api)
		out.Rule = "redirect mode error (Fetch §4.3 HTTP fetch): the response is a redirect"
		return false
	}
	if f.mode == "same-origin" && fetch.SerializeOrigin(next) != s.page {
		// Main fetch on the new URL (Fetch §4.4 last step → §4.1 step 12:
		// mode same-origin to another origin is a network error). Chrome
		// stops before the request and, unlike the first hop, reports no
		// CORS error (measured on Chrome 156).
		blocked(v, f.api)
		out.Rule = "request mode same-origin redirected to another origin (Fetch §4.1 main fetch step 12 via §4.4 HTTP-redirect fetch)"
		return false
	}
	// Fetch §4.4: "If locationURL's origin is not same origin with
	// request's current URL's origin and request's origin is not same
	// origin with request's current URL's origin, then set request's
	// tainted origin flag" (cors_url_loader.cc CheckTainted).
	crossed := fetch.SerializeOrigin(next) != fetch.SerializeOrigin(f.u)
	if crossed && s.page != fetch.SerializeOrigin(f.u) {
		f.tainted = true
	}
	// Fetch §4.4: 301/302 turn POST into GET, 303 turns anything but GET
	// and HEAD into GET, dropping the body and the request-body-header
	// names (net::RedirectInfo::ComputeRedirectInfo, redirect_util.cc
	// UpdateHttpRequest; measured: the Content-Type goes too).
	changed := false
	if (resp.Status == 301 || resp.Status == 302) && f.method == "POST" || resp.Status == 303 && f.method != "GET" && f.method != "HEAD" {
		changed = true
		f.method = "GET"
		f.body = ""
		f.hdrs = slices.DeleteFunc(slices.Clone(f.hdrs), func(h header) bool {
			switch strings.ToLower(h.Name) {
			case "content-type", "content-encoding", "content-language", "content-location":
				return true
			}
			return false
		})
	}
	// Without the CORS flag net/ follows the redirect itself
	// (redirect_util.cc UpdateHttpRequest): Origin becomes "null" across
	// origins and is dropped when the method changes.
	switch {
	case changed:
		f.plainOrigin = ""
	case crossed && f.plainOrigin != "":
		f.plainOrigin = "null"
	}
	// Blink's ResourceLoader::WillFollowRedirect removes headers before
	// the network service follows: Authorization across origins (Fetch
	// §4.4: the CORS non-wildcard request-header names), and the client
	// hints the page's permissions policy does not allow at the new URL
	// (client_hints.cc FindClientHintsToRemove; the default policy of the
	// legacy hints is 'self', the page origin). Measured on Chrome 156: the
	// next hop goes without them, so it may need no preflight.
	f.hdrs = slices.DeleteFunc(slices.Clone(f.hdrs), func(h header) bool {
		name := strings.ToLower(h.Name)
		return crossed && name == "authorization" || fetch.SerializeOrigin(next) != s.page && slices.Contains(clientHints, name)
	})
	next.User = nil
	f.u = next
	// cors_url_loader.cc FollowRedirect → SetCorsFlagIfNeeded: a request
	// in mode cors gets the CORS flag when it reaches another origin, and
	// keeps it.
	if !f.corsFlag && f.mode == "cors" && fetch.SerializeOrigin(f.u) != s.page {
		f.corsFlag = true
	}
	return true
}

// redirectedConsole is consoleMessage for a request that may have been
// redirected: Blink names the URL that failed and, when it is not the
// first, "(redirected from 'FIRST')" after it (measured). It adds the
// messages of the redirect-only errors.
func redirectedConsole(e corsErr, target, from, page, api string) string {
	msg := consoleMessage(e, target, page, api)
	// consoleMessage ends with the "blocked by CORS policy: " prefix for
	// an error it has no text for.
	switch e.code {
	case "RedirectContainsCredentials":
		if !strings.HasSuffix(msg, ": ") {
			break
		}
		// cors_error_string.cc: the hint is the failed parameter, which
		// Chrome 156 leaves empty (measured).
		msg += "Redirect location '" + encodeHint(e.param) + "' contains a username and password, which is disallowed for cross-origin requests."
	}
	if from != "" {
		at := "at '" + target + "'"
		msg = strings.Replace(msg, at, at+" (redirected from '"+from+"')", 1)
	}
	return msg
}
