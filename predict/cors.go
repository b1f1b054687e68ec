package predict

import (
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/corsvcr/corsvcr/cassettes"
	"github.com/corsvcr/corsvcr/internal/fetch"
)

// corsErr is a CORS error as Chromium reports it (CorsErrorStatus), with a
// plain-words reason for Step.Rule.
type corsErr struct {
	code  string   // Network.CorsError
	param string   // failedParameter
	alts  []string // every value Chrome may name as failedParameter, when there are several
	why   string
}

// responseHeader returns a response header as the network stack hands it
// to the CORS code: net::HttpResponseHeaders::GetNormalizedHeader, every
// line of that name trimmed of spaces and tabs and joined with ", ".
func responseHeader(h cassettes.Headers, name string) (string, bool) {
	vs := h.Values(name)
	if len(vs) == 0 {
		return "", false
	}
	for i, v := range vs {
		vs[i] = strings.Trim(v, " \t")
	}
	return strings.Join(vs, ", "), true
}

// checkAccess is the CORS check (Fetch §4.9) as cors.cc CheckAccess does
// it, with Chromium's finer error codes.
func checkAccess(h cassettes.Headers, cred, page string) (corsErr, bool) {
	acao, ok := responseHeader(h, "Access-Control-Allow-Origin")
	switch {
	case ok && acao == "*":
		// §3.2.5 "CORS protocol and credentials": no wildcard with
		// credentials mode include, even with ACAC: true.
		if cred == "include" {
			return corsErr{code: "WildcardOriginNotAllowed",
				why: "Access-Control-Allow-Origin is '*' but the request's credentials mode is 'include'"}, false
		}
		return corsErr{}, true
	case !ok:
		return corsErr{code: "MissingAllowOriginHeader", why: "the response has no Access-Control-Allow-Origin header"}, false
	case acao != page:
		if strings.ContainsAny(acao, " ,") {
			return corsErr{code: "MultipleAllowOriginValues", param: acao,
				why: fmt.Sprintf("Access-Control-Allow-Origin %q holds more than one value (a space or a comma; two header lines are joined with \", \")", acao)}, false
		}
		if acao == "null" {
			return corsErr{code: "AllowOriginMismatch", param: acao,
				why: fmt.Sprintf("Access-Control-Allow-Origin is \"null\", not the page origin %q", page)}, false
		}
		if !validURL(acao) {
			return corsErr{code: "InvalidAllowOriginValue", param: acao,
				why: fmt.Sprintf("Access-Control-Allow-Origin %q is not an origin", acao)}, false
		}
		return corsErr{code: "AllowOriginMismatch", param: acao,
			why: fmt.Sprintf("Access-Control-Allow-Origin %q is not the page origin %q (compared byte for byte)", acao, page)}, false
	}
	if cred == "include" {
		// §3.2.3 Access-Control-Allow-Credentials: exactly "true".
		acac, _ := responseHeader(h, "Access-Control-Allow-Credentials")
		if acac != "true" {
			why := "the response has no Access-Control-Allow-Credentials header but the request's credentials mode is 'include'"
			if _, ok := responseHeader(h, "Access-Control-Allow-Credentials"); ok {
				why = fmt.Sprintf("Access-Control-Allow-Credentials is %q, not \"true\", and the request's credentials mode is 'include'", acac)
			}
			return corsErr{code: "InvalidAllowCredentials", param: acac, why: why}, false
		}
	}
	return corsErr{}, true
}

