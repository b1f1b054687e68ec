package predict_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/corsvcr/corsvcr/cassettes"
	"github.com/corsvcr/corsvcr/checks"
	"github.com/corsvcr/corsvcr/predict"
)

// TestOpaqueResponseBlocking: what Chrome 156's Opaque Response Blocking
// does with the response to a cross-origin no-cors fetch, each case as
// measured in integration/testdata/oracle/orb (or named after the step of
// orb_impl.cc it pins). The script always gets an opaque response; orb is
// whether DevTools reports the block (Verdict.ORB).
func TestOpaqueResponseBlocking(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		method  string
		status  int // 200 when 0
		headers cassettes.Headers
		body    string
		orb     bool
		rule    string // a part of Step.Rule when orb
	}{
		{name: "json object", headers: hs("Content-Type", "application/json"), body: `{"a":1}`, orb: true, rule: "JSON object"},
		{name: "json array not sniffed", headers: hs("Content-Type", "application/json"), body: `[1,2]`},
		{name: "json empty object not sniffed", headers: hs("Content-Type", "application/json"), body: `{}`},
		{name: "json whitespace and escape", headers: hs("Content-Type", "application/json"), body: " \n {  \"a\\\"b\"  : 1}", orb: true},
		{name: "json key without colon", headers: hs("Content-Type", "application/json"), body: `{"a" 1}`},
		{name: "plain sniffs json", headers: hs("Content-Type", "text/plain; charset=utf-8"), body: `{"a":1}`, orb: true},
		{name: "plain text", headers: hs("Content-Type", "text/plain"), body: "hello"},
		{name: "plain nosniff", headers: hs("Content-Type", "text/plain", "X-Content-Type-Options", "nosniff"), body: "hello", orb: true, rule: "nosniff"},
		{name: "nosniff any case", headers: hs("Content-Type", "application/json", "X-Content-Type-Options", "NoSniff"), body: "[1]", orb: true},
		{name: "nosniff on another type", headers: hs("Content-Type", "application/octet-stream", "X-Content-Type-Options", "nosniff"), body: "hello"},
		{name: "+xml nosniff", headers: hs("Content-Type", "application/atom+xml", "X-Content-Type-Options", "nosniff"), body: "feed", orb: true},
		{name: "breaker while", headers: hs("Content-Type", "application/json"), body: `while(1);{"a":1}`, orb: true, rule: "parser breaker"},
		{name: "breaker angular", headers: hs("Content-Type", "text/javascript"), body: ")]}',\n[1]", orb: true},
		{name: "breaker struts with space", headers: hs("Content-Type", "text/plain"), body: "{} && [1]", orb: true},
		{name: "breaker after whitespace", headers: hs("Content-Type", "application/json"), body: " for(;;);[1]"},
		{name: "breaker cut short", headers: hs("Content-Type", "application/json"), body: "for(;;"},
		{name: "html doctype", headers: hs("Content-Type", "text/html"), body: "<!DOCTYPE html><p>hi", orb: true, rule: "HTML"},
		{name: "html not sniffed", headers: hs("Content-Type", "text/html"), body: "hello"},
		{name: "html after comment and line break", headers: hs("Content-Type", "text/html"), body: "<!-- c -->\n<b>hi</b>", orb: true},
		{name: "html comment alone", headers: hs("Content-Type", "text/html"), body: "<!-- c -->"},
		{name: "html comment then tag on its line", headers: hs("Content-Type", "text/html"), body: "<!-- c --><b>hi</b>"},
		{name: "html tag prefix only", headers: hs("Content-Type", "text/html"), body: "<h"},
		{name: "html in unknown type", headers: hs("Content-Type", "application/octet-stream"), body: "<html><body>x", orb: true},
		{name: "xml", headers: hs("Content-Type", "application/xml"), body: `<?xml version="1.0"?><a/>`, orb: true, rule: "XML"},
		{name: "xml upper case", headers: hs("Content-Type", "application/xml"), body: `<?XML version="1.0"?><a/>`},
		{name: "css safelisted", headers: hs("Content-Type", "text/css"), body: `{"a":1}`},
		{name: "svg safelisted with nosniff", headers: hs("Content-Type", "image/svg+xml", "X-Content-Type-Options", "nosniff"), body: `<?xml version="1.0"?><svg/>`},
		{name: "audio safelisted", headers: hs("Content-Type", "audio/mpeg"), body: `{"a":1}`},
		{name: "javascript sniffed", headers: hs("Content-Type", "application/javascript"), body: `{"a":1}`, orb: true},
		{name: "javascript", headers: hs("Content-Type", "application/javascript"), body: "var a = 1;"},
		{name: "image sniffed", headers: hs("Content-Type", "image/png"), body: `{"a":1}`, orb: true},
		{name: "pdf never sniffed", headers: hs("Content-Type", "application/pdf"), body: "%PDF-1.4", orb: true, rule: "never sniffed"},
		{name: "csv with parameters", headers: hs("Content-Type", "text/csv; charset=utf-8"), body: "a,b", orb: true},
		{name: "protobuf", headers: hs("Content-Type", "application/x-protobuf"), body: "x", orb: true},
		{name: "pdf 404 not reported", status: 404, headers: hs("Content-Type", "application/pdf"), body: "%PDF-1.4"},
		{name: "json 500 not reported", status: 500, headers: hs("Content-Type", "application/json"), body: `{"error":"x"}`},
		{name: "json 201 reported", status: 201, headers: hs("Content-Type", "application/json"), body: `{"id":1}`, orb: true},
		{name: "empty not reported", headers: hs("Content-Type", "application/json", "X-Content-Type-Options", "nosniff", "Content-Length", "0")},
		{name: "empty without length not reported", headers: hs("Content-Type", "application/json", "X-Content-Type-Options", "nosniff")},
		{name: "204 not reported", status: 204, headers: hs("Content-Type", "application/json", "X-Content-Type-Options", "nosniff")},
		{name: "attribution 204 not reported", status: 204, headers: hs("Content-Type", "application/json", "X-Content-Type-Options", "nosniff", "Attribution-Reporting-Register-Source", "{}")},
		{name: "no type", body: `{"a":1}`},
		{name: "no type range middle", status: 206, headers: hs("Content-Range", "bytes 1-5/10"), body: "hello", orb: true, rule: "middle of the resource"},
		{name: "range start sniffed", status: 206, headers: hs("Content-Type", "text/plain", "Content-Range", "bytes 0-4/10"), body: "hello"},
		{name: "range middle video", status: 206, headers: hs("Content-Type", "video/mp4", "Content-Range", "bytes 1-5/10"), body: "hello"},
		{name: "range invalid", status: 206, headers: hs("Content-Range", "bytes 5-1/10"), body: "hello"},
		{name: "HEAD nosniff without length", method: "HEAD", headers: hs("Content-Type", "application/json", "X-Content-Type-Options", "nosniff"), orb: true},
		{name: "sniffs 1024 bytes", headers: hs("Content-Type", "text/plain"), body: strings.Repeat(" ", 1030) + `{"a":1}`},
		{name: "sniffs within 1024 bytes", headers: hs("Content-Type", "text/plain"), body: strings.Repeat(" ", 1000) + `{"a":1}`, orb: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			status := tc.status
			if status == 0 {
				status = 200
			}
			srv := &fixed{act: cassettes.Response{Status: status, Headers: tc.headers, Body: cassettes.Body(tc.body)}}
			method := tc.method
			if method == "" {
				method = "GET"
			}
			res := predict.Predict(one(checks.Request{URL: api, Method: method, Mode: checks.ModeNoCORS}), srv)
			st := res.Steps[0]
			want := checks.Verdict{Allowed: true, Opaque: true, ReadableHeaders: []string{}, ORB: tc.orb}
			assert.Equal(t, want, st.Verdict, "rule: %s", st.Rule)
			if tc.orb {
				assert.Contains(t, st.Rule, "Opaque Response Blocking")
				assert.Contains(t, st.Rule, tc.rule)
			}
		})
	}
}

// TestOpaqueResponseBlockingSameOrigin: ORB leaves the page's own origin
// alone (orb_impl.cc Init: a same-origin request is allowed).
func TestOpaqueResponseBlockingSameOrigin(t *testing.T) {
	t.Parallel()
	srv := &fixed{act: cassettes.Response{Status: 200, Headers: hs("Content-Type", "application/json"), Body: cassettes.Body(`{"a":1}`)}}
	res := predict.Predict(one(checks.Request{URL: page + "/items", Mode: checks.ModeNoCORS}), srv)
	assert.False(t, res.Steps[0].Verdict.ORB)
	assert.Empty(t, res.Steps[0].Rule)
}
