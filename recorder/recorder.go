// Package recorder is a recording HTTP proxy built on martian/v3.
package recorder

import (
	"log/slog"
	"net/http"

	"github.com/corsvcr/corsvcr/cassettes"
)

// Config configures a Recorder. The zero value records every host and
// listens on an ephemeral loopback port.
type Config struct {
	// Addr is the listen address; "" means "127.0.0.1:0".
	Addr string
	// Hosts lists the authorities ("localhost:8000", scheme default ports
	// written out) whose exchanges are recorded. Requests to other hosts are
	// forwarded but not recorded. Empty means record every host.
	Hosts []string
	// Upstreams maps an authority as the browser names it
	// ("localhost:8000") to the address to dial instead ("127.0.0.1:41234").
	// Unmapped authorities are dialed as named.
	Upstreams map[string]string
	// Intercept, when non-nil and returning a non-nil handler for a request,
	// serves that request locally: it is neither forwarded nor recorded.
	Intercept func(*http.Request) http.Handler
	// Logger receives proxy diagnostics; nil discards them.
	Logger *slog.Logger
}

// Recorder is a running recording proxy.
type Recorder struct{}

// Start listens and serves the proxy in the background.
func Start(cfg Config) (*Recorder, error) { panic("unimplemented") }

// URL is the proxy URL to give a browser, e.g. "http://127.0.0.1:41234".
func (r *Recorder) URL() string { panic("unimplemented") }

// Interactions returns a copy of the recorded exchanges in the order their
// requests arrived.
func (r *Recorder) Interactions() []cassettes.Interaction { panic("unimplemented") }

// Close stops accepting connections and waits for in-flight exchanges.
func (r *Recorder) Close() error { panic("unimplemented") }
