package checks_test

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/corsvcr/corsvcr/checks"
)

const exampleFile = `version: 1
page: http://localhost:8080          # default page origin
checks:
  - name: vue-posts-json
    page: http://localhost:8080      # optional per-check override
    request:
      url: http://localhost:8000/api/v1/stats
      method: POST                   # default GET
      headers: {Content-Type: application/json}
      body: '{"category":"CI_JOB","value":10}'
      credentials: include           # omit | same-origin (default) | include
      mode: cors                     # cors (default) | no-cors | same-origin
      api: fetch                     # fetch (default) | xhr
    expect:                          # every field optional; only given fields are asserted
      allowed: true
      cors_error: ""                 # e.g. WildcardOriginNotAllowed
      failed_parameter: ""
      preflight: true
      status: 200
      readable_headers: [X-Total-Count]
  - name: defaults
    request:
      url: https://api.example.com/items
      headers:
        X-B: "2"
        X-A: "1"
        Accept: application/json
`

func TestParseChecksExample(t *testing.T) {
	f, err := checks.Parse("checks.yaml", []byte(exampleFile))
	require.NoError(t, err)
	assert.Equal(t, 1, f.Version)
	assert.Equal(t, "http://localhost:8080", f.Page)
	require.Len(t, f.Checks, 2)
	assert.Equal(t, checks.Check{
		Name: "vue-posts-json",
		Page: "http://localhost:8080",
		Steps: []checks.Step{{
			Request: checks.Request{
				URL: "http://localhost:8000/api/v1/stats", Method: "POST",
				Headers:     []checks.Header{{Name: "Content-Type", Value: "application/json"}},
				Body:        `{"category":"CI_JOB","value":10}`,
				Credentials: "include", Mode: "cors", API: "fetch", Cache: "default", Redirect: "follow",
			},
			Expect: checks.Expect{
				Allowed: ptr(true), CorsError: ptr(""), FailedParameter: ptr(""), Preflight: ptr(true),
				Status: ptr(200), ReadableHeaders: []string{"X-Total-Count"},
			},
		}},
	}, f.Checks[0])
	assert.Equal(t, checks.Check{
		Name: "defaults",
		Page: "http://localhost:8080",
		Steps: []checks.Step{{
			Request: checks.Request{
				URL: "https://api.example.com/items", Method: "GET",
				// The file's order, not sorted.
				Headers:     []checks.Header{{Name: "X-B", Value: "2"}, {Name: "X-A", Value: "1"}, {Name: "Accept", Value: "application/json"}},
				Credentials: "same-origin", Mode: "cors", API: "fetch", Cache: "default", Redirect: "follow",
			},
		}},
	}, f.Checks[1])
	assert.Equal(t, []string{"api.example.com:443", "localhost:8000"}, f.Hosts())
}

