// Package browsercheck runs CORS checks in real headless Chrome and reports
// Chrome's own verdict, read from the DevTools protocol.
package browsercheck

import (
	"context"
	"net/http"
	"time"
)

// PagePrefix is the reserved path under which check pages are served at any
// origin. Proxies serve requests under it with Intercept.
const PagePrefix = "/__corsvcr__/"

// Intercept returns the handler that serves check pages for requests whose
// path starts with PagePrefix, and nil for every other request. Give it to
// recorder.Config.Intercept and replay.Config.Intercept.
func Intercept(r *http.Request) http.Handler { panic("unimplemented") }

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
type Verdict struct {
	Allowed         bool     `json:"allowed"`
	CorsError       string   `json:"cors_error,omitempty"`       // Network.CorsError, verbatim
	FailedParameter string   `json:"failed_parameter,omitempty"` // corsErrorStatus.failedParameter
	Console         string   `json:"console,omitempty"`          // Chrome's console message for the block
	Preflight       bool     `json:"preflight"`                  // a preflight went on the network
	Status          int      `json:"status"`                     // final status JS saw (0 when blocked or opaque)
	ReadableHeaders []string `json:"readable_headers"`           // lower-case response header names JS could read, sorted
	Opaque          bool     `json:"opaque,omitempty"`           // no-cors opaque response
	ORB             bool     `json:"orb,omitempty"`              // blocked by Opaque Response Blocking (not CORS)
	JSError         string   `json:"js_error,omitempty"`         // what the script saw, e.g. "TypeError: Failed to fetch"
}

// Expect lists asserted verdict fields; nil fields are not asserted.
type Expect struct {
	Allowed         *bool
	CorsError       *string
	FailedParameter *string
	Preflight       *bool
	Status          *int
	ReadableHeaders []string // nil: not asserted; compared as a case-insensitive set
}

// Mismatch is one expectation that a verdict broke.
type Mismatch struct{ Field, Want, Got string }

// Mismatches returns every asserted field whose value differs in v.
func (e Expect) Mismatches(v Verdict) []Mismatch { panic("unimplemented") }

// Config configures a Browser. The zero value finds Chrome itself, uses no
// proxy and a 15 s check timeout.
type Config struct {
	// ExecPath is the browser binary; "" looks up $CORSVCR_CHROME, then
	// chromium-headless-shell, chromium, google-chrome on PATH.
	ExecPath string
	// Proxy is the proxy every request goes through, loopback included,
	// e.g. "http://127.0.0.1:41234".
	Proxy string
	// Timeout bounds one check; 0 means 15 s.
	Timeout time.Duration
}

// Browser is one running headless Chrome that runs checks one at a time.
type Browser struct{}

// New starts Chrome. It fails with a message saying how to install a
// browser when none is found.
func New(ctx context.Context, cfg Config) (*Browser, error) { panic("unimplemented") }

// Version returns the browser product, e.g. "Chromium 156.0.8078.79".
func (b *Browser) Version() string { panic("unimplemented") }

// Check runs c in an isolated state (no preflight cache or cookies from
// earlier checks) and returns Chrome's verdict. A blocked request is a
// verdict; the error is only for harness failures.
func (b *Browser) Check(ctx context.Context, c Check) (Verdict, error) { panic("unimplemented") }

// Close stops Chrome and removes its temporary directories.
func (b *Browser) Close() error { panic("unimplemented") }

// FindChrome returns the browser binary Config.ExecPath "" would use.
func FindChrome() (string, error) { panic("unimplemented") }
