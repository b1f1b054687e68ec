package predict

import (
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/corsvcr/corsvcr/cassettes"
	"github.com/corsvcr/corsvcr/checks"
	"github.com/corsvcr/corsvcr/internal/fetch"
	"github.com/corsvcr/corsvcr/replay"
)

// Server answers the requests Chrome sends for a check, as the server under
// test, or a replay of it, would. A *replay.Session is a Server that answers
// as a replay of a cassette does.
type Server interface {
	// RoundTrip returns the answer to req: the response as it arrives at
	// the browser, or a miss when the server has no answer. req carries the
	// headers that matter to CORS and to replay matching: Origin,
	// Access-Control-Request-*, the script's headers, Content-Type, Cookie.
	// A Server that is not a recording answers with Interaction -1.
	RoundTrip(req cassettes.Request) replay.Answer
}

// Result is the predicted outcome of a check.
type Result struct {
	// Steps holds, per step, its verdict and how it came about.
	Steps []Step
}

// Verdicts returns the verdict of each step, as browsercheck reports them.
func (r Result) Verdicts() checks.Verdicts {
	vs := make(checks.Verdicts, len(r.Steps))
	for i, st := range r.Steps {
		vs[i] = st.Verdict
	}
	return vs
}

// Step is the predicted outcome of one step of a check.
type Step struct {
	Verdict checks.Verdict
	// Preflight is the preflight that went on the network; nil when none
	// was needed or a cached preflight result served (PreflightCached).
	Preflight *Exchange
	// PreflightCached is set when a preflight was needed and Chrome's
	// preflight cache held a result that allowed the request.
	PreflightCached bool
	// Actual is the last actual request sent and its response: the final
	// one, or the redirect Chrome stopped at; nil when none was sent (the
	// script threw, the mode forbade it, or the preflight failed).
	Actual *Exchange
	// Hops is every request Chrome sent for the step, in order: each
	// preflight, each request answered with a redirect that Chrome
	// followed, and the last request. Preflight and Actual point into it.
	Hops []Exchange
	// Rule names the rule that blocked the request, citing the Fetch
	// standard or the Chromium function; "" when the request was allowed.
	Rule string
	// Miss is set when the Server had no answer for a request Chrome would
	// send: the verdict is then what Chrome sees with no response at all
	// and says nothing about the server.
	Miss bool
	// Unsupported names a behaviour the predictor does not model that this
	// step ran into (e.g. "scheme ftp"); its verdict may then be wrong.
	Unsupported string
	// FailedParameterCandidates lists, when several request headers are
	// missing from Access-Control-Allow-Headers, every header Chrome may
	// name: it names the first in its request header list, whose order
	// comes from a Blink hash map and is not predicted. Verdict names the
	// first in lexicographic order; WithFailedParameter picks another.
	FailedParameterCandidates []string
	page, target, api         string
	from                      string // the request's first URL, once redirected; else ""
}

// WithFailedParameter returns the step's verdict as it reads when Chrome
// names p as the failedParameter, and whether p is one of the candidates.
func (s Step) WithFailedParameter(p string) (checks.Verdict, bool) {
	v := s.Verdict
	if p == v.FailedParameter {
		return v, true
	}
	if !slices.Contains(s.FailedParameterCandidates, p) {
		return v, false
	}
	v.FailedParameter = p
	v.Console = redirectedConsole(corsErr{code: v.CorsError, param: p}, s.target, s.from, s.page, s.api)
	return v, true
}

// Exchange is one request Chrome sends and the response it gets.
type Exchange struct {
	Request  cassettes.Request
	Response cassettes.Response
	// Interaction is the index in the cassette of the recorded interaction
	// that answered (replay.Answer.Interaction); -1 when the Server is not a
	// recording or had no answer.
	Interaction int
}

// Predict returns the verdict Chrome 156 gives on c when srv answers its
// requests. Like browsercheck, it starts from an empty preflight cache and
// cookie jar; the steps of c share them. A check without steps predicts an
// empty Result.
func Predict(c checks.Check, srv Server) Result {
	s := &session{page: pageOrigin(c.Page), srv: srv, jar: map[string]bool{}}
	var res Result
	for i, st := range c.Steps {
		if i > 0 {
			s.now += st.Wait
		}
		res.Steps = append(res.Steps, s.step(st.Request))
	}
	return res
}

// session is the browser state shared by the steps of one check.
type session struct {
	page  string // serialised page origin
	srv   Server
	now   time.Duration // simulated time since the check started
	cache []cacheEntry
	jar   map[string]bool // hosts that set a cookie
}

