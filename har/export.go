package har

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/corsvcr/corsvcr/cassettes"
)

// Export writes c as a HAR 1.2 file (indented JSON), one entry per
// interaction in order, with the interaction's kind as "_corsvcrKind". Text
// bodies are written as text, others base64; bodies are exported as the
// cassette holds them (a gzip body stays gzip, with its Content-Encoding).
// Times are zero: a cassette records no timing.
func Export(c *cassettes.Cassette) ([]byte, error) {
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("har: export: invalid cassette:\n%w", err)
	}
	lg := &harLog{Version: "1.2", Pages: []harPage{}, Entries: []harEntry{}}
	lg.Creator = harCreator{Name: "corsvcr", Version: c.Meta.Corsvcr}
	if c.Meta.Browser != "" {
		name, ver := c.Meta.Browser, ""
		if k := strings.LastIndexByte(name, ' '); k > 0 {
			name, ver = name[:k], name[k+1:]
		}
		lg.Browser = &harCreator{Name: name, Version: ver}
	}
	const epoch = "2000-01-01T00:00:00.000Z" // RecordedDate: a cassette holds no times
	for _, it := range c.Interactions {
		rq, rs := it.Request, it.Response
		e := harEntry{Kind: it.Kind}
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
			if rs.Body.IsText() {
				resp.Content.Text = string(rs.Body)
			} else {
				resp.Content.Text, resp.Content.Encoding = base64.StdEncoding.EncodeToString(rs.Body), "base64"
			}
		}
		e.Request, e.Response = req, resp
		e.Timings = harTimings{Send: 0, Wait: 0, Receive: 0}
		if it.Kind == cassettes.KindPreflight {
			e.ResourceType = "preflight"
		}
		lg.Entries = append(lg.Entries, e)
	}
	b, err := json.MarshalIndent(harFile{Log: lg}, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("har: export: %w", err)
	}
	return append(b, '\n'), nil
}

func harHeaders(hs cassettes.Headers) []harNV {
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