// validURL approximates GURL::is_valid for an Access-Control-Allow-Origin
// value (cors.cc CheckAccess only uses it to choose between two error
// codes): a scheme, and for the special schemes a host with a valid port.
func validURL(s string) bool {
	colon := strings.IndexByte(s, ':')
	if colon <= 0 {
		return false
	}
	scheme := strings.ToLower(s[:colon])
	for i := 0; i < len(scheme); i++ {
		c := scheme[i]
		if !('a' <= c && c <= 'z' || i > 0 && ('0' <= c && c <= '9' || c == '+' || c == '-' || c == '.')) {
			return false
		}
	}
	switch scheme {
	case "http", "https", "ws", "wss", "ftp":
	default:
		return true
	}
	rest := strings.TrimLeft(s[colon+1:], "/\\")
	if i := strings.IndexAny(rest, "/\\?#"); i >= 0 {
		rest = rest[:i]
	}
	if i := strings.LastIndexByte(rest, '@'); i >= 0 {
		rest = rest[i+1:]
	}
	host, port := rest, ""
	if i := strings.LastIndexByte(rest, ':'); i >= 0 && !strings.HasSuffix(rest, "]") {
		host, port = rest[:i], rest[i+1:]
	}
	if host == "" {
		return false
	}
	if port != "" {
		n, err := strconv.Atoi(port)
		if err != nil || n > 65535 || strings.Trim(port, "0123456789") != "" {
			return false
		}
	}
	for i := 0; i < len(host); i++ {
		c := host[i]
		if c <= 0x20 || c == 0x7f || strings.IndexByte("#%/:<>?@[\\]^|", c) >= 0 && !(c == '[' || c == ']' || c == ':') {
			return false
		}
	}
	return true
}

// preflightResult is a parsed preflight response (preflight_result.cc
// PreflightResult): the allowed methods as written, the allowed headers
// lower-cased, whether it was made for credentials, and its lifetime.
type preflightResult struct {
	credentials bool
	methods     []string
	headers     []string
	maxAge      time.Duration
}

// parsePreflight mirrors preflight_result.cc PreflightResult::Create.
func parsePreflight(h cassettes.Headers, cred string) (*preflightResult, corsErr, bool) {
	r := &preflightResult{credentials: cred == "include"}
	acam, ok := responseHeader(h, "Access-Control-Allow-Methods")
	if ok {
		if r.methods, ok = parseAllowList(acam, false); !ok {
			return nil, corsErr{code: "InvalidAllowMethodsPreflightResponse",
				why: fmt.Sprintf("Access-Control-Allow-Methods %q is not a comma-separated list of tokens", acam)}, false
		}
	}
	acah, ok := responseHeader(h, "Access-Control-Allow-Headers")
	if ok {
		if r.headers, ok = parseAllowList(acah, true); !ok {
			return nil, corsErr{code: "InvalidAllowHeadersPreflightResponse",
				why: fmt.Sprintf("Access-Control-Allow-Headers %q is not a comma-separated list of tokens", acah)}, false
		}
	}
	maxAge, ok := responseHeader(h, "Access-Control-Max-Age")
	r.maxAge = parseMaxAge(maxAge, ok)
	return r, corsErr{}, true
}

// parseAllowList mirrors preflight_result.cc ParseAccessControlAllowList:
// net::HttpUtil::ValuesIterator over ',' (quoted strings kept whole, empty
// members skipped, members trimmed), every member a token.
func parseAllowList(v string, lower bool) ([]string, bool) {
	var out []string
	start, quoted := 0, false
	for i := 0; i <= len(v); i++ {
		if i < len(v) {
			switch v[i] {
			case '"':
				quoted = !quoted
				continue
			case ',':
				if quoted {
					continue
				}
			default:
				continue
			}
		}
		m := strings.Trim(v[start:i], " \t")
		start = i + 1
		if m == "" {
			continue
		}
		if !fetch.IsToken(m) {
			return nil, false
		}
		if lower {
			m = strings.ToLower(m)
		}
		out = append(out, m)
	}
	return out, true
}

// parseMaxAge mirrors preflight_result.cc ParseAccessControlMaxAge: 5 s
// when absent or not an integer (base::StringToInt64), 0 when negative,
// capped at 2 h.
func parseMaxAge(v string, ok bool) time.Duration {
	const def, max = 5 * time.Second, 2 * time.Hour
	if !ok {
		return def
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return def
	}
	switch {
	case n < 0:
		return 0
	case n >= int64(max/time.Second):
		return max
	}
	return time.Duration(n) * time.Second
}

