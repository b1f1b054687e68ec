package cassettes

import (
	"net/http"
	"strings"
)

// RecordedDate is the value the recorder stores for every response Date
// header. A Date is the time of serving, not part of what a server decides,
// so a fixed value keeps re-recordings of unchanged servers free of diffs;
// replay serves the time of serving in its place.
const RecordedDate = "Sat, 01 Jan 2000 00:00:00 GMT"

// RedactedPrefix starts every placeholder that stands for a redacted secret
// (package redact writes them): a secret becomes RedactedPrefix + N, N
// counting distinct secrets from 1, so the same secret gets the same
// placeholder everywhere in a cassette. Replay matches a recorded query
// parameter holding a placeholder with any value.
const RedactedPrefix = "corsvcr-redacted-"

// FormatVersion is the cassette format version this package reads and writes.
// Load refuses a cassette with a higher version with a *VersionError.
const FormatVersion = 1

// Cassette is one recorded session.
type Cassette struct {
	// Version is the format version; Encode writes FormatVersion when zero.
	Version int
	// Meta describes how the cassette was made.
	Meta Meta
	// Interactions are the recorded exchanges, in the order the recorder
	// saw their requests arrive.
	Interactions []Interaction
}

// Meta describes how a cassette was made. Empty fields are omitted.
type Meta struct {
	// Corsvcr is the corsvcr version that wrote the cassette, e.g. "0.1.0".
	Corsvcr string
	// Browser is the browser name and version used when recording, e.g.
	// "Chromium 156.0.8078.79"; empty when unknown.
	Browser string
	// OriginMap lists the declared origin mappings replay applies to this
	// cassette, in order: the recorded (production) origin From stands for
	// the origin To the browser uses now. Nil when none was declared.
	OriginMap []OriginMapping
}

// OriginMapping maps a recorded origin to the origin a browser uses when
// replaying, e.g. From "https://app.prod.example", To
// "http://localhost:5173". Both are scheme://host[:port] origins.
type OriginMapping struct {
	From string
	To   string
}

// isZero reports whether m has no field set.
func (m *Meta) isZero() bool {
	return m.Corsvcr == "" && m.Browser == "" && len(m.OriginMap) == 0
}

// Kind says what part an interaction plays in CORS.
type Kind string

// Interaction kinds.
const (
	// KindPreflight is a CORS preflight: OPTIONS with Origin and
	// Access-Control-Request-Method.
	KindPreflight Kind = "preflight"
	// KindActual is any other request that carries an Origin header.
	KindActual Kind = "actual"
	// KindOther is a request without Origin (navigation, no-cors GET, ...).
	KindOther Kind = "other"
)

// Classify returns the kind of a request with the given method and headers.
func Classify(method string, h Headers) Kind {
	_, hasOrigin := h.Get("Origin")
	if !hasOrigin {
		return KindOther
	}
	if _, ok := h.Get("Access-Control-Request-Method"); ok && method == http.MethodOptions {
		return KindPreflight
	}
	return KindActual
}

// Interaction is one recorded request and the response the origin gave.
type Interaction struct {
	Kind     Kind
	Request  Request
	Response Response
}

// Request is a request as the browser sent it.
type Request struct {
	// Method is the request method, exactly as sent (case kept).
	Method string
	// URL is the absolute URL, e.g. "http://localhost:8000/api/v1/stats?x=1".
	URL string
	// Headers are the request headers in wire order, original case,
	// duplicates kept. Hop-by-hop headers are not recorded.
	Headers Headers
	// Body is the raw request body.
	Body Body
}

// Response is a response as the origin sent it.
type Response struct {
	// Status is the HTTP status code.
	Status int
	// Headers are the response headers in wire order, original case,
	// duplicates kept. Hop-by-hop headers are not recorded.
	Headers Headers
	// Body is the raw response body, still encoded as Content-Encoding says
	// (a gzip body stays gzip).
	Body Body
}

// Header is one header line.
type Header struct {
	Name  string
	Value string
}

// Headers is an ordered list of header lines. Unlike http.Header it keeps
// the original case, the order and duplicate lines: two
// Access-Control-Allow-Origin lines are exactly what a cassette must replay.
type Headers []Header

// Get returns the value of the first line whose name matches name
// case-insensitively, and whether there was one.
func (h Headers) Get(name string) (string, bool) {
	for _, f := range h {
		if strings.EqualFold(f.Name, name) {
			return f.Value, true
		}
	}
	return "", false
}

// Values returns the values of every line whose name matches name
// case-insensitively, in order.
func (h Headers) Values(name string) []string {
	var vs []string
	for _, f := range h {
		if strings.EqualFold(f.Name, name) {
			vs = append(vs, f.Value)
		}
	}
	return vs
}

// Body is a raw message body. It encodes as an inline YAML string when it is
// valid UTF-8 text and as base64 under an explicit marker otherwise.
type Body []byte