func TestParseChecksErrors(t *testing.T) {
	const head = "version: 1\npage: http://localhost:8080\nchecks:\n"
	tests := []struct {
		name, file string
		want       []string // each a full error line
	}{
		{
			name: "credentials typo",
			file: head + "  - name: a\n    request: {url: http://localhost:8000/}\n  - name: vue-posts-json\n    request:\n      url: http://localhost:8000/x\n      credentials: includ\n",
			want: []string{`checks: "checks.yaml": check 2 "vue-posts-json" (line 9): request.credentials: "includ" is not one of omit, same-origin, include`},
		},
		{
			name: "version",
			file: "version: 2\npage: http://localhost:8080\nchecks:\n  - name: a\n    request: {url: http://localhost:8000/}\n",
			want: []string{`checks: "checks.yaml": (line 1): version: got 2, want 1`},
		},
		{
			name: "missing version",
			file: "checks:\n  - name: a\n    page: http://localhost:8080\n    request: {url: http://localhost:8000/}\n",
			want: []string{`checks: "checks.yaml": version: missing (want 1)`},
		},
		{
			name: "unknown keys",
			file: "version: 1\npage: http://localhost:8080\nchecks:\n  - name: a\n    request: {url: http://localhost:8000/, methd: PUT}\n    expect: {alowed: true}\nextra: 1\n",
			want: []string{
				`checks: "checks.yaml": (line 7): extra: unknown key (want one of version, page, checks)`,
				`checks: "checks.yaml": check 1 "a" (line 5): request.methd: unknown key (want one of url, method, headers, body, credentials, mode, api, cache, redirect)`,
				`checks: "checks.yaml": check 1 "a" (line 6): expect.alowed: unknown key (want one of allowed, cors_error, failed_parameter, preflight, preflights, status, readable_headers, unreadable_headers)`,
			},
		},
		{
			name: "misspelled cors_error",
			file: "version: 1\npage: http://localhost:8080\nchecks:\n  - name: a\n    request: {url: http://localhost:8000/}\n    expect: {cors_error: WildcardOriginNotAlowed}\n",
			want: []string{
				`checks: "checks.yaml": check 1 "a" (line 6): expect.cors_error: "WildcardOriginNotAlowed" is not a CorsError Chrome reports (did you mean "WildcardOriginNotAllowed"?)`,
			},
		},
		{
			name: "page with path",
			file: "version: 1\npage: http://localhost:8080/app\nchecks:\n  - name: a\n    page: localhost:8080\n    request: {url: http://localhost:8000/}\n",
			want: []string{
				`checks: "checks.yaml": (line 2): page: "http://localhost:8080/app" is not an origin: it has a path, query or fragment (write "http://localhost:8080")`,
				`checks: "checks.yaml": check 1 "a" (line 5): page: "localhost:8080" is not an http or https origin (scheme://host[:port])`,
			},
		},
		{
			name: "page not serialised",
			file: "version: 1\npage: http://localhost:8080\nchecks:\n  - name: a\n    page: HTTP://Localhost:80\n    request: {url: http://localhost:8000/}\n  - name: b\n    page: 'https://app.example:443'\n    request: {url: http://localhost:8000/}\n",
			want: []string{
				`checks: "checks.yaml": check 1 "a" (line 5): page: "HTTP://Localhost:80" is not an origin as browsers send it: scheme and host are lower-case (write "http://localhost")`,
				`checks: "checks.yaml": check 2 "b" (line 8): page: "https://app.example:443" is not an origin as browsers send it: leave out the default port (write "https://app.example")`,
			},
		},
		{
			name: "no page anywhere",
			file: "version: 1\nchecks:\n  - name: a\n    request: {url: http://localhost:8000/}\n",
			want: []string{`checks: "checks.yaml": check 1 "a" (line 3): page: missing, and the file has no top-level page`},
		},
		{
			name: "names",
			file: head + "  - name: a\n    request: {url: http://localhost:8000/}\n  - name: a\n    request: {url: http://localhost:8000/}\n  - name: ''\n    request: {url: http://localhost:8000/}\n  - request: {url: http://localhost:8000/}\n",
			want: []string{
				`checks: "checks.yaml": check 2 "a" (line 6): name: duplicate name (first used at line 4)`,
				`checks: "checks.yaml": check 3 (line 8): name: empty`,
				`checks: "checks.yaml": check 4 (line 10): name: missing`,
			},
		},
		{
			name: "url",
			file: head + "  - name: a\n    request: {url: /api}\n  - name: b\n    request: {url: 'ftp://x/', api: xhr}\n  - name: c\n    request: {}\n" +
				"  - name: d\n    request: {url: 'ftp://x/', mode: no-cors}\n  - name: e\n    request: {url: 'ftp://x/'}\n",
			want: []string{
				`checks: "checks.yaml": check 1 "a" (line 5): request.url: "/api": want an absolute http or https URL`,
				`checks: "checks.yaml": check 2 "b" (line 7): request.url: "ftp://x/": want an absolute http or https URL (scheme "ftp" only with api fetch and mode cors)`,
				`checks: "checks.yaml": check 3 "c" (line 9): request.url: missing`,
				`checks: "checks.yaml": check 4 "d" (line 11): request.url: "ftp://x/": want an absolute http or https URL (scheme "ftp" only with api fetch and mode cors)`,
				// e: fetch() in mode cors, the CorsDisabledScheme case, parses.
			},
		},
		{
			name: "url without scheme (issue 13), and other URLs Chrome reads otherwise",
			file: head + "  - name: items\n    request:\n      url: localhost:8080/api/items\n  - name: two\n    steps:\n" +
				"      - request: {url: http://localhost:8000/}\n      - request: {url: 'http://localhost:8000/a b'}\n",
			want: []string{
				`checks: "checks.yaml": check 1 "items" (line 6): request.url: "localhost:8080/api/items": no scheme: want an absolute http or https URL (write "http://localhost:8080/api/items")`,
				`checks: "checks.yaml": check 2 "two" (line 10): step 2: request.url: "http://localhost:8000/a b": has a space at byte 23 (Chrome would strip or escape it: percent-encode it, e.g. %20)`,
			},
		},
		{
			name: "header expectations",
			file: head + "  - name: a\n    request: {url: http://localhost:8000/}\n    expect:\n      readable_headers: [X-A]\n" +
				"      unreadable_headers: [x-b, 'bad name', x-a, '*']\n  - name: b\n    request: {url: http://localhost:8000/}\n    expect: {unreadable_headers: x}\n",
			want: []string{
				`checks: "checks.yaml": check 1 "a" (line 8): expect.unreadable_headers: "bad name" is not a valid header name (or "*": every header not in readable_headers)`,
				`checks: "checks.yaml": check 1 "a" (line 8): expect.unreadable_headers: "x-a" is in readable_headers too`,
				`checks: "checks.yaml": check 2 "b" (line 11): expect.unreadable_headers: want a list of header names, got "x"`,
			},
		},
		{
			name: "xhr no-cors, bad types",
			file: head + "  - name: a\n    request: {url: http://localhost:8000/, api: xhr, mode: no-cors, body: x}\n    expect: {allowed: yes, status: '200', preflight: 1, readable_headers: X-A}\n",
			want: []string{
				`checks: "checks.yaml": check 1 "a" (line 5): request.body: a GET request cannot have a body`,
				`checks: "checks.yaml": check 1 "a" (line 5): request.mode: "no-cors" is not possible with api xhr (XMLHttpRequest always uses cors)`,
				`checks: "checks.yaml": check 1 "a" (line 6): expect.allowed: want true or false, got "yes"`,
				`checks: "checks.yaml": check 1 "a" (line 6): expect.preflight: want true or false, got "1"`,
				`checks: "checks.yaml": check 1 "a" (line 6): expect.status: want an integer, got "200"`,
				`checks: "checks.yaml": check 1 "a" (line 6): expect.readable_headers: want a list of header names, got "X-A"`,
			},
		},
		{
			name: "headers",
			file: head + "  - name: a\n    request:\n      url: http://localhost:8000/\n      headers: {Bad Name: x, X-A: 1, x-a: 2}\n",
			want: []string{
				`checks: "checks.yaml": check 1 "a" (line 7): request.headers.Bad Name: "Bad Name" is not a valid header name`,
				`checks: "checks.yaml": check 1 "a" (line 7): request.headers.x-a: duplicate header`,
			},
		},
		{
			name: "no checks",
			file: "version: 1\npage: http://localhost:8080\nchecks: []\n",
			want: []string{`checks: "checks.yaml": (line 3): checks: empty list`},
		},
		{
			name: "second document",
			file: "version: 1\npage: http://localhost:8080\nchecks:\n  - name: a\n    request: {url: \"http://localhost:8000/a\"}\n---\nversion: 1\n",
			want: []string{`checks: "checks.yaml": (line 6): more than one YAML document`},
		},
		{
			name: "second document not yaml",
			file: "version: 1\npage: http://localhost:8080\nchecks:\n  - name: a\n    request: {url: \"http://localhost:8000/a\"}\n---\nversion: [1\n",
			want: []string{`checks: "checks.yaml": yaml: line 6: did not find expected ',' or ']'`},
		},
		{
			name: "not yaml",
			file: "version: [1\n",
			want: []string{`checks: "checks.yaml": yaml: line 1: did not find expected ',' or ']'`},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, err := checks.Parse("checks.yaml", []byte(tc.file))
			require.Error(t, err)
			assert.Nil(t, f)
			assert.Equal(t, tc.want, strings.Split(err.Error(), "\n"))
		})
	}
}

