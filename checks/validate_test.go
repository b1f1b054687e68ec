package checks_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/corsvcr/corsvcr/checks"
)

func TestRequestWithDefaults(t *testing.T) {
	t.Parallel()
	assert.Equal(t, checks.Request{
		URL: "http://localhost:8000/", Method: "GET",
		Credentials: checks.CredentialsSameOrigin, Mode: checks.ModeCORS, API: checks.APIFetch,
		Cache: checks.CacheDefault, Redirect: checks.RedirectFollow,
	}, checks.Request{URL: "http://localhost:8000/"}.WithDefaults())

	set := checks.Request{Method: "PUT", Credentials: checks.CredentialsInclude, Mode: checks.ModeNoCORS,
		API: checks.APIXHR, Cache: checks.CacheNoStore, Redirect: checks.RedirectManual}
	assert.Equal(t, set, set.WithDefaults(), "set fields are kept")
	odd := checks.Request{Mode: "bogus"}
	assert.Equal(t, checks.Mode("bogus"), odd.WithDefaults().Mode, "an invalid value stays, for Validate")
}

func TestCheckValidate(t *testing.T) {
	t.Parallel()
	ok := checks.Check{Name: "ok", Page: "http://localhost:8080", Steps: []checks.Step{{
		Request: checks.Request{URL: "http://localhost:8000/api"},
	}}}
	require.NoError(t, ok.Validate(), "the README's example, defaults left empty")

	tests := []struct {
		name  string
		check checks.Check
		want  []string
	}{
		{
			name:  "nothing",
			check: checks.Check{},
			want:  []string{`checks: page: missing`, `checks: steps: empty list`},
		},
		{
			name: "page not serialised, bad values",
			check: checks.Check{Name: "put", Page: "HTTP://Localhost:80", Steps: []checks.Step{{
				Request: checks.Request{URL: "http://localhost:8000/", Method: "P T", Mode: "cros",
					Headers: []checks.Header{{Name: "X-A", Value: "1"}, {Name: "x-a", Value: "2"}}},
			}}},
			want: []string{
				`checks: check "put": page: "HTTP://Localhost:80" is not an origin as browsers send it: scheme and host are lower-case (write "http://localhost")`,
				`checks: check "put": request.method: "P T" is not a valid HTTP method`,
				`checks: check "put": request.headers.x-a: duplicate header`,
				`checks: check "put": request.mode: "cros" is not one of cors, no-cors, same-origin`,
			},
		},
		{
			name: "steps",
			check: checks.Check{Name: "two", Page: "http://localhost:8080", Steps: []checks.Step{
				{Wait: -1, Request: checks.Request{URL: "http://localhost:8000/", API: checks.APIXHR, Credentials: checks.CredentialsOmit}},
				{Wait: time.Minute, Request: checks.Request{URL: "/relative", Body: "x"}, Expect: checks.Expect{Status: ptr(42)}},
			}},
			want: []string{
				`checks: check "two": step 1: wait: "-1ns" is negative`,
				`checks: check "two": step 1: request.credentials: "omit" is not possible with api xhr (withCredentials gives same-origin or include)`,
				`checks: check "two": step 2: request.url: "/relative": want an absolute http or https URL`,
				`checks: check "two": step 2: request.body: a GET request cannot have a body`,
				`checks: check "two": step 2: expect.status: 42 is not an HTTP status (or 0 for blocked/opaque)`,
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := tc.check.Validate()
			require.Error(t, err)
			assert.Equal(t, tc.want, strings.Split(err.Error(), "\n"))
			var fe *checks.FieldError
			assert.True(t, errors.As(err, &fe), "every problem is a *FieldError")
		})
	}
}

func TestFileValidate(t *testing.T) {
	t.Parallel()
	f := &checks.File{Page: "http://localhost:8080", Checks: []checks.Check{
		{Name: "a", Steps: []checks.Step{{Request: checks.Request{URL: "http://localhost:8000/"}}}},
		{Name: "a", Steps: []checks.Step{{Request: checks.Request{URL: "http://localhost:8000/"}}}},
	}}
	err := f.Validate()
	require.Error(t, err)
	assert.Equal(t, `checks: check 2 "a": name: duplicate name (first used by check 1)`, err.Error())

	f.Checks[1].Name = "b"
	assert.NoError(t, f.Validate(), "checks take the file's page")
	f.Checks[1].Steps = append(f.Checks[1].Steps, checks.Step{Wait: time.Minute, Request: checks.Request{URL: "http://localhost:8000/"}})
	assert.EqualError(t, f.Validate(), `checks: check 2 "b": step 2: wait: "1m0s" is out of range (0s, 10s]`, "a file bounds waits")

	parsed, err := checks.Parse("checks.yaml", []byte(exampleFile))
	require.NoError(t, err)
	assert.NoError(t, parsed.Validate(), "a parsed file is valid")
}

