package checks_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/corsvcr/corsvcr/checks"
)

const visitFile = `version: 1
page: http://localhost:8080
checks:
  - name: home
    visit:
      url: http://localhost:5173/items?x=1
      idle: 750ms
      after_load: window.save()
    requests:
      - method: GET
        url: http://localhost:8000/items
        allowed: true
        cors_error: ""
        failed_parameter: ""
        preflights: 0
        status: 200
      - {method: PUT, url: http://localhost:8000/items/1, allowed: false, cors_error: MethodDisallowedByPreflightResponse, failed_parameter: PUT, preflights: 1, status: 0}
      - {url: http://localhost:9000/ping}
  - name: quiet
    visit: {url: "https://app.example.com"}
    requests: []
  - name: unasserted
    visit: {url: "http://localhost:5173/"}
`

func TestParseVisit(t *testing.T) {
	f, err := checks.Parse("checks.yaml", []byte(visitFile))
	require.NoError(t, err)
	require.Len(t, f.Checks, 3)
	home := f.Checks[0]
	assert.Equal(t, "http://localhost:5173", home.Page, "a page visit's page is its URL's origin, not the file's page")
	assert.Equal(t, &checks.Visit{URL: "http://localhost:5173/items?x=1", Idle: 750 * time.Millisecond, AfterLoad: "window.save()"}, home.Visit)
	assert.Empty(t, home.Steps)
	assert.Equal(t, []checks.PageRequest{
		{Method: "GET", URL: "http://localhost:8000/items", Expect: checks.Expect{Allowed: ptr(true), CorsError: ptr(""), FailedParameter: ptr(""), Preflights: ptr(0), Status: ptr(200)}},
		{Method: "PUT", URL: "http://localhost:8000/items/1", Expect: checks.Expect{Allowed: ptr(false), CorsError: ptr("MethodDisallowedByPreflightResponse"), FailedParameter: ptr("PUT"), Preflights: ptr(1), Status: ptr(0)}},
		{Method: "GET", URL: "http://localhost:9000/ping"},
	}, home.Requests)
	assert.Equal(t, "https://app.example.com", f.Checks[1].Page)
	assert.NotNil(t, f.Checks[1].Requests, "requests: [] asserts that the page makes none")
	assert.Empty(t, f.Checks[1].Requests)
	assert.Nil(t, f.Checks[2].Requests, "no requests: nothing asserted")
	assert.Nil(t, f.Hosts(), "a page visit records every host")

	// Encode writes it back to the same File.
	data, err := checks.Encode(f)
	require.NoError(t, err)
	again, err := checks.Parse("again.yaml", data)
	require.NoError(t, err, "%s", data)
	assert.Equal(t, f.Checks, again.Checks, "%s", data)
}