func TestLoadChecks(t *testing.T) {
	path := filepath.Join(t.TempDir(), "checks.yaml")
	require.NoError(t, os.WriteFile(path, []byte(exampleFile), 0o600))
	f, err := checks.Load(path)
	require.NoError(t, err)
	assert.Len(t, f.Checks, 2)

	missing := filepath.Join(t.TempDir(), "missing.yaml")
	_, err = checks.Load(missing)
	assert.ErrorIs(t, err, fs.ErrNotExist)
	assert.EqualError(t, err, fmt.Sprintf("checks: load %q: no such file or directory", missing))
}

func TestMismatches(t *testing.T) {
	v := checks.Verdict{Allowed: false, CorsError: "WildcardOriginNotAllowed", Status: 0,
		ReadableHeaders: []string{"content-type", "x-total-count"}}
	assert.Empty(t, checks.Expect{}.Mismatches(v), "nothing asserted")
	assert.Empty(t, checks.Expect{ReadableHeaders: []string{"X-Total-Count", "Content-Type"}}.Mismatches(v))
	assert.Empty(t, checks.Expect{ReadableHeaders: []string{"X-Total-Count"}}.Mismatches(v),
		"readable_headers: at least these (content-type is always readable too)")
	assert.Empty(t, checks.Expect{UnreadableHeaders: []string{"X-Secret"}}.Mismatches(v))
	assert.Empty(t, checks.Expect{ReadableHeaders: []string{"content-type", "x-total-count"}, UnreadableHeaders: []string{"*"}}.Mismatches(v),
		"* with the exact set")
	got := checks.Expect{
		Allowed: ptr(true), CorsError: ptr(""), FailedParameter: ptr(""), Preflight: ptr(false), Status: ptr(200),
		ReadableHeaders: []string{"X-Total-Count", "X-Page"},
	}.Mismatches(v)
	assert.Equal(t, []checks.Mismatch{
		{Field: "allowed", Want: "true", Got: "false"},
		{Field: "cors_error", Want: `""`, Got: `"WildcardOriginNotAllowed"`},
		{Field: "status", Want: "200", Got: "0"},
		{Field: "readable_headers", Want: "at least [x-page x-total-count]", Got: "[content-type x-total-count]"},
	}, got)
	assert.Equal(t, []checks.Mismatch{{Field: "unreadable_headers", Want: "none of [x-secret x-total-count]", Got: "[content-type x-total-count]"}},
		checks.Expect{UnreadableHeaders: []string{"X-Total-Count", "X-Secret"}}.Mismatches(v))
	assert.Equal(t, []checks.Mismatch{{Field: "unreadable_headers", Want: "none but [content-type]", Got: "[content-type x-total-count]"}},
		checks.Expect{ReadableHeaders: []string{"Content-Type"}, UnreadableHeaders: []string{"*"}}.Mismatches(v),
		"* makes readable_headers exact")
	assert.Equal(t, []checks.Mismatch{{Field: "unreadable_headers", Want: "none but []", Got: "[content-type x-total-count]"}},
		checks.Expect{UnreadableHeaders: []string{"*"}}.Mismatches(v), "* alone: nothing readable")
	assert.Equal(t, `cors_error: want "", got "WildcardOriginNotAllowed"`, got[1].String())
}

func ptr[T any](v T) *T { return &v }

func TestSelect(t *testing.T) {
	t.Parallel()
	f := &checks.File{Version: 1, Page: "http://localhost:8080", Checks: []checks.Check{{Name: "login"}, {Name: "login-then-read"}, {Name: "Logout"}, {Name: "items"}}}
	names := func(f *checks.File) []string {
		var out []string
		for _, c := range f.Checks {
			out = append(out, c.Name)
		}
		return out
	}
	got, err := f.Select(regexp.MustCompile("log"))
	require.NoError(t, err)
	assert.Equal(t, []string{"login", "login-then-read"}, names(got), "unanchored, case-sensitive, file order")
	assert.Equal(t, "http://localhost:8080", got.Page)
	assert.Len(t, f.Checks, 4, "f is not modified")

	got, err = f.Select(regexp.MustCompile("^login$|^items$"))
	require.NoError(t, err)
	assert.Equal(t, []string{"login", "items"}, names(got))

	_, err = f.Select(regexp.MustCompile("^nope"))
	require.ErrorIs(t, err, checks.ErrNoMatch)
	assert.EqualError(t, err, `checks: select "^nope": no check name matches (of 4 checks)`)
}
