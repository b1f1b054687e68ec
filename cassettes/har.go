package cassettes

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
	"unicode/utf8"

	"github.com/corsvcr/corsvcr/internal/fetch"
)

// HAR (HTTP Archive 1.2) import and export. The subset read is what Chrome
// DevTools, Firefox, Playwright's recordHar and mitmproxy write; fields
// starting with "_" are their extensions.

type harFile struct {
	Log *harLog `json:"log"`
}

type harLog struct {
	Version string      `json:"version"`
	Creator harCreator  `json:"creator"`
	Browser *harCreator `json:"browser,omitempty"`
	Pages   []harPage   `json:"pages,omitempty"`
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

// HARReport says what ImportHAR did with each entry of a HAR file.
type HARReport struct {
	// Creator is the HAR's creator, e.g. "Playwright 1.65.1".
	Creator string
	// Entries is the number of entries in the HAR.
	Entries int
	// Imported is the number of interactions in the cassette, and
	// Preflights how many of them are CORS preflights.
	Imported, Preflights int
	// Requests lists, in HAR order, every request a page script made to
	// another origin: the requests a check file reproduces.
	Requests []HARRequest
	// Skipped lists the entries that were not imported, and why.
	Skipped []HARSkip
	// Notes lists changes made while importing (decoded bodies, dropped
	// HTTP/2 pseudo-headers, ...), one line each, naming the entries.
	Notes []string
}

// HARRequest is a cross-origin request a page script made, as the HAR shows it.
type HARRequest struct {
	// Entry is the index of the HAR entry.
	Entry int
	// Interaction is the index of the imported interaction, or -1 when the
	// HAR holds no response for the request (see HARSkip).
	Interaction int
	// Page is the page origin the request was made from: its Origin header,
	// else the origin of its Referer, else of its page's title when that is
	// a URL.
	Page string
	// Request is the request as the HAR holds it (for an entry without
	// response, often only the headers the script set).
	Request Request
	// ResourceType is the HAR's _resourceType ("fetch", "xhr"), if any.
	ResourceType string
}

// HARSkip is an entry ImportHAR did not turn into an interaction.
type HARSkip struct {
	Entry  int
	Method string
	URL    string
	Reason string
}

// NoPreflights reports whether the HAR had cross-origin requests that need a
// preflight but no preflight entry: Chrome DevTools and Playwright leave
// preflights out, and a replay without them cannot reproduce a preflight
// failure.
func (r *HARReport) NoPreflights() bool {
	if r.Preflights > 0 {
		return false
	}
	for _, q := range r.Requests {
		if needsPreflight(q.Request) {
			return true
		}
	}
	return false
}

// needsPreflight reports whether a cross-origin fetch of r needs a CORS
// preflight: a method other than GET, HEAD and POST, or a header outside
// the CORS-safelisted ones (the check the Fetch standard makes, minus the
// value limits).
func needsPreflight(r Request) bool {
	if !fetch.IsCORSSafelistedMethod(r.Method) {
		return true
	}
	for _, h := range r.Headers {
		switch strings.ToLower(h.Name) {
		case "accept", "accept-language", "content-language", "range":
		case "content-type":
			mt, _, _ := strings.Cut(strings.ToLower(h.Value), ";")
			switch strings.TrimSpace(mt) {
			case "application/x-www-form-urlencoded", "multipart/form-data", "text/plain":
			default:
				return true
			}
		default:
			if !browserSetHeader(h.Name) {
				return true
			}
		}
	}
	return false
}

// browserSetHeader reports whether name is a request header the browser
// (not a page script) sets: forbidden header names, client hints, and the
// ones a HAR writer adds.
func browserSetHeader(name string) bool {
	if fetch.IsForbiddenRequestHeaderName(name) || strings.HasPrefix(name, ":") {
		return true
	}
	switch strings.ToLower(name) {
	case "accept-language", "upgrade-insecure-requests", "access-control-request-local-network",
		"priority", "purpose", "x-client-data", "if-none-match", "if-modified-since":
		return true
	}
	return false
}

// ScriptHeaders returns the headers of r that a page script set: r's
// headers without the ones the browser adds (Origin, Referer, User-Agent,
// Accept-Encoding, Cookie, Host, sec-*, ...), without Accept: */* (fetch's
// default) and without the Pragma and Cache-Control: no-cache that DevTools
// adds when its cache is disabled.
func ScriptHeaders(r Request) Headers {
	var out Headers
	for _, h := range r.Headers {
		n := strings.ToLower(h.Name)
		switch {
		case browserSetHeader(h.Name):
		case n == "accept" && h.Value == "*/*":
		case (n == "pragma" || n == "cache-control") && h.Value == "no-cache":
		default:
			out = append(out, h)
		}
	}
	return out
}

// ImportHAR turns a HAR 1.2 file into a cassette. name is used in errors.
//
// Every entry with an http or https URL and a response becomes an
// interaction, in HAR order, its kind given by Classify; preflight entries
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
// as sent. A Set-Cookie value holding several cookies on separate lines
// (as DevTools writes them) becomes one line each. Response Date values
// become RecordedDate, as the recorder stores them.
//
// Errors name the file and the entry:
//
//	cassettes: import "x.har": entry 3: request.url: missing
func ImportHAR(name string, data []byte) (*Cassette, HARReport, error) {
	var rep HARReport
	var f harFile
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&f); err != nil {
		return nil, rep, fmt.Errorf("cassettes: import %q: not a HAR file: %w", name, err)
	}
	if f.Log == nil {
		return nil, rep, fmt.Errorf("cassettes: import %q: not a HAR file: no \"log\"", name)
	}
	lg := f.Log
	if v := lg.Version; v != "" && v != "1.1" && v != "1.2" {
		return nil, rep, fmt.Errorf("cassettes: import %q: log.version %q: only HAR 1.1 and 1.2 are supported", name, v)
	}
	rep.Creator = strings.TrimSpace(lg.Creator.Name + " " + lg.Creator.Version)
	rep.Entries = len(lg.Entries)
	c := &Cassette{Version: FormatVersion}
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
			if it.Kind == KindPreflight {
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
		return nil, rep, fmt.Errorf("cassettes: import %q: %w", name, err)
	}
	return c, rep, nil
}

