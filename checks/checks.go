// Package checks is corsvcr's vocabulary for checks and verdicts: a check is
// one request a page script makes at a page origin; a verdict is what Chrome
// decided about it. It also reads check files. browsercheck runs checks in
// Chrome; the types here carry no browser dependency.
package checks

// Check is one request made by a page script at a page origin.
type Check struct {
	Name    string
	Page    string // page origin, e.g. "http://localhost:8080"
	Request Request
	Expect  Expect
}

// Request is what the page script asks for.
type Request struct {
	URL         string
	Method      string // "" means GET
	Headers     []Header
	Body        string
	Credentials string // "omit" | "same-origin" (default) | "include"
	Mode        string // "cors" (default) | "no-cors" | "same-origin"
	API         string // "fetch" (default) | "xhr"
}

// Header is one request header set by the script.
type Header struct{ Name, Value string }

// Verdict is Chrome's verdict on a check.
//
// Allowed means the script got a response (fetch resolved, or XHR fired
// load) and Chrome reported no CORS error; a no-cors fetch that resolves with
// an opaque response is Allowed with Opaque set.
type Verdict struct {
	Allowed         bool     `json:"allowed"`
	CorsError       string   `json:"cors_error,omitempty"`       // Network.CorsError, verbatim
	FailedParameter string   `json:"failed_parameter,omitempty"` // corsErrorStatus.failedParameter
	Console         string   `json:"console,omitempty"`          // Chrome's console message for the block
	Preflight       bool     `json:"preflight"`                  // a preflight went on the network
	Status          int      `json:"status"`                     // final status JS saw (0 when blocked or opaque)
	ReadableHeaders []string `json:"readable_headers"`           // lower-case response header names JS could read, sorted; connection-level ones (Connection, Keep-Alive, …) left out
	Opaque          bool     `json:"opaque,omitempty"`           // no-cors opaque response
	ORB             bool     `json:"orb,omitempty"`              // blocked by Opaque Response Blocking (not CORS)
	JSError         string   `json:"js_error,omitempty"`         // what the script saw, e.g. "TypeError: Failed to fetch"
}
