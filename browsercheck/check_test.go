package browsercheck_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/corsvcr/corsvcr/checks"
)

func ptr[T any](v T) *T { return &v }

var jsonHeaders = []checks.Header{{Name: "Content-Type", Value: "application/json"}}

// checkCases are the CORS configurations of apiHandler, each with the verdict
// Chrome gives.
var checkCases = []struct {
	name    string
	req     checks.Request
	want    checks.Expect
	console string // substring of the console message; "" asserts none
	opaque  bool
	orb     bool
	jsError string
}{
	{
		name: "allowed simple GET",
		req:  checks.Request{URL: apiOrigin + "/simple"},
		want: checks.Expect{Allowed: ptr(true), CorsError: ptr(""), Preflight: ptr(false), Status: ptr(200),
			ReadableHeaders: []string{"content-length", "content-type"}, UnreadableHeaders: []string{checks.AllOtherHeaders}},
	},
	{
		name: "allowed JSON POST with preflight",
		req:  checks.Request{URL: apiOrigin + "/json", Method: "POST", Headers: jsonHeaders, Body: `{"a":1}`},
		want: checks.Expect{Allowed: ptr(true), CorsError: ptr(""), Preflight: ptr(true), Status: ptr(200)},
	},
	{
		name: "wildcard with credentials",
		req:  checks.Request{URL: apiOrigin + "/wildcard", Credentials: "include"},
		want: checks.Expect{Allowed: ptr(false), CorsError: ptr("WildcardOriginNotAllowed"),
			// Chrome 156 sends failedParameter "" here, in loadingFailed and
			// in the CorsIssue alike (not "*").
			FailedParameter: ptr(""),
			Preflight:       ptr(false), Status: ptr(0), ReadableHeaders: []string{}, UnreadableHeaders: []string{checks.AllOtherHeaders}},
		console: "The value of the 'Access-Control-Allow-Origin' header in the response must not be the wildcard '*' when the request's credentials mode is 'include'.",
		jsError: "TypeError: Failed to fetch",
	},
	{
		name:    "no ACAO",
		req:     checks.Request{URL: apiOrigin + "/none"},
		want:    checks.Expect{Allowed: ptr(false), CorsError: ptr("MissingAllowOriginHeader"), FailedParameter: ptr(""), Status: ptr(0)},
		console: "No 'Access-Control-Allow-Origin' header is present on the requested resource.",
		jsError: "TypeError: Failed to fetch",
	},
	{
		name:    "PUT not in Allow-Methods",
		req:     checks.Request{URL: apiOrigin + "/methods", Method: "PUT", Body: "x"},
		want:    checks.Expect{Allowed: ptr(false), CorsError: ptr("MethodDisallowedByPreflightResponse"), FailedParameter: ptr("PUT"), Preflight: ptr(true)},
		console: "Method PUT is not allowed by Access-Control-Allow-Methods in preflight response.",
	},
	{
		name: "custom header not allowed",
		req: checks.Request{URL: apiOrigin + "/headers", Method: "POST", Body: "{}",
			Headers: []checks.Header{{Name: "Content-Type", Value: "application/json"}, {Name: "X-Custom", Value: "1"}}},
		want:    checks.Expect{Allowed: ptr(false), CorsError: ptr("HeaderDisallowedByPreflightResponse"), FailedParameter: ptr("x-custom"), Preflight: ptr(true)},
		console: "Request header field x-custom is not allowed by Access-Control-Allow-Headers in preflight response.",
	},
	{
		name:    "ACAO mismatch",
		req:     checks.Request{URL: apiOrigin + "/mismatch"},
		want:    checks.Expect{Allowed: ptr(false), CorsError: ptr("AllowOriginMismatch"), FailedParameter: ptr("http://evil.example")},
		console: "The 'Access-Control-Allow-Origin' header has a value 'http://evil.example' that is not equal to the supplied origin.",
	},
	{
		name:    "credentials without ACAC",
		req:     checks.Request{URL: apiOrigin + "/nocreds", Credentials: "include"},
		want:    checks.Expect{Allowed: ptr(false), CorsError: ptr("InvalidAllowCredentials"), FailedParameter: ptr("")},
		console: "The value of the 'Access-Control-Allow-Credentials' header in the response is '' which must be 'true' when the request's credentials mode is 'include'.",
	},
	{
		name: "credentials with ACAC",
		req:  checks.Request{URL: apiOrigin + "/creds", Credentials: "include"},
		want: checks.Expect{Allowed: ptr(true), CorsError: ptr(""), Status: ptr(200)},
	},
	{
		name: "expose headers",
		req:  checks.Request{URL: apiOrigin + "/expose"},
		want: checks.Expect{Allowed: ptr(true), Status: ptr(200),
			ReadableHeaders: []string{"Content-Length", "Content-Type", "X-Total-Count"}, UnreadableHeaders: []string{checks.AllOtherHeaders}},
	},
	{
		name: "xhr allowed",
		req:  checks.Request{URL: apiOrigin + "/expose", API: "xhr"},
		want: checks.Expect{Allowed: ptr(true), Status: ptr(200), Preflight: ptr(false),
			ReadableHeaders: []string{"content-length", "content-type", "x-total-count"}, UnreadableHeaders: []string{checks.AllOtherHeaders}},
	},
	{
		name: "xhr blocked",
		req:  checks.Request{URL: apiOrigin + "/wildcard", API: "xhr", Credentials: "include"},
		want: checks.Expect{Allowed: ptr(false), CorsError: ptr("WildcardOriginNotAllowed"),
			// Chrome 156 sends failedParameter "" here, in loadingFailed and
			// in the CorsIssue alike (not "*").
			FailedParameter: ptr(""), Status: ptr(0)},
		console: "Access to XMLHttpRequest at 'http://localhost:8000/wildcard' from origin 'http://localhost:8080' has been blocked by CORS policy",
		jsError: "XMLHttpRequest: error event",
	},
	{
		name:   "no-cors opaque",
		req:    checks.Request{URL: apiOrigin + "/none", Mode: "no-cors"},
		want:   checks.Expect{Allowed: ptr(true), CorsError: ptr(""), Status: ptr(0), Preflight: ptr(false), ReadableHeaders: []string{}, UnreadableHeaders: []string{checks.AllOtherHeaders}},
		opaque: true,
	},
	{
		name:   "no-cors JSON is ORB",
		req:    checks.Request{URL: apiOrigin + "/none-json", Mode: "no-cors"},
		want:   checks.Expect{Allowed: ptr(true), CorsError: ptr(""), Status: ptr(0)},
		opaque: true,
		orb:    true,
	},
	{
		name:    "no-cors PUT",
		req:     checks.Request{URL: apiOrigin + "/none", Mode: "no-cors", Method: "PUT"},
		want:    checks.Expect{Allowed: ptr(false), CorsError: ptr(""), Preflight: ptr(false), Status: ptr(0)},
		jsError: "TypeError: Failed to execute 'fetch' on 'Window': 'PUT' is unsupported in no-cors mode.",
	},
	{
		name:    "same-origin mode to another origin",
		req:     checks.Request{URL: apiOrigin + "/simple", Mode: "same-origin"},
		want:    checks.Expect{Allowed: ptr(false), CorsError: ptr("DisallowedByMode"), Preflight: ptr(false)},
		console: "Fetch API cannot load http://localhost:8000/simple.",
	},
}

func TestCheck(t *testing.T) {
	b := needChrome(t)
	for _, tc := range checkCases {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			c := checks.Check{Name: tc.name, Page: pageOrigin, Steps: []checks.Step{{Request: tc.req}}}
			v, err := only(b.Check(ctx, c))
			require.NoError(t, err)
			t.Logf("verdict: %+v", v)
			assert.Empty(t, tc.want.Mismatches(v))
			if tc.console == "" {
				assert.Empty(t, v.Console, "console")
			} else {
				assert.Contains(t, v.Console, tc.console)
			}
			if v.CorsError != "" && v.CorsError != "DisallowedByMode" {
				assert.True(t, strings.HasPrefix(v.Console, "Access to "), "console %q", v.Console)
				assert.Contains(t, v.Console, "from origin '"+pageOrigin+"' has been blocked by CORS policy")
			}
			assert.Equal(t, tc.opaque, v.Opaque, "opaque")
			assert.Equal(t, tc.orb, v.ORB, "orb")
			if tc.jsError != "" {
				assert.Equal(t, tc.jsError, v.JSError)
			}
			assert.NotNil(t, v.ReadableHeaders)
		})
	}
}

var _ = time.Second
