package har

import (
	"bytes"
	"compress/gzip"
	"compress/zlib"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/corsvcr/corsvcr/cassettes"
	"github.com/corsvcr/corsvcr/internal/fetch"
	"github.com/corsvcr/corsvcr/internal/inputfile"
)

// The HAR 1.2 file, as far as corsvcr reads and writes it. The subset read
// is what Chrome DevTools, Firefox, Playwright's recordHar and mitmproxy
// write; fields starting with "_" are their extensions.

type harFile struct {
	Log *harLog `json:"log"`
}

type harLog struct {
	Version string      `json:"version"`
	Creator harCreator  `json:"creator"`
	Browser *harCreator `json:"browser,omitempty"`
	Pages   []harPage   `json:"pages"`
	Entries []harEntry  `json:"entries"`
	Comment string      `json:"comment,omitempty"`
}

type harCreator struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

type harPage struct {
	StartedDateTime string          `json:"startedDateTime"`
	ID              string          `json:"id"`
	Title           string          `json:"title"`
	PageTimings     json.RawMessage `json:"pageTimings,omitempty"`
}

type harEntry struct {
	Pageref         string          `json:"pageref,omitempty"`
	StartedDateTime string          `json:"startedDateTime"`
	Time            float64         `json:"time"`
	Request         *harRequest     `json:"request"`
	Response        *harResponse    `json:"response"`
	Cache           struct{}        `json:"cache"`
	Timings         harTimings      `json:"timings"`
	ResourceType    string          `json:"_resourceType,omitempty"` // Chrome DevTools, Playwright
	Initiator       json.RawMessage `json:"_initiator,omitempty"`    // Chrome DevTools
	Kind            cassettes.Kind  `json:"_corsvcrKind,omitempty"`  // corsvcr's Export
}

type harTimings struct {
	Send    float64 `json:"send"`
	Wait    float64 `json:"wait"`
	Receive float64 `json:"receive"`
}

type harNV struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

type harRequest struct {
	Method      string       `json:"method"`
	URL         string       `json:"url"`
	HTTPVersion string       `json:"httpVersion"`
	Cookies     []harNV      `json:"cookies"`
	Headers     []harNV      `json:"headers"`
	QueryString []harNV      `json:"queryString"`
	PostData    *harPostData `json:"postData,omitempty"`
	HeadersSize harInt       `json:"headersSize"`
	BodySize    harInt       `json:"bodySize"`
}

type harPostData struct {
	MimeType string  `json:"mimeType"`
	Text     string  `json:"text"`
	Params   []harNV `json:"params,omitempty"`
	Encoding string  `json:"_encoding,omitempty"` // a few writers base64 binary bodies
}

type harResponse struct {
	Status      harInt     `json:"status"`
	StatusText  string     `json:"statusText"`
	HTTPVersion string     `json:"httpVersion"`
	Cookies     []harNV    `json:"cookies"`
	Headers     []harNV    `json:"headers"`
	Content     harContent `json:"content"`
	RedirectURL string     `json:"redirectURL"`
	HeadersSize harInt     `json:"headersSize"`
	BodySize    harInt     `json:"bodySize"`
	Error       string     `json:"_error,omitempty"`       // Chrome DevTools
	FailureText string     `json:"_failureText,omitempty"` // Playwright
}

type harContent struct {
	Size     harInt `json:"size"`
	MimeType string `json:"mimeType"`
	Text     string `json:"text,omitempty"`
	Encoding string `json:"encoding,omitempty"`
}

// harInt is a HAR integer. Writers disagree on its type: some write -1 or
// 12.0, a few write a string; anything that is not a number reads as -1
// (unknown), which is what HAR uses for "not available".
type harInt int

func (n *harInt) UnmarshalJSON(b []byte) error {
	var f float64
	if err := json.Unmarshal(b, &f); err != nil {
		*n = -1
		return nil
	}
	*n = harInt(f)
	return nil
}

