// Package replay serves recorded exchanges from a cassette.
package replay

import (
	"net/http"

	"github.com/corsvcr/corsvcr/cassettes"
)

// Config configures a Replayer.
type Config struct {
	// Cassette holds the exchanges to serve. Required.
	Cassette *cassettes.Cassette
	// Strict makes a request whose recorded answers are all used up a miss;
	// by default the last recorded answer repeats.
	Strict bool
	// Forward, when non-nil, receives every miss (record-missing mode): the
	// response it returns is served and the journal marks it forwarded.
	Forward http.RoundTripper
	// Intercept, when non-nil and returning a non-nil handler for a request,
	// serves that request locally: it is neither matched nor journaled.
	Intercept func(*http.Request) http.Handler
	// Host is the authority assumed for origin-form requests (direct use by
	// non-proxy clients); "" matches origin-form requests on path and query
	// against any recorded host.
	Host string
}

// Replayer matches requests against a cassette and serves the recorded
// responses. It is an http.Handler that accepts proxy (absolute-form) and
// direct (origin-form) requests and is safe for concurrent use.
type Replayer struct{}

// New validates cfg and returns a Replayer.
func New(cfg Config) (*Replayer, error) { panic("unimplemented") }

func (r *Replayer) ServeHTTP(w http.ResponseWriter, req *http.Request) { panic("unimplemented") }

// Entry is one journaled request.
type Entry struct {
	Method    string
	URL       string
	Origin    string
	Hit       int        // index of the interaction served; -1 otherwise
	Forwarded bool       // a miss sent to Config.Forward
	Miss      *MissError // non-nil for a miss that was not forwarded
}

// Journal returns a copy of every request served so far, in order.
func (r *Replayer) Journal() []Entry { panic("unimplemented") }

// MissError describes a request no recorded interaction matched.
type MissError struct {
	Method  string
	URL     string
	Origin  string
	Closest int    // index of the closest interaction; -1 if the cassette is empty
	Field   string // first field that differed from the closest, e.g. "Access-Control-Request-Headers"
	Want    string // the closest interaction's value of Field
	Got     string // the request's value of Field
}

func (e *MissError) Error() string { panic("unimplemented") }

// Server is a Replayer listening as an HTTP proxy on loopback.
type Server struct{ *Replayer }

// NewServer starts a Replayer on addr ("" means "127.0.0.1:0").
func NewServer(cfg Config, addr string) (*Server, error) { panic("unimplemented") }

// URL is the proxy URL, e.g. "http://127.0.0.1:41234".
func (s *Server) URL() string { panic("unimplemented") }

// Close stops the server and waits for in-flight requests.
func (s *Server) Close() error { panic("unimplemented") }