// pageOrigin serialises the check's page origin as Chrome does: scheme and
// host lower-cased, the default port left out, no trailing slash.
func pageOrigin(page string) string {
	u, err := url.Parse(strings.TrimSuffix(page, "/"))
	if err != nil || u.Host == "" {
		return strings.TrimSuffix(page, "/")
	}
	return fetch.SerializeOrigin(u)
}

// href returns u as the browser serialises it (the URL of the Network
// events and of the console message): scheme and host lower-cased, default
// port dropped, an empty path written "/".
func href(u *url.URL) string {
	v := *u
	v.Scheme = strings.ToLower(v.Scheme)
	v.Host = fetch.SerializeHost(v.Scheme, v.Host)
	if v.Path == "" && v.RawPath == "" && v.Opaque == "" {
		v.Path = "/"
	}
	v.Fragment, v.RawFragment = "", ""
	v.RawQuery = fetch.EncodeQuery(v.RawQuery)
	return v.String()
}

// blocked fills v for a request that failed: no status, nothing readable.
func blocked(v *checks.Verdict, api string) {
	v.Allowed = false
	v.Status = 0
	v.ReadableHeaders = []string{}
	if api == "xhr" {
		v.JSError = "XMLHttpRequest: error event"
	} else {
		v.JSError = "TypeError: Failed to fetch"
	}
}

// step predicts one request of the page script.
func (s *session) step(r checks.Request) Step {
	r = r.WithDefaults()
	api, mode, cred := string(r.API), string(r.Mode), string(r.Credentials)
	if api == "xhr" {
		// XMLHttpRequest: always CORS mode; withCredentials is "include",
		// else "same-origin" (XHR §4.5.6 send step 9).
		mode = "cors"
		if cred != "include" {
			cred = "same-origin"
		}
	}
	method := fetch.NormalizeMethod(r.Method)
	out := Step{Verdict: checks.Verdict{ReadableHeaders: []string{}}}
	v := &out.Verdict
	jsFail := func(msg, rule string) Step {
		v.JSError = msg
		out.Rule = rule
		return out
	}

	base, _ := url.Parse(s.page + fetch.CheckPagePath)
	ref, err := url.Parse(r.URL)
	if err != nil || base == nil {
		return jsFail("TypeError: Failed to construct 'URL': Invalid URL", "the URL does not parse")
	}
	u := base.ResolveReference(ref)
	if u.Scheme != "http" && u.Scheme != "https" {
		if api == "fetch" && mode == "cors" && corsDisabledScheme(&out, u) {
			return out
		}
		out.Unsupported = "scheme " + u.Scheme
		return jsFail("TypeError: Failed to fetch", "scheme "+u.Scheme+" is not modelled")
	}
	target := href(u)
	if fetch.IsForbiddenMethod(method) {
		if api == "xhr" {
			return jsFail("SecurityError: Failed to execute 'open' on 'XMLHttpRequest': '"+method+"' HTTP method is unsupported.", "forbidden method (Fetch §2.2.1)")
		}
		return jsFail("TypeError: Failed to execute 'fetch' on 'Window': '"+method+"' HTTP method is unsupported.", "forbidden method (Fetch §2.2.1)")
	}
	hasBody := r.Body != "" && method != "GET" && method != "HEAD"
	if api == "fetch" && r.Body != "" && (method == "GET" || method == "HEAD") {
		return jsFail("TypeError: Failed to execute 'fetch' on 'Window': Request with GET/HEAD method cannot have body.", "fetch() rejects a GET or HEAD request with a body (Fetch §5.4 Request constructor step 35)")
	}
	sameOrigin := fetch.SerializeOrigin(u) == s.page

	if mode == "no-cors" && !fetch.IsCORSSafelistedMethod(method) {
		// Fetch §5.4 Request constructor step 30.
		return jsFail("TypeError: Failed to execute 'fetch' on 'Window': '"+method+"' is unsupported in no-cors mode.", "no-cors allows only GET, HEAD and POST (Fetch §5.4 Request constructor)")
	}

	hdrs := scriptHeaders(r.Headers, mode == "no-cors" && api == "fetch")
	if hasBody {
		hdrs = withBodyContentType(hdrs, api)
	}

	if !sameOrigin && mode == "same-origin" {
		// Fetch §4.1 main fetch step 12 ("request's mode is same-origin":
		// network error); Blink reports it in fetch_manager.cc as a
		// renderer-side CORS issue with no network request.
		v.CorsError = "DisallowedByMode"
		v.Console = "Fetch API cannot load " + target + ". Request mode is \"same-origin\" but the URL's origin is not same as the request origin " + s.page + "."
		blocked(v, api)
		out.Rule = "request mode same-origin to another origin (Fetch §4.1 main fetch)"
		return out
	}

	if mode == "no-cors" && !sameOrigin && r.Redirect != checks.RedirectFollow {
		// Fetch §4.1 main fetch step 12 ("request's mode is no-cors": a
		// redirect mode other than follow is a network error); Blink's
		// fetch_manager.cc FetchManager::Loader::Start reports it as a
		// renderer-side CORS issue, before any request.
		v.CorsError = "NoCorsRedirectModeNotFollow"
		v.Console = "Fetch API cannot load " + target + ". Request mode is \"no-cors\" but the redirect mode is not \"follow\"."
		blocked(v, api)
		out.Rule = "request mode no-cors with redirect mode " + string(r.Redirect) + " (Fetch §4.1 main fetch, fetch_manager.cc)"
		return out
	}

	redirect := string(r.Redirect)
	if api == "xhr" {
		redirect = "follow"
	}
	f := &fetchParams{
		u: u, initial: target, method: method, hdrs: hdrs, mode: mode, cred: cred,
		api: api, cache: string(r.Cache), redirect: redirect,
		// cors_url_loader.cc SetCorsFlagIfNeeded (Fetch §4.1 main fetch
		// step 12: a cross-origin request in mode cors).
		corsFlag: !sameOrigin && mode == "cors",
	}
	if hasBody {
		f.body = r.Body
	}
	if method != "GET" && method != "HEAD" {
		// Fetch §3.1 "append a request Origin header": a request that is
		// not GET or HEAD carries Origin even without the CORS flag.
		f.plainOrigin = s.page
	}
	s.fetch(&out, f)
	return out
}