// Report says what Import did with each entry of a HAR file.
type Report struct {
	// Creator is the HAR's creator, e.g. "Playwright 1.65.1".
	Creator string
	// Entries is the number of entries in the HAR.
	Entries int
	// Imported is the number of interactions in the cassette, and
	// Preflights how many of them are CORS preflights.
	Imported, Preflights int
	// Requests lists, in HAR order, every request a page script made to
	// another origin: the requests a check file reproduces.
	Requests []Request
	// Skipped lists the entries that were not imported, and why.
	Skipped []Skip
	// Notes lists changes made while importing (decoded bodies, dropped
	// HTTP/2 pseudo-headers, ...), one line each, naming the entries.
	Notes []string
}

// Request is a cross-origin request a page script made, as the HAR shows it.
type Request struct {
	// Entry is the index of the HAR entry.
	Entry int
	// Interaction is the index of the imported interaction, or -1 when the
	// HAR holds no response for the request (see Skip).
	Interaction int
	// Page is the page origin the request was made from: its Origin header,
	// else the origin of its Referer, else of its page's title when that is
	// a URL.
	Page string
	// Request is the request as the HAR holds it (for an entry without
	// response, often only the headers the script set).
	Request cassettes.Request
	// ResourceType is the HAR's _resourceType ("fetch", "xhr"), if any.
	ResourceType string
}

// Skip is an entry Import did not turn into an interaction.
type Skip struct {
	Entry  int
	Method string
	URL    string
	Reason string
}

// Import turns a HAR 1.2 file into a cassette. name is used in errors.
//
// Every entry with an http or https URL and a response becomes an
// interaction, in HAR order, its kind given by cassettes.Classify; preflight entries
// are kept when the HAR has them. Entries are skipped, with the reason in
// the report, when their URL is not http(s) (data:, blob:, ...) or when the
// HAR holds no response for them: a request the browser blocked for CORS
// has none in Playwright's HARs (status -1) and in some DevTools exports
// (status 0).
//
// HAR writers store bodies decoded: when a response says Content-Encoding
// gzip, deflate, br or zstd but its HAR body is not encoded that way, the
// Content-Encoding header is dropped and Content-Length set to the body's
// length, and the report notes it. HTTP/2 pseudo-headers (":authority")
// and hop-by-hop headers are dropped; HTTP/2 header names stay lower-case
// as sent. A request URL's user:password@ is dropped: the browser never
// sends it (it becomes an Authorization header), and neither the cassette
// nor a check URL or name may carry it. A Set-Cookie value holding several
// cookies on separate lines (as DevTools writes them) becomes one line
// each. Response Date values become cassettes.RecordedDate, as the
// recorder stores them.
//
// Errors name the file and the entry:
//
//	har: import "x.har": entry 3: request.url: missing
func Import(name string, data []byte) (*cassettes.Cassette, Report, error) {
	var rep Report
	var f harFile
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&f); err != nil {
		return nil, rep, fmt.Errorf("har: import %q: not a HAR file: %w", name, err)
	}
	if f.Log == nil {
		return nil, rep, fmt.Errorf("har: import %q: not a HAR file: no \"log\"", name)
	}
	lg := f.Log
	if v := lg.Version; v != "" && v != "1.1" && v != "1.2" {
		return nil, rep, fmt.Errorf("har: import %q: log.version %q: only HAR 1.1 and 1.2 are supported", name, v)
	}
	rep.Creator = strings.TrimSpace(lg.Creator.Name + " " + lg.Creator.Version)
	rep.Entries = len(lg.Entries)
	c := &cassettes.Cassette{Version: cassettes.FormatVersion}
	if lg.Browser != nil && lg.Browser.Name != "" {
		c.Meta.Browser = strings.TrimSpace(lg.Browser.Name + " " + lg.Browser.Version)
	}
	pages := map[string]string{}
	for _, p := range lg.Pages {
		if o := originOf(p.Title); o != "" {
			pages[p.ID] = o
		}
	}
	im := &harImporter{file: name, rep: &rep}
	var errs []error
	for i := range lg.Entries {
		e := &lg.Entries[i]
		it, ok, err := im.entry(i, e)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		idx := -1
		if ok {
			idx = len(c.Interactions)
			c.Interactions = append(c.Interactions, it)
			if it.Kind == cassettes.KindPreflight {
				rep.Preflights++
			}
		}
		if q, ok := scriptRequest(i, idx, e, it.Request, pages); ok {
			rep.Requests = append(rep.Requests, q)
		}
	}
	if len(errs) > 0 {
		return nil, rep, errors.Join(errs...)
	}
	rep.Imported = len(c.Interactions)
	if err := c.Validate(); err != nil {
		return nil, rep, fmt.Errorf("har: import %q: %w", name, err)
	}
	return c, rep, nil
}