func TestParseVisitErrors(t *testing.T) {
	const head = "version: 1\nchecks:\n"
	tests := []struct {
		name, file string
		want       []string
	}{
		{
			name: "visit with steps and page",
			file: head + "  - name: a\n    page: http://localhost:8080\n    visit: {url: http://localhost:5173/}\n    request: {url: http://localhost:8000/}\n",
			want: []string{
				`checks: "checks.yaml": check 1 "a" (line 4): page: not allowed with visit (a page visit's page is its URL's origin; its expectations are its requests)`,
				`checks: "checks.yaml": check 1 "a" (line 6): request: not allowed with visit (a page visit's page is its URL's origin; its expectations are its requests)`,
			},
		},
		{
			name: "bad visit fields",
			file: head + "  - name: a\n    visit:\n      url: localhost:5173/\n      idle: soon\n      wait: 1s\n",
			want: []string{
				`checks: "checks.yaml": check 1 "a" (line 6): visit.idle: "soon" is not a duration such as 500ms or 1.5s`,
				`checks: "checks.yaml": check 1 "a" (line 7): visit.wait: unknown key (want one of url, idle, after_load)`,
				`checks: "checks.yaml": check 1 "a" (line 5): visit.url: "localhost:5173/": no scheme: want an absolute http or https URL (write "http://localhost:5173/")`,
			},
		},
		{
			name: "idle out of range",
			file: head + "  - name: a\n    visit: {url: http://localhost:5173/, idle: 1m}\n",
			want: []string{`checks: "checks.yaml": check 1 "a" (line 4): visit.idle: "1m0s" is out of range (0s, 10s]`},
		},
		{
			name: "missing url",
			file: head + "  - name: a\n    visit: {idle: 1s}\n",
			want: []string{`checks: "checks.yaml": check 1 "a" (line 4): visit.url: missing`},
		},
		{
			name: "bad requests",
			file: head + "  - name: a\n    visit: {url: http://localhost:5173/}\n    requests:\n      - {method: 'GE T', url: /api, status: 42}\n      - {url: http://localhost:8000/, readable_headers: [x]}\n      - {url: http://localhost:8000/, cors_error: Nope, allowed: maybe}\n",
			want: []string{
				`checks: "checks.yaml": check 1 "a" (line 6): requests[1].method: "GE T" is not a valid HTTP method`,
				`checks: "checks.yaml": check 1 "a" (line 6): requests[1].url: "/api": want an absolute http or https URL`,
				`checks: "checks.yaml": check 1 "a" (line 6): requests[1].status: 42 is not an HTTP status (or 0 for blocked/opaque)`,
				`checks: "checks.yaml": check 1 "a" (line 7): requests[2].readable_headers: unknown key (want one of method, url, allowed, cors_error, failed_parameter, preflight, preflights, status)`,
				`checks: "checks.yaml": check 1 "a" (line 8): requests[3].allowed: want true or false, got "maybe"`,
				`checks: "checks.yaml": check 1 "a" (line 8): requests[3].cors_error: "Nope" is not a CorsError Chrome reports (did you mean "`,
			},
		},
		{
			name: "requests without visit",
			file: head + "  - name: a\n    page: http://localhost:8080\n    request: {url: http://localhost:8000/}\n    requests: []\n",
			want: []string{`checks: "checks.yaml": check 1 "a" (line 6): requests: only with visit (a page visit's expected requests)`},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := checks.Parse("checks.yaml", []byte(tc.file))
			require.Error(t, err)
			lines := strings.Split(err.Error(), "\n")
			require.Len(t, lines, len(tc.want), err.Error())
			for _, w := range tc.want {
				found := false
				for _, l := range lines {
					if l == w || strings.HasSuffix(w, `"`) && strings.HasPrefix(l, w) {
						found = true
					}
				}
				assert.True(t, found, "want %s\nin\n%s", w, err)
			}
		})
	}
}

func TestVisitValidateInGo(t *testing.T) {
	ok := checks.Check{Name: "v", Visit: &checks.Visit{URL: "http://localhost:5173/"}}
	require.NoError(t, ok.Validate())
	withPage := ok
	withPage.Page = "http://localhost:5173"
	require.NoError(t, withPage.Validate(), "the URL's own origin")
	withPage.Page = "http://localhost:8080"
	assert.ErrorContains(t, withPage.Validate(), `page: "http://localhost:8080" is not the origin of visit.url`)
	both := ok
	both.Steps = []checks.Step{{Request: checks.Request{URL: "http://localhost:8000/"}}}
	assert.ErrorContains(t, both.Validate(), "steps: not allowed with visit")
	neg := checks.Check{Name: "v", Visit: &checks.Visit{URL: "http://localhost:5173/", Idle: -time.Second}}
	assert.ErrorContains(t, neg.Validate(), `visit.idle: "-1s" is negative`)
	ftp := checks.Check{Name: "v", Visit: &checks.Visit{URL: "ftp://localhost/"}}
	assert.ErrorContains(t, ftp.Validate(), "visit.url")
	assert.Equal(t, "http://localhost:5173", ok.Visit.Origin())
}

func v(method, url string, allowed bool, status int) checks.Verdict {
	return checks.Verdict{Method: method, URL: url, Allowed: allowed, Status: status}
}