// preflight runs the CORS-preflight part of a cross-origin CORS request
// (Fetch §4.8, cors_url_loader.cc StartRequest → PreflightController). It
// returns "" when the actual request may go, else the reason it may not
// (out is then complete).
//
// origin is the serialised origin the request carries: the page origin, or
// "null" once a redirect tainted it (cors_url_loader.cc passes tainted_ to
// the PreflightController, which sends and checks "Origin: null").
func (s *session) preflight(out *Step, u *url.URL, actual cassettes.Request, hdrs []header, method, cred, api, cacheMode, origin string) string {
	unsafe := unsafeHeaderNames(hdrs)
	// cors_url_loader.cc NeedsPreflight.
	if fetch.IsCORSSafelistedMethod(method) && len(unsafe) == 0 {
		return ""
	}
	target := actual.URL
	// Fetch cache modes that bypass the HTTP cache also bypass the
	// preflight cache (preflight_controller.cc RetrieveCacheFlags: the
	// LOAD_VALIDATE_CACHE, LOAD_BYPASS_CACHE and LOAD_DISABLE_CACHE flags
	// Blink sets for no-cache, reload and no-store).
	useCache := cacheMode != "no-store" && cacheMode != "reload" && cacheMode != "no-cache"
	// A request a cross-origin redirect tainted (origin "null") never skips
	// its preflight: Chrome 156 sends it again on a repeat even though the
	// first one was allowed within its lifetime (measured: generated case
	// seed 9072011500765881989 #254; oracle/generated/tainted-preflight-cache).
	if origin == "null" {
		useCache = false
	}
	if useCache && s.cacheAllows(origin, target, cred, method, hdrs) {
		out.PreflightCached = true
		return ""
	}

	// preflight_controller.cc CreatePreflightRequest (Fetch §4.8 steps 1-4).
	pre := cassettes.Request{Method: "OPTIONS", URL: target, Headers: cassettes.Headers{
		{Name: "Accept", Value: "*/*"},
		{Name: "Access-Control-Request-Method", Value: method},
	}}
	if len(unsafe) > 0 {
		sorted := slices.Clone(unsafe)
		slices.Sort(sorted)
		pre.Headers = append(pre.Headers, cassettes.Header{Name: "Access-Control-Request-Headers", Value: strings.Join(slices.Compact(sorted), ",")})
	}
	pre.Headers = append(pre.Headers, cassettes.Header{Name: "Origin", Value: origin})
	ans := s.srv.RoundTrip(pre)
	resp, ok := ans.Response, ans.Miss == nil
	out.Preflight = &Exchange{Request: pre, Response: resp, Interaction: ans.Interaction}
	out.Hops = append(out.Hops, *out.Preflight)
	out.Verdict.Preflights++
	out.Verdict.Preflight = true
	if !ok {
		out.Miss = true
		out.Rule = "no recorded response for the preflight (replay miss)"
		blocked(&out.Verdict, api)
		return out.Rule
	}
	if isRedirect(resp) {
		// preflight_controller.cc PreflightLoader::HandleRedirect (Fetch
		// §4.8 step 7: a redirect is not an ok status, and Chromium
		// reports it separately).
		s.fail(out, corsErr{code: "PreflightDisallowedRedirect", why: "the preflight response is a redirect (status " + itoa(resp.Status) + ")"}, target, api, "CORS-preflight fetch (Fetch §4.8 step 7, preflight_controller.cc HandleRedirect): the preflight response is a redirect")
		return out.Rule
	}
	// preflight_controller.cc CheckPreflightAccess: the CORS check first,
	// with the actual request's credentials mode; then the status.
	if e, ok := checkAccess(resp.Headers, cred, origin); !ok {
		e.code = "Preflight" + e.code
		s.fail(out, e, target, api, "CORS check of the preflight response (Fetch §4.8 step 7, preflight_controller.cc CheckPreflightAccess): "+e.why)
		return out.Rule
	}
	if resp.Status < 200 || resp.Status > 299 {
		s.fail(out, corsErr{code: "PreflightInvalidStatus", why: "the preflight response has status " + itoa(resp.Status) + ", not 2xx"}, target, api, "CORS-preflight fetch (Fetch §4.8 step 7: ok status), preflight_controller.cc CheckPreflightAccess: status "+itoa(resp.Status)+" is not 2xx")
		return out.Rule
	}
	// preflight_result.cc PreflightResult::Create → Parse (Fetch §4.8
	// steps 7.1-7.4).
	res, e, ok := parsePreflight(resp.Headers, cred)
	if !ok {
		s.fail(out, e, target, api, "CORS-preflight fetch (Fetch §4.8 step 7.3, preflight_result.cc Parse): "+e.why)
		return out.Rule
	}
	// preflight_controller.cc CheckPreflightResult: method, then headers
	// (Fetch §4.8 steps 7.5-7.7).
	if e, ok := res.allowsMethod(method); !ok {
		s.fail(out, e, target, api, "CORS-preflight fetch (Fetch §4.8 step 7.5, preflight_result.cc EnsureAllowedCrossOriginMethod): "+e.why)
		return out.Rule
	}
	if e, ok := res.allowsHeaders(hdrs); !ok {
		s.fail(out, e, target, api, "CORS-preflight fetch (Fetch §4.8 step 7.6-7.7, preflight_result.cc EnsureAllowedCrossOriginHeaders): "+e.why)
		return out.Rule
	}
	// preflight_controller.cc FinishHandleResponseHeader → AppendToCache
	// (not with LOAD_DISABLE_CACHE, i.e. cache mode no-store).
	if cacheMode != "no-store" {
		s.store(origin, target, res)
	}
	return ""
}