type harImporter struct {
	file string
	rep  *Report
	h2   bool // an HTTP/2 entry was noted
}

func (im *harImporter) errorf(i int, field, format string, args ...any) error {
	return fmt.Errorf("har: import %q: entry %d: %s: %s", im.file, i, field, fmt.Sprintf(format, args...))
}

func (im *harImporter) note(i int, format string, args ...any) {
	im.rep.Notes = append(im.rep.Notes, fmt.Sprintf("entry %d: ", i)+fmt.Sprintf(format, args...))
}

func (im *harImporter) skip(i int, method, u, reason string) {
	im.rep.Skipped = append(im.rep.Skipped, Skip{Entry: i, Method: method, URL: u, Reason: reason})
}

// entry converts one HAR entry. ok is false when the entry is skipped; the
// returned interaction then still carries the request, when there is one.
func (im *harImporter) entry(i int, e *harEntry) (it cassettes.Interaction, ok bool, err error) {
	rq := e.Request
	if rq == nil {
		return it, false, im.errorf(i, "request", "missing")
	}
	if rq.Method == "" {
		return it, false, im.errorf(i, "request.method", "missing")
	}
	if !fetch.IsToken(rq.Method) {
		return it, false, im.errorf(i, "request.method", "%q is not a valid HTTP method", rq.Method)
	}
	if rq.URL == "" {
		return it, false, im.errorf(i, "request.url", "missing")
	}
	u, perr := url.Parse(rq.URL)
	if perr != nil {
		return it, false, im.errorf(i, "request.url", "%q is not a URL: %v", rq.URL, perr)
	}
	if u.User != nil {
		// The browser never sends user:password@: it becomes an
		// Authorization header, which the HAR holds as such.
		u.User = nil
		im.note(i, "request URL: user:password@ dropped (the browser sends it as an Authorization header, not in the URL)")
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		scheme, _, _ := strings.Cut(rq.URL, ":")
		im.skip(i, rq.Method, truncate(u.Redacted(), 60), fmt.Sprintf("not an http or https URL (%s:)", scheme))
		return it, false, nil
	}
	u.Fragment, u.RawFragment = "", ""
	h2 := isHTTP2(rq.HTTPVersion) || e.Response != nil && isHTTP2(e.Response.HTTPVersion)
	it.Request = cassettes.Request{
		Method:  rq.Method,
		URL:     u.String(),
		Headers: im.headers(i, "request", rq.Headers, h2),
	}
	if pd := rq.PostData; pd != nil {
		switch {
		case pd.Text != "" && strings.EqualFold(pd.Encoding, "base64"):
			b, derr := base64.StdEncoding.DecodeString(pd.Text)
			if derr != nil {
				return it, false, im.errorf(i, "request.postData.text", "invalid base64: %v", derr)
			}
			it.Request.Body = b
		case pd.Text != "":
			it.Request.Body = cassettes.Body(pd.Text)
		case len(pd.Params) > 0:
			v := url.Values{}
			for _, p := range pd.Params {
				v.Add(p.Name, p.Value)
			}
			it.Request.Body = cassettes.Body(v.Encode())
			im.note(i, "request body rebuilt from postData.params (the HAR has no postData.text)")
		}
	}
	it.Kind = cassettes.Classify(it.Request.Method, it.Request.Headers)

	rs := e.Response
	if rs == nil || rs.Status <= 0 {
		why := "no response in the HAR"
		if rs != nil {
			why = fmt.Sprintf("no response in the HAR (status %d", rs.Status)
			if f := cmp(rs.FailureText, rs.Error); f != "" {
				why += ", " + f
			}
			why += ")"
		}
		why += ": the browser blocked or failed it (Playwright's HARs hold no response for a request blocked by CORS)"
		im.skip(i, rq.Method, it.Request.URL, why)
		return it, false, nil
	}
	if why := cassettes.StatusProblem(int(rs.Status)); why != "" {
		return it, false, im.errorf(i, "response.status", "%s", why)
	}
	it.Response.Status = int(rs.Status)
	it.Response.Headers = im.headers(i, "response", rs.Headers, h2)
	body, berr := im.body(i, rs)
	if berr != nil {
		return it, false, berr
	}
	it.Response.Body = body
	im.fixEncoding(i, &it.Response, rs)
	for j := range it.Response.Headers {
		if strings.EqualFold(it.Response.Headers[j].Name, "Date") {
			it.Response.Headers[j].Value = cassettes.RecordedDate
		}
	}
	return it, true, nil
}