type harImporter struct {
	file string
	rep  *HARReport
	h2   bool // an HTTP/2 entry was noted
}

func (im *harImporter) errorf(i int, field, format string, args ...any) error {
	return fmt.Errorf("cassettes: import %q: entry %d: %s: %s", im.file, i, field, fmt.Sprintf(format, args...))
}

func (im *harImporter) note(i int, format string, args ...any) {
	im.rep.Notes = append(im.rep.Notes, fmt.Sprintf("entry %d: ", i)+fmt.Sprintf(format, args...))
}

func (im *harImporter) skip(i int, method, u, reason string) {
	im.rep.Skipped = append(im.rep.Skipped, HARSkip{Entry: i, Method: method, URL: u, Reason: reason})
}

// entry converts one HAR entry. ok is false when the entry is skipped; the
// returned interaction then still carries the request, when there is one.
func (im *harImporter) entry(i int, e *harEntry) (it Interaction, ok bool, err error) {
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
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		scheme, _, _ := strings.Cut(rq.URL, ":")
		im.skip(i, rq.Method, truncate(rq.URL, 60), fmt.Sprintf("not an http or https URL (%s:)", scheme))
		return it, false, nil
	}
	u.Fragment, u.RawFragment = "", ""
	h2 := isHTTP2(rq.HTTPVersion) || e.Response != nil && isHTTP2(e.Response.HTTPVersion)
	it.Request = Request{
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
			it.Request.Body = Body(pd.Text)
		case len(pd.Params) > 0:
			v := url.Values{}
			for _, p := range pd.Params {
				v.Add(p.Name, p.Value)
			}
			it.Request.Body = Body(v.Encode())
			im.note(i, "request body rebuilt from postData.params (the HAR has no postData.text)")
		}
	}
	it.Kind = Classify(it.Request.Method, it.Request.Headers)

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
	if rs.Status < 100 || rs.Status > 999 {
		return it, false, im.errorf(i, "response.status", "%d is not a valid HTTP status", rs.Status)
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
			it.Response.Headers[j].Value = RecordedDate
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
func (im *harImporter) headers(i int, where string, in []harNV, h2 bool) Headers {
	var out Headers
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
				out = append(out, Header{Name: h.Name, Value: p})
			}
			im.note(i, "%s header %q: %d values on separate lines became %d header lines", where, h.Name, len(parts), len(parts))
			continue
		}
		out = append(out, Header{Name: h.Name, Value: h.Value})
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
func (im *harImporter) body(i int, rs *harResponse) (Body, error) {
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
	return Body(c.Text), nil
}

