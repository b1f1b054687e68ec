// Package checks is corsvcr's vocabulary for checks and verdicts: a check is
// a short sequence of requests (steps) a page script makes at a page origin,
// in one browser state; a verdict is what Chrome decided about a request. It
// also reads check files. browsercheck runs checks in Chrome; the types here
// carry no browser dependency.
//
// A Request's modes are typed values (ModeCORS, CredentialsInclude, …); an
// empty one is the fetch() default, filled in by Request.WithDefaults, the
// one place defaults live. Check.Validate and File.Validate hold the rules
// of a valid check, the same for a check file (Parse) and for a check
// built in Go (browsercheck validates before it runs one). The Fetch facts
// the rules rest on (token grammar, origin serialisation) come from
// internal/fetch.
package checks

import (
	"cmp"
	"time"
)

// Check is one or more requests made, in order, by a page script at a page
// origin. The steps of a check share one browser state: cookies set by a
// step are sent by the next ones, and a preflight cached by a step can spare
// a later step its preflight. Checks are isolated from each other.
//
// Most checks have exactly one step:
//
//	checks.Check{Page: "http://localhost:8080", Steps: []checks.Step{{
//		Request: checks.Request{URL: "http://localhost:8000/api"},
//	}}}
//
// A page visit (Visit set) has no steps: it loads a real page and expects
// Chrome's verdicts on the cross-origin requests the page makes
// (Requests; see Visit).
type Check struct {
	Name string
	// Page is the page origin, e.g. "http://localhost:8080"; for a page
	// visit, the origin of Visit.URL (Parse sets it).
	Page  string
	Steps []Step // at least one, unless Visit is set

	// Visit, when set, makes the check a page visit.
	Visit *Visit
	// Requests are the page visit's expected cross-origin requests, in
	// the order the page makes them; nil asserts nothing, an empty list
	// that the page makes none.
	Requests []PageRequest
}

// Step is one request of a check and what is expected of its verdict.
type Step struct {
	// Wait is wall time to let pass before the request; 0 means none.
	// It exists to test time-dependent browser state, such as a preflight
	// cache entry expiring, and is never needed for synchronisation. The
	// check file bounds it by MaxWait and allows it after the first step
	// only.
	Wait    time.Duration
	Request Request
	Expect  Expect
}

// MaxWait bounds Step.Wait in check files.
const MaxWait = 10 * time.Second

// Request is what the page script asks for. Its zero fields mean the
// defaults of fetch() (Fetch §5.4 Request constructor, RequestInit):
// WithDefaults fills them in.
type Request struct {
	URL         string
	Method      string // "" means GET
	Headers     []Header
	Body        string
	Credentials Credentials // "" means CredentialsSameOrigin
	Mode        Mode        // "" means ModeCORS
	API         API         // "" means APIFetch
	// Cache is the fetch cache mode; "" means CacheDefault. It governs the
	// HTTP cache; what it does to Chrome's preflight cache is Chrome's
	// business (measured, not assumed). XHR has no cache mode.
	Cache Cache
	// Redirect is the fetch redirect mode (Fetch §5.3 RequestRedirect);
	// "" means RedirectFollow. XMLHttpRequest always follows. A "manual"
	// fetch that gets a redirect resolves with an opaque-redirect response
	// (type "opaqueredirect", status 0, nothing readable): its Verdict is
	// Allowed and Opaque with Status 0.
	Redirect Redirect
}

// DefaultMethod is the method of a Request that names none (Fetch §5.4
// Request constructor: RequestInit's method defaults to GET).
const DefaultMethod = "GET"

// Credentials is a request's credentials mode (Fetch §5.3
// RequestCredentials; for XMLHttpRequest, withCredentials).
type Credentials string

// The credentials modes.
const (
	CredentialsOmit       Credentials = "omit"
	CredentialsSameOrigin Credentials = "same-origin" // the default
	CredentialsInclude    Credentials = "include"
)

// Mode is a request's mode (Fetch §5.3 RequestMode).
type Mode string

// The request modes a page script can choose.
const (
	ModeCORS       Mode = "cors" // the default
	ModeNoCORS     Mode = "no-cors"
	ModeSameOrigin Mode = "same-origin"
)

// API is the script API that makes a request.
type API string

// The APIs.
const (
	APIFetch API = "fetch" // the default
	APIXHR   API = "xhr"   // XMLHttpRequest: always mode cors, follows redirects, no cache mode
)

// Cache is a fetch cache mode (Fetch §5.3 RequestCache).
type Cache string