func cmp(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func isHTTP2(v string) bool {
	v = strings.ToLower(v)
	return v == "h2" || v == "h3" || strings.HasPrefix(v, "http/2") || strings.HasPrefix(v, "http/3")
}

// headers converts HAR headers: pseudo-headers and hop-by-hop headers
// dropped, values holding line breaks split into one line each.
func (im *harImporter) headers(i int, where string, in []harNV, h2 bool) cassettes.Headers {
	var out cassettes.Headers
	var pseudo []string
	for _, h := range in {
		switch {
		case strings.HasPrefix(h.Name, ":"):
			pseudo = append(pseudo, h.Name)
			continue
		case fetch.IsHopByHop(h.Name): // never recorded (see the recorder)
			continue
		case !fetch.IsToken(h.Name):
			im.note(i, "%s header %q dropped: not a valid header name", where, h.Name)
			continue
		}
		if strings.ContainsAny(h.Value, "\r\n\x00") {
			var parts []string
			for _, p := range strings.FieldsFunc(h.Value, func(r rune) bool { return r == '\n' || r == '\r' }) {
				parts = append(parts, strings.ReplaceAll(p, "\x00", ""))
			}
			for _, p := range parts {
				out = append(out, cassettes.Header{Name: h.Name, Value: p})
			}
			im.note(i, "%s header %q: %d values on separate lines became %d header lines", where, h.Name, len(parts), len(parts))
			continue
		}
		out = append(out, cassettes.Header{Name: h.Name, Value: h.Value})
	}
	if len(pseudo) > 0 {
		im.note(i, "%s: HTTP/2 pseudo-headers %s dropped", where, strings.Join(pseudo, ", "))
	}
	if h2 && !im.h2 {
		im.h2 = true
		im.note(i, "HTTP/2: header names are lower-case as sent on the wire, and kept so (here and in later HTTP/2 entries)")
	}
	return out
}

// body returns the response body the HAR holds.
func (im *harImporter) body(i int, rs *harResponse) (cassettes.Body, error) {
	c := rs.Content
	if c.Text == "" {
		return nil, nil
	}
	if strings.EqualFold(c.Encoding, "base64") {
		b, err := base64.StdEncoding.DecodeString(c.Text)
		if err != nil {
			return nil, im.errorf(i, "response.content.text", "invalid base64: %v", err)
		}
		return b, nil
	}
	return cassettes.Body(c.Text), nil
}

// fixEncoding makes the headers of r describe its body. HAR writers store
// response bodies decoded (HAR 1.2: "the HTTP response is decoded"), so a
// Content-Encoding the body does not carry is dropped and Content-Length
// follows the body. A body left out of the HAR gets no Content-Encoding and
// a Content-Length of 0: a replay serves what the cassette holds.
func (im *harImporter) fixEncoding(i int, r *cassettes.Response, rs *harResponse) {
	enc, hasEnc := r.Headers.Get("Content-Encoding")
	enc = strings.ToLower(strings.TrimSpace(enc))
	decoded := false
	switch {
	case !hasEnc || enc == "" || enc == "identity":
	case len(r.Body) == 0:
		decoded = true
	default:
		decoded = !stillEncoded(enc, r.Body)
	}
	cl, hasCL := r.Headers.Get("Content-Length")
	if decoded {
		r.Headers = slices.DeleteFunc(r.Headers, func(h cassettes.Header) bool { return strings.EqualFold(h.Name, "Content-Encoding") })
	}
	switch {
	case decoded && len(r.Body) > 0:
		im.note(i, "response body is decoded in the HAR: Content-Encoding %q dropped, Content-Length set to %d", enc, len(r.Body))
	case len(r.Body) == 0 && (rs.Content.Size != 0 || hasCL && cl != "0"):
		if decoded {
			im.note(i, "response body not in the HAR: replayed empty, Content-Encoding %q dropped", enc)
		} else {
			im.note(i, "response body not in the HAR: replayed empty")
		}
	case hasCL && cl != strconv.Itoa(len(r.Body)):
		im.note(i, "response Content-Length %s set to the body's %d bytes", cl, len(r.Body))
	}
	if hasCL {
		for j := range r.Headers {
			if strings.EqualFold(r.Headers[j].Name, "Content-Length") {
				r.Headers[j].Value = strconv.Itoa(len(r.Body))
			}
		}
	}
}

// stillEncoded reports whether b is still in content coding enc. gzip and
// deflate are checked by decoding; br and zstd cannot be checked with the
// standard library and are taken as decoded, as HAR 1.2 specifies.
func stillEncoded(enc string, b []byte) bool {
	switch enc {
	case "gzip", "x-gzip":
		zr, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			return false
		}
		_, err = io.Copy(io.Discard, zr)
		return err == nil
	case "deflate":
		zr, err := zlib.NewReader(bytes.NewReader(b))
		if err != nil {
			return false
		}
		_, err = io.Copy(io.Discard, zr)
		return err == nil
	}
	return false
}