// fixEncoding makes the headers of r describe its body. HAR writers store
// response bodies decoded (HAR 1.2: "the HTTP response is decoded"), so a
// Content-Encoding the body does not carry is dropped and Content-Length
// follows the body. A body left out of the HAR gets no Content-Encoding and
// a Content-Length of 0: a replay serves what the cassette holds.
func (im *harImporter) fixEncoding(i int, r *Response, rs *harResponse) {
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
		r.Headers = slices.DeleteFunc(r.Headers, func(h Header) bool { return strings.EqualFold(h.Name, "Content-Encoding") })
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
func scriptRequest(i, idx int, e *harEntry, r Request, pages map[string]string) (HARRequest, bool) {
	if r.URL == "" || Classify(r.Method, r.Headers) == KindPreflight {
		return HARRequest{}, false
	}
	switch strings.ToLower(e.ResourceType) {
	case "", "fetch", "xhr":
	default:
		return HARRequest{}, false
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
		return HARRequest{}, false
	}
	return HARRequest{Entry: i, Interaction: idx, Page: page, Request: r, ResourceType: e.ResourceType}, true
}

// originOf returns the serialised origin of an http(s) URL, or "".
func originOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return ""
	}
	host := strings.ToLower(u.Host)
	switch {
	case u.Scheme == "http" && strings.HasSuffix(host, ":80"):
		host = strings.TrimSuffix(host, ":80")
	case u.Scheme == "https" && strings.HasSuffix(host, ":443"):
		host = strings.TrimSuffix(host, ":443")
	}
	return u.Scheme + "://" + strings.TrimSuffix(host, ":")
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n-3] + "..."
}

