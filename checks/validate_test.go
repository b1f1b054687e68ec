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