// scriptRequest returns the entry as a cross-origin request of a page
// script, if it is one: a request with a page origin other than its URL's
// origin that is not a preflight and, when the HAR says, a fetch or an XHR.
func scriptRequest(i, idx int, e *harEntry, r cassettes.Request, pages map[string]string) (Request, bool) {
	if r.URL == "" || cassettes.Classify(r.Method, r.Headers) == cassettes.KindPreflight {
		return Request{}, false
	}
	switch strings.ToLower(e.ResourceType) {
	case "", "fetch", "xhr":
	default:
		return Request{}, false
	}
	page := ""
	if o, ok := r.Headers.Get("Origin"); ok && o != "null" {
		page = o
	} else if ref, ok := r.Headers.Get("Referer"); ok {
		page = originOf(ref)
	} else {
		page = pages[e.Pageref]
	}
	if page == "" || page == originOf(r.URL) {
		return Request{}, false
	}
	return Request{Entry: i, Interaction: idx, Page: page, Request: r, ResourceType: e.ResourceType}, true
}

// originOf returns the serialised origin of an http(s) URL, or "".
func originOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return ""
	}
	return fetch.SerializeOrigin(u)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n-3] + "..."
}

// LoadCassette loads the cassette at path, or imports it as a HAR file when
// its name ends in ".har".
func LoadCassette(path string) (*cassettes.Cassette, error) {
	if !strings.HasSuffix(strings.ToLower(path), ".har") {
		return cassettes.Load(path)
	}
	data, err := ReadFile(path)
	if err != nil {
		return nil, err
	}
	cas, _, err := Import(path, data)
	return cas, err
}

// ReadFile reads the HAR file at path for Import. It refuses what is not a
// regular file after following symlinks and a file larger than 512 MiB;
// the environment variable CORSVCR_MAX_INPUT raises the limit.
func ReadFile(path string) ([]byte, error) {
	data, err := inputfile.Read(path, inputfile.HAR)
	if err != nil {
		return nil, fmt.Errorf("har: load %q: %w", path, err)
	}
	return data, nil
}