// fail fills out for a CORS error.
func (s *session) fail(out *Step, e corsErr, target, api, rule string) {
	v := &out.Verdict
	blocked(v, api)
	v.CorsError = e.code
	v.FailedParameter = e.param
	v.Console = redirectedConsole(e, target, out.from, s.page, api)
	out.Rule = rule
	if len(e.alts) > 1 {
		out.FailedParameterCandidates = e.alts
		out.page, out.target, out.api = s.page, target, api
	}
}

// isRedirect reports whether resp is an HTTP redirect the network stack
// follows: a redirect status with a Location (net::HttpResponseHeaders::
// IsRedirect).
func isRedirect(resp cassettes.Response) bool {
	switch resp.Status {
	case 301, 302, 303, 307, 308:
		_, ok := resp.Headers.Get("Location")
		return ok
	}
	return false
}

// storeCookies remembers that u's host set a cookie, so that later steps
// send one (Chrome's cookie jar, reduced to what replay matching sees:
// whether a Cookie header is sent). Cookies are per host, not per port.
func (s *session) storeCookies(u *url.URL, resp cassettes.Response) {
	for _, c := range resp.Headers.Values("Set-Cookie") {
		lc := strings.ToLower(c)
		if strings.Contains(lc, "max-age=0") || strings.Contains(lc, "max-age=-") {
			continue
		}
		if i := strings.IndexByte(c, '='); i > 0 {
			s.jar[strings.ToLower(u.Hostname())] = true
		}
	}
}

func itoa(n int) string {
	var b [20]byte
	i := len(b)
	neg := n < 0
	if neg {
		n = -n
	}
	for {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			break
		}
	}
	if neg {
		i--
		b[i] = '-'
	}
	return string(b[i:])
}