func TestVisitMismatches(t *testing.T) {
	const a, b = "http://localhost:8000/a", "http://localhost:8000/b"
	made := checks.Verdicts{v("GET", a, true, 200), v("POST", a, true, 201), v("GET", b, false, 0), v("GET", a, true, 500)}
	visit := func(reqs ...checks.PageRequest) checks.Check {
		return checks.Check{Name: "p", Visit: &checks.Visit{URL: "http://localhost:5173/"}, Requests: reqs}
	}
	exact := checks.ExpectVerdicts(made)
	tests := []struct {
		name string
		c    checks.Check
		want []checks.Mismatch
	}{
		{name: "exact", c: visit(exact...)},
		{name: "nil requests assert nothing", c: checks.Check{Name: "p", Visit: &checks.Visit{URL: "http://localhost:5173/"}}},
		{
			// Matched by method, URL and order: the second GET a is the
			// second expected GET a, wherever the others are listed.
			name: "other order across keys",
			c:    visit(exact[2], exact[0], exact[3], exact[1]),
		},
		{
			name: "same key in another order",
			c:    visit(exact[3], exact[1], exact[2], exact[0]),
			want: []checks.Mismatch{
				{Step: 1, Field: "status", Want: "500", Got: "200"},
				{Step: 4, Field: "status", Want: "200", Got: "500"},
			},
		},
		{
			name: "unlisted and never made",
			c:    visit(exact[0], exact[1], exact[2], checks.PageRequest{Method: "DELETE", URL: a}),
			want: []checks.Mismatch{
				{Step: 4, Field: "request", Want: "none (the check does not list this request)", Got: "GET " + a},
				{Field: "request", Want: "DELETE " + a + " (requests entry 4)", Got: "never made"},
			},
		},
		{
			name: "empty list: no request expected",
			c:    visit([]checks.PageRequest{}...),
			want: []checks.Mismatch{
				{Step: 1, Field: "request", Want: "none (the check does not list this request)", Got: "GET " + a},
				{Step: 2, Field: "request", Want: "none (the check does not list this request)", Got: "POST " + a},
				{Step: 3, Field: "request", Want: "none (the check does not list this request)", Got: "GET " + b},
				{Step: 4, Field: "request", Want: "none (the check does not list this request)", Got: "GET " + a},
			},
		},
		{
			name: "default method is GET",
			c:    visit(checks.PageRequest{URL: b, Expect: checks.Expect{Allowed: ptr(true)}}),
			want: []checks.Mismatch{
				{Step: 1, Field: "request", Want: "none (the check does not list this request)", Got: "GET " + a},
				{Step: 2, Field: "request", Want: "none (the check does not list this request)", Got: "POST " + a},
				{Step: 3, Field: "allowed", Want: "true", Got: "false"},
				{Step: 4, Field: "request", Want: "none (the check does not list this request)", Got: "GET " + a},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, tc.c.Mismatches(made))
		})
	}
}

// The README's page-visit example is a valid check file.
func TestREADMEPageVisit(t *testing.T) {
	data, err := os.ReadFile("../README.md")
	require.NoError(t, err)
	_, section, ok := strings.Cut(string(data), "### Page visits\n")
	require.True(t, ok, "README has a page-visits section")
	_, section, ok = strings.Cut(section, "```yaml\n")
	require.True(t, ok)
	yml, _, ok := strings.Cut(section, "```")
	require.True(t, ok)
	f, err := checks.Parse("README.md", []byte(yml))
	require.NoError(t, err)
	require.Len(t, f.Checks, 1)
	c := f.Checks[0]
	assert.Equal(t, "window.save()", c.Visit.AfterLoad)
	require.Len(t, c.Requests, 2)
	assert.Equal(t, "PUT", c.Requests[1].Method)
	assert.Equal(t, "x-client-version", *c.Requests[1].Expect.FailedParameter)
}