// allowsMethod mirrors preflight_result.cc EnsureAllowedCrossOriginMethod
// as Chrome 156 runs it (acam_preflight_spec_conformant on, measured: a
// "patch" request is not allowed by "PATCH"): the method must be listed
// byte for byte as sent (Fetch §4.8 step 7.5), or be safelisted; "*" allows
// any method when the request's credentials mode is not include.
func (r *preflightResult) allowsMethod(method string) (corsErr, bool) {
	if slices.Contains(r.methods, method) || fetch.IsCORSSafelistedMethod(method) {
		return corsErr{}, true
	}
	if !r.credentials && slices.Contains(r.methods, "*") {
		return corsErr{}, true
	}
	up := method
	why := fmt.Sprintf("Access-Control-Allow-Methods %s does not list %s", listText(r.methods), up)
	if r.credentials && slices.Contains(r.methods, "*") {
		why += " ('*' is no wildcard when the request's credentials mode is 'include')"
	}
	return corsErr{code: "MethodDisallowedByPreflightResponse", param: method, why: why}, false
}

// allowsHeaders mirrors preflight_result.cc EnsureAllowedCrossOriginHeaders
// as Chrome 156 runs it: "*" (without credentials) allows every header,
// Authorization included — NonWildcardRequestHeadersSupport is off, so
// Chrome only warns (a DevTools deprecation issue) where Fetch §2.2.2
// "CORS non-wildcard request-header name" says to block (measured). Else
// every CORS-unsafe header must be listed, compared case-insensitively.
//
// When several headers are missing, Chrome names the first in the order of
// its request header list, which Blink builds from a hash map (see
// Step.FailedParameterCandidates): the error carries all of them in alts.
func (r *preflightResult) allowsHeaders(hs []header) (corsErr, bool) {
	if !r.credentials && slices.Contains(r.headers, "*") {
		return corsErr{}, true
	}
	var missing []string
	for _, name := range unsafeHeaderNames(hs) {
		if !slices.Contains(r.headers, name) && !slices.Contains(missing, name) {
			missing = append(missing, name)
		}
	}
	if len(missing) == 0 {
		return corsErr{}, true
	}
	slices.Sort(missing)
	name := missing[0]
	why := fmt.Sprintf("Access-Control-Allow-Headers %s does not list %s", listText(r.headers), strings.Join(missing, ", "))
	if r.credentials && slices.Contains(r.headers, "*") {
		why += " ('*' is no wildcard when the request's credentials mode is 'include')"
	}
	return corsErr{code: "HeaderDisallowedByPreflightResponse", param: name, alts: missing, why: why}, false
}

func listText(l []string) string {
	if len(l) == 0 {
		return "(absent or empty)"
	}
	return strconv.Quote(strings.Join(l, ", "))
}

// cacheEntry is one preflight cache entry (preflight_cache.cc): keyed by
// origin and URL (and the network isolation key, which is one per check).
type cacheEntry struct {
	origin, url string
	res         *preflightResult
	expires     time.Duration
}

// store adds or replaces the entry for origin and url
// (PreflightCache::AppendEntry).
func (s *session) store(origin, url string, r *preflightResult) {
	s.cache = slices.DeleteFunc(s.cache, func(e cacheEntry) bool { return e.origin == origin && e.url == url })
	s.cache = append(s.cache, cacheEntry{origin: origin, url: url, res: r, expires: s.now + r.maxAge})
}

// cacheAllows mirrors PreflightCache::CheckIfRequestCanSkipPreflight →
// PreflightResult::EnsureAllowedRequest: an unexpired entry made with
// credentials (or the request has none) that allows the method and the
// headers. An entry that does not allow the request only means a new
// preflight (Fetch §4.8 "CORS-preflight cache match").
func (s *session) cacheAllows(origin, url, cred, method string, hs []header) bool {
	for _, e := range s.cache {
		if e.origin != origin || e.url != url {
			continue
		}
		if e.expires <= s.now {
			return false
		}
		if !e.res.credentials && cred == "include" {
			return false
		}
		if _, ok := e.res.allowsMethod(method); !ok {
			return false
		}
		return e.res.cacheAllowsHeaders(hs)
	}
	return false
}