// The cache modes.
const (
	CacheDefault      Cache = "default" // the default
	CacheNoStore      Cache = "no-store"
	CacheReload       Cache = "reload"
	CacheNoCache      Cache = "no-cache"
	CacheForceCache   Cache = "force-cache"
	CacheOnlyIfCached Cache = "only-if-cached" // only with mode same-origin
)

// Redirect is a fetch redirect mode (Fetch §5.3 RequestRedirect).
type Redirect string

// The redirect modes.
const (
	RedirectFollow Redirect = "follow" // the default
	RedirectError  Redirect = "error"
	RedirectManual Redirect = "manual"
)

// The values of each typed field, in the order messages list them.
var (
	allCredentials = []Credentials{CredentialsOmit, CredentialsSameOrigin, CredentialsInclude}
	allModes       = []Mode{ModeCORS, ModeNoCORS, ModeSameOrigin}
	allAPIs        = []API{APIFetch, APIXHR}
	allCaches      = []Cache{CacheDefault, CacheNoStore, CacheReload, CacheNoCache, CacheForceCache, CacheOnlyIfCached}
	allRedirects   = []Redirect{RedirectFollow, RedirectError, RedirectManual}
)

// WithDefaults returns r with every empty field that has a default set to
// it: Method GET, Credentials same-origin, Mode cors, API fetch, Cache
// default, Redirect follow. It is the one place these defaults are filled
// in: Parse, browsercheck and predict all use it. It changes nothing else
// (an invalid value stays, for Validate to report).
func (r Request) WithDefaults() Request {
	r.Method = cmp.Or(r.Method, DefaultMethod)
	r.Credentials = cmp.Or(r.Credentials, CredentialsSameOrigin)
	r.Mode = cmp.Or(r.Mode, ModeCORS)
	r.API = cmp.Or(r.API, APIFetch)
	r.Cache = cmp.Or(r.Cache, CacheDefault)
	r.Redirect = cmp.Or(r.Redirect, RedirectFollow)
	return r
}

// Header is one request header set by the script.
type Header struct{ Name, Value string }

// Verdict is Chrome's verdict on a check.
//
// Allowed means the script got a response (fetch resolved, or XHR fired
// load) and Chrome reported no CORS error; a no-cors fetch that resolves with
// an opaque response is Allowed with Opaque set, and so is a fetch with
// redirect mode "manual" that resolves with an opaque-redirect response
// (Status 0, no readable headers).
//
// A Verdict is about one request (one step of a check); Verdicts holds a
// check's.
type Verdict struct {
	Allowed         bool     `json:"allowed"`
	CorsError       string   `json:"cors_error,omitempty"`       // Network.CorsError, verbatim
	FailedParameter string   `json:"failed_parameter,omitempty"` // corsErrorStatus.failedParameter
	Console         string   `json:"console,omitempty"`          // Chrome's console message for the block
	Preflight       bool     `json:"preflight"`                  // a preflight went on the network: Preflights > 0
	Preflights      int      `json:"preflights,omitempty"`       // preflights that went on the network; a preflight-cache hit sends none
	Status          int      `json:"status"`                     // final status JS saw (0 when blocked or opaque)
	ReadableHeaders []string `json:"readable_headers"`           // lower-case response header names JS could read, sorted; connection-level ones (Connection, Keep-Alive, …) left out
	Opaque          bool     `json:"opaque,omitempty"`           // opaque response: no-cors, or an opaque redirect of redirect mode manual
	ORB             bool     `json:"orb,omitempty"`              // blocked by Opaque Response Blocking (not CORS)
	JSError         string   `json:"js_error,omitempty"`         // what the script saw, e.g. "TypeError: Failed to fetch"
	NetworkError    string   `json:"network_error,omitempty"`    // Chrome's net error when the connection could not be made or broke, e.g. "net::ERR_CONNECTION_REFUSED"; not a CORS verdict

	// Method and URL name the request of a page visit's verdict (the
	// request the page made, the URL as Chrome resolved it); empty for a
	// check's own steps.
	Method string `json:"method,omitempty"`
	URL    string `json:"url,omitempty"`
}

// Verdicts holds Chrome's verdict on each step of a check, in order: one
// for a one-step check.
type Verdicts []Verdict

// Last returns the verdict of the last step, the zero Verdict for none.
func (vs Verdicts) Last() Verdict {
	if len(vs) == 0 {
		return Verdict{}
	}
	return vs[len(vs)-1]
}