// A check file redacted with its cassette has placeholders for secret query
// values: they match any value, as the replay matches them.
func TestVisitMismatchesRedacted(t *testing.T) {
	made := checks.Verdicts{
		v("GET", "http://localhost:8000/a?token=s3cr3t&page=2", true, 200),
		v("GET", "http://localhost:8000/a?token=other&page=3", true, 200),
	}
	c := checks.Check{Name: "p", Visit: &checks.Visit{URL: "http://localhost:5173/"}, Requests: []checks.PageRequest{
		{Method: "GET", URL: "http://localhost:8000/a?token=corsvcr-redacted-1&page=2"},
		{Method: "GET", URL: "http://localhost:8000/a?token=corsvcr-redacted-2&page=3"},
	}}
	assert.Empty(t, c.Mismatches(made))
	c.Requests[1].URL = "http://localhost:8000/a?token=corsvcr-redacted-2&page=4"
	assert.Equal(t, []checks.Mismatch{
		{Step: 2, Field: "request", Want: "none (the check does not list this request)", Got: "GET http://localhost:8000/a?token=other&page=3"},
		{Field: "request", Want: "GET http://localhost:8000/a?token=corsvcr-redacted-2&page=4 (requests entry 2)", Got: "never made"},
	}, c.Mismatches(made), "only the placeholder's value is free")
	c.Requests[1].URL = "http://localhost:8000/a?token=corsvcr-redacted-x&page=3"
	assert.Len(t, c.Mismatches(made), 2, "not a placeholder")
}

func TestVisitRequestsNotMade(t *testing.T) {
	c := checks.Check{Name: "p", Visit: &checks.Visit{URL: "http://localhost:5173/"}, Requests: []checks.PageRequest{
		{Method: "GET", URL: "http://localhost:8000/a"},
		{Method: "GET", URL: "http://localhost:8000/a"},
		{Method: "PUT", URL: "http://localhost:8000/b?token=corsvcr-redacted-1"},
	}}
	a := checks.Verdict{Method: "GET", URL: "http://localhost:8000/a"}
	assert.Equal(t, c.Requests, c.RequestsNotMade(nil))
	assert.Equal(t, c.Requests[1:], c.RequestsNotMade(checks.Verdicts{a, {Method: "GET", URL: "http://localhost:8000/b"}}))
	assert.Equal(t, c.Requests[2:], c.RequestsNotMade(checks.Verdicts{a, a}))
	assert.Empty(t, c.RequestsNotMade(checks.Verdicts{a, {Method: "PUT", URL: "http://localhost:8000/b?token=xyz"}, a}))
	assert.Empty(t, checks.Check{Visit: c.Visit}.RequestsNotMade(checks.Verdicts{a}), "no list: nothing to wait for")
}

// A request URL or method written otherwise than Chrome reports it would
// never match a request the page made: an error that gives the form to
// write.
func TestVisitRequestSpelling(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.yaml")
	require.NoError(t, os.WriteFile(path, []byte(`version: 1
checks:
  - name: p
    visit: {url: "http://localhost:5173/"}
    requests:
      - {method: get, url: "HTTP://LocalHost:80/a/./b/../c?Q=1#frag"}
      - {method: patch, url: "https://localhost:443"}
      - {method: GET, url: "http://localhost:8000/x%2Fy/?a=1&b=%20"}
`), 0o644))
	_, err := checks.Load(path)
	require.Error(t, err)
	for _, want := range []string{
		`(line 6): requests[1].url: "HTTP://LocalHost:80/a/./b/../c?Q=1#frag" is not written as Chrome resolves it (write "http://localhost/a/c?Q=1")`,
		`(line 6): requests[1].method: "get": fetch and XHR send it as "GET" (write "GET")`,
		`(line 7): requests[2].url: "https://localhost:443" is not written as Chrome resolves it (write "https://localhost/")`,
	} {
		assert.Contains(t, err.Error(), want)
	}
	assert.NotContains(t, err.Error(), "requests[2].method", `"patch" goes out as written`)
	assert.NotContains(t, err.Error(), "requests[3]", "kept as written")
}