// cacheAllowsHeaders is allowsHeaders for a cache lookup. There the
// wildcard does not cover Authorization (the CORS non-wildcard
// request-header name, Fetch §2.2.2): the preflight that answered
// "Access-Control-Allow-Headers: *" let Authorization through with only a
// deprecation warning, yet a repeated request carrying it sends a new
// preflight (measured in Chrome 156; generated case seed 4 #442).
func (r *preflightResult) cacheAllowsHeaders(hs []header) bool {
	if !r.credentials && slices.Contains(r.headers, "*") {
		for _, name := range unsafeHeaderNames(hs) {
			if name == "authorization" && !slices.Contains(r.headers, name) {
				return false
			}
		}
		return true
	}
	_, ok := r.allowsHeaders(hs)
	return ok
}

// headerSet is a case-insensitive set of header names (Blink's
// HTTPHeaderSet).
type headerSet map[string]bool

func (s headerSet) has(name string) bool { return s[strings.ToLower(name)] }

// exposedHeaders mirrors Blink's cors.cc ExtractCorsExposedHeaderNamesList
// (Fetch §4.1 main fetch step 14.2, §3.2.4): Access-Control-Expose-Headers
// parsed as a whole (one bad member empties the list); "*" exposes every
// header when the credentials mode is not include.
func exposedHeaders(h cassettes.Headers, cred string) headerSet {
	out := headerSet{}
	v, _ := responseHeader(h, "Access-Control-Expose-Headers")
	names, ok := parseNameList(v)
	if !ok {
		return out
	}
	for _, n := range names {
		out[strings.ToLower(n)] = true
	}
	if cred != "include" && out["*"] {
		for _, f := range h {
			out[strings.ToLower(f.Name)] = true
		}
	}
	return out
}

// parseNameList is Blink's HTTPHeaderNameListParser::Parse: tokens
// separated by commas, spaces and tabs around them, empty members ignored.
func parseNameList(v string) ([]string, bool) {
	var out []string
	i := 0
	for {
		for i < len(v) && (v[i] == ' ' || v[i] == '\t') {
			i++
		}
		if i < len(v) && v[i] == ',' {
			for i < len(v) && v[i] == ',' {
				i++
			}
			continue
		}
		if i == len(v) {
			return out, true
		}
		start := i
		for i < len(v) && fetch.IsTokenChar(v[i]) {
			i++
		}
		if i == start {
			return nil, false
		}
		out = append(out, v[start:i])
		for i < len(v) && (v[i] == ' ' || v[i] == '\t') {
			i++
		}
		if i == len(v) {
			return out, true
		}
		if v[i] != ',' {
			return nil, false
		}
		i++
	}
}

// readable returns the sorted, lower-cased, distinct names of h that the
// script can read: those ok accepts, never Set-Cookie or Set-Cookie2
// (Fetch §2.2.6 "forbidden response-header name"), connection-level ones
// left out as browsercheck leaves them out.
func readable(h cassettes.Headers, ok func(string) bool) []string {
	out := []string{}
	for _, f := range h {
		n := strings.ToLower(f.Name)
		if fetch.IsForbiddenResponseHeaderName(n) || fetch.IsConnectionHeader(n) || !ok(n) {
			continue
		}
		out = append(out, n)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// corsDisabledScheme fills out for fetch() in mode cors to a URL whose
// scheme is neither http nor https, and reports whether it did: Blink's
// fetch_manager.cc FetchManager::Loader::Start refuses it before any request
// (Fetch §4.1 main fetch: a CORS request is an HTTP fetch) with a
// renderer-side CorsDisabledScheme, failedParameter the scheme (measured on
// Chrome 156 for file, ftp, ws, about, chrome and an unknown scheme). data:,
// blob: and filesystem: URLs are fetched, not refused, and are not
// modelled.
func corsDisabledScheme(out *Step, u *url.URL) bool {
	scheme := strings.ToLower(u.Scheme)
	switch scheme {
	case "data", "blob", "filesystem":
		return false
	}
	target := href(u)
	v := &out.Verdict
	blocked(v, "fetch")
	v.CorsError = "CorsDisabledScheme"
	v.FailedParameter = scheme
	v.Console = "Fetch API cannot load " + target + ". URL scheme \"" + scheme + "\" is not supported."
	out.Rule = "fetch() in mode cors to a URL whose scheme is " + strconv.Quote(scheme) + ", not http or https (Fetch §4.1 main fetch, fetch_manager.cc FetchManager::Loader::Start)"
	return true
}