// TestRequestURL: a URL Chrome would read otherwise than the user obviously
// meant is a check error, for checks built in Go as for check files.
func TestRequestURL(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		url  string
		mode checks.Mode
		want string // "" for valid
	}{
		{name: "http", url: "http://localhost:8080/api/items"},
		{name: "https with port and query", url: "https://api.example.com:8443/x?a=1#f"},
		{name: "ipv6", url: "http://[::1]:8000/"},
		{name: "ftp in mode cors (CorsDisabledScheme)", url: "ftp://localhost:8000/file.txt"},
		{name: "no scheme", url: "localhost:8080/api/items",
			want: `request.url: "localhost:8080/api/items": no scheme: want an absolute http or https URL (write "http://localhost:8080/api/items")`},
		{name: "no scheme, port only", url: "localhost:8080",
			want: `request.url: "localhost:8080": no scheme: want an absolute http or https URL (write "http://localhost:8080")`},
		{name: "no scheme, host alone", url: "localhost/api",
			want: `request.url: "localhost/api": want an absolute http or https URL`},
		{name: "relative", url: "/api/items", want: `request.url: "/api/items": want an absolute http or https URL`},
		{name: "scheme-relative", url: "//localhost:8000/api", want: `request.url: "//localhost:8000/api": want an absolute http or https URL`},
		{name: "one slash", url: "http:/localhost/x",
			want: `request.url: "http:/localhost/x": no host: want an absolute http or https URL such as http://localhost:8000/path`},
		{name: "no slashes", url: "http:localhost/x",
			want: `request.url: "http:localhost/x": no host: want an absolute http or https URL such as http://localhost:8000/path`},
		{name: "empty host", url: "http:///api",
			want: `request.url: "http:///api": no host: want an absolute http or https URL such as http://localhost:8000/path`},
		{name: "port without host", url: "http://:8000/api",
			want: `request.url: "http://:8000/api": no host: want an absolute http or https URL such as http://localhost:8000/path`},
		{name: "ftp without host", url: "ftp:/file.txt",
			want: `request.url: "ftp:/file.txt": no host: want an absolute http or https URL such as http://localhost:8000/path`},
		{name: "leading space", url: " http://localhost:8000/",
			want: `request.url: " http://localhost:8000/": has a space at byte 0 (Chrome would strip or escape it: percent-encode it, e.g. %20)`},
		{name: "space in path", url: "http://localhost:8000/a b",
			want: `request.url: "http://localhost:8000/a b": has a space at byte 23 (Chrome would strip or escape it: percent-encode it, e.g. %20)`},
		{name: "tab", url: "http://local\thost:8000/",
			want: `request.url: "http://local\thost:8000/": has the character '\t' at byte 12 (Chrome would strip or escape it: percent-encode it, e.g. %20)`},
		{name: "no-break space", url: "http://localhost:8000/\u00a0",
			want: `request.url: "http://localhost:8000/\u00a0": has the character '\u00a0' at byte 22 (Chrome would strip or escape it: percent-encode it, e.g. %20)`},
		{name: "ftp in mode no-cors", url: "ftp://localhost:8000/f", mode: checks.ModeNoCORS,
			want: `request.url: "ftp://localhost:8000/f": want an absolute http or https URL (scheme "ftp" only with api fetch and mode cors)`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := checks.Check{Name: "c", Page: "http://localhost:8080", Steps: []checks.Step{{
				Request: checks.Request{URL: tc.url, Mode: tc.mode},
			}}}
			err := c.Validate()
			if tc.want == "" {
				assert.NoError(t, err)
				return
			}
			assert.EqualError(t, err, `checks: check "c": `+tc.want)
		})
	}
}

// TestErrorsArePrintable: a header name or check name with a line break or
// an ANSI escape is quoted in messages, never printed raw.
func TestErrorsArePrintable(t *testing.T) {
	t.Parallel()
	c := checks.Check{Name: "a\n FAKE ok allowed 200", Page: "http://localhost:8080", Steps: []checks.Step{{
		Request: checks.Request{URL: "http://localhost:8000/", Headers: []checks.Header{{Name: "X-A\r\nX-Injected", Value: "1"}, {Name: "\x1b[2K", Value: "1"}}},
	}}}
	err := c.Validate()
	require.Error(t, err)
	assert.Equal(t, []string{
		`checks: check "a\n FAKE ok allowed 200": request.headers."X-A\r\nX-Injected": "X-A\r\nX-Injected" is not a valid header name`,
		`checks: check "a\n FAKE ok allowed 200": request.headers."\x1b[2K": "\x1b[2K" is not a valid header name`,
	}, strings.Split(err.Error(), "\n"))

	assert.Equal(t, "plain name, with spaces: é", checks.Printable("plain name, with spaces: é"))
	assert.Equal(t, `"tab\there"`, checks.Printable("tab\there"))
	assert.Equal(t, `"\x1b[31mred"`, checks.Printable("\x1b[31mred"))
	assert.Equal(t, `"bad \xff"`, checks.Printable("bad \xff"))
}