// ExportHAR writes c as a HAR 1.2 file (indented JSON), one entry per
// interaction in order, with the interaction's kind as "_corsvcrKind". Text
// bodies are written as text, others base64; bodies are exported as the
// cassette holds them (a gzip body stays gzip, with its Content-Encoding).
// Times are zero: a cassette records no timing.
func ExportHAR(c *Cassette) ([]byte, error) {
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("cassettes: export HAR: invalid cassette:\n%w", err)
	}
	type entry struct {
		harEntry
		Kind Kind `json:"_corsvcrKind"`
	}
	out := struct {
		Log struct {
			Version string      `json:"version"`
			Creator harCreator  `json:"creator"`
			Browser *harCreator `json:"browser,omitempty"`
			Pages   []harPage   `json:"pages"`
			Entries []entry     `json:"entries"`
			Comment string      `json:"comment,omitempty"`
		} `json:"log"`
	}{}
	lg := &out.Log
	lg.Version = "1.2"
	lg.Creator = harCreator{Name: "corsvcr", Version: c.Meta.Corsvcr}
	if c.Meta.Browser != "" {
		name, ver := c.Meta.Browser, ""
		if k := strings.LastIndexByte(name, ' '); k > 0 {
			name, ver = name[:k], name[k+1:]
		}
		lg.Browser = &harCreator{Name: name, Version: ver}
	}
	lg.Pages = []harPage{}
	lg.Entries = []entry{}
	const epoch = "2000-01-01T00:00:00.000Z" // RecordedDate: a cassette holds no times
	for _, it := range c.Interactions {
		rq, rs := it.Request, it.Response
		e := entry{Kind: it.Kind}
		e.StartedDateTime = epoch
		u, _ := url.Parse(rq.URL) // Validate checked it
		qs := []harNV{}
		for _, kv := range strings.Split(u.RawQuery, "&") {
			if kv == "" {
				continue
			}
			k, v, _ := strings.Cut(kv, "=")
			ku, err1 := url.QueryUnescape(k)
			vu, err2 := url.QueryUnescape(v)
			if err1 != nil || err2 != nil {
				ku, vu = k, v
			}
			qs = append(qs, harNV{Name: ku, Value: vu})
		}
		req := &harRequest{
			Method:      rq.Method,
			URL:         rq.URL,
			HTTPVersion: "HTTP/1.1",
			Cookies:     harCookies(rq.Headers.Values("Cookie"), false),
			Headers:     harHeaders(rq.Headers),
			QueryString: qs,
			HeadersSize: -1,
			BodySize:    harInt(len(rq.Body)),
		}
		if len(rq.Body) > 0 {
			ct, _ := rq.Headers.Get("Content-Type")
			pd := &harPostData{MimeType: ct}
			if utf8.Valid(rq.Body) {
				pd.Text = string(rq.Body)
			} else {
				pd.Text, pd.Encoding = base64.StdEncoding.EncodeToString(rq.Body), "base64"
			}
			req.PostData = pd
		}
		ct, _ := rs.Headers.Get("Content-Type")
		loc, _ := rs.Headers.Get("Location")
		resp := &harResponse{
			Status:      harInt(rs.Status),
			HTTPVersion: "HTTP/1.1",
			Cookies:     harCookies(rs.Headers.Values("Set-Cookie"), true),
			Headers:     harHeaders(rs.Headers),
			Content:     harContent{Size: harInt(len(rs.Body)), MimeType: ct},
			RedirectURL: loc,
			HeadersSize: -1,
			BodySize:    harInt(len(rs.Body)),
		}
		if len(rs.Body) > 0 {
			if utf8.Valid(rs.Body) && isText(rs.Body) {
				resp.Content.Text = string(rs.Body)
			} else {
				resp.Content.Text, resp.Content.Encoding = base64.StdEncoding.EncodeToString(rs.Body), "base64"
			}
		}
		e.Request, e.Response = req, resp
		e.Timings = harTimings{Send: 0, Wait: 0, Receive: 0}
		if it.Kind == KindPreflight {
			e.ResourceType = "preflight"
		}
		lg.Entries = append(lg.Entries, e)
	}
	b, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("cassettes: export HAR: %w", err)
	}
	return append(b, '\n'), nil
}

func harHeaders(hs Headers) []harNV {
	out := make([]harNV, 0, len(hs))
	for _, h := range hs {
		out = append(out, harNV{Name: h.Name, Value: h.Value})
	}
	return out
}

// harCookies lists the cookies of Cookie values, or of Set-Cookie values
// when set is true, as HAR name/value pairs.
func harCookies(values []string, set bool) []harNV {
	out := []harNV{}
	for _, v := range values {
		if set {
			v, _, _ = strings.Cut(v, ";")
			if name, val, ok := strings.Cut(v, "="); ok {
				out = append(out, harNV{Name: strings.TrimSpace(name), Value: strings.TrimSpace(val)})
			}
			continue
		}
		for _, kv := range strings.Split(v, ";") {
			if name, val, ok := strings.Cut(kv, "="); ok {
				out = append(out, harNV{Name: strings.TrimSpace(name), Value: strings.TrimSpace(val)})
			}
		}
	}
	return out
}
