package checks_test

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/corsvcr/corsvcr/checks"
)

const stepsFile = `version: 1
page: http://localhost:8080
checks:
  - name: login-then-read
    steps:
      - request: {url: http://localhost:8000/login, method: POST, credentials: include}
        expect: {allowed: true, preflights: 0}
      - request: {url: http://localhost:8001/me, credentials: include, cache: no-store}
        expect: {allowed: false, cors_error: InvalidAllowCredentials}
      - wait: 1200ms
        request: {url: http://localhost:8000/me}
  - name: one
    request: {url: http://localhost:8002/x, cache: reload, redirect: error}
    expect: {preflight: true, preflights: 2}
`

func TestParseSteps(t *testing.T) {
	f, err := checks.Parse("checks.yaml", []byte(stepsFile))
	require.NoError(t, err)
	require.Len(t, f.Checks, 2)
	def := func(r checks.Request) checks.Request {
		r.Method = cmp(r.Method, "GET")
		r.Credentials = cmp(r.Credentials, checks.CredentialsSameOrigin)
		r.Mode, r.API = "cors", "fetch"
		r.Cache = cmp(r.Cache, checks.CacheDefault)
		r.Redirect = cmp(r.Redirect, checks.RedirectFollow)
		return r
	}
	assert.Equal(t, checks.Check{
		Name: "login-then-read",
		Page: "http://localhost:8080",
		Steps: []checks.Step{
			{
				Request: def(checks.Request{URL: "http://localhost:8000/login", Method: "POST", Credentials: "include"}),
				Expect:  checks.Expect{Allowed: ptr(true), Preflights: ptr(0)},
			},
			{
				Request: def(checks.Request{URL: "http://localhost:8001/me", Credentials: "include", Cache: "no-store"}),
				Expect:  checks.Expect{Allowed: ptr(false), CorsError: ptr("InvalidAllowCredentials")},
			},
			{Wait: 1200 * time.Millisecond, Request: def(checks.Request{URL: "http://localhost:8000/me"})},
		},
	}, f.Checks[0])
	assert.Equal(t, []checks.Step{{
		Request: def(checks.Request{URL: "http://localhost:8002/x", Cache: "reload", Redirect: "error"}),
		Expect:  checks.Expect{Preflight: ptr(true), Preflights: ptr(2)},
	}}, f.Checks[1].Steps)
	assert.Equal(t, []string{"localhost:8000", "localhost:8001", "localhost:8002"}, f.Hosts(), "hosts of every step")
}

func cmp[T ~string](s, def T) T {
	if s == "" {
		return def
	}
	return s
}

func TestParseStepsErrors(t *testing.T) {
	const head = "version: 1\npage: http://localhost:8080\nchecks:\n"
	tests := []struct {
		name, file string
		want       []string
	}{
		{
			name: "steps and request",
			file: head + "  - name: a\n    request: {url: http://localhost:8000/}\n    expect: {allowed: true}\n    steps:\n      - request: {url: http://localhost:8000/}\n",
			want: []string{
				`checks: "checks.yaml": check 1 "a" (line 5): request: not allowed with steps (put it in a step)`,
				`checks: "checks.yaml": check 1 "a" (line 6): expect: not allowed with steps (put it in a step)`,
			},
		},
		{
			name: "empty and not a list",
			file: head + "  - name: a\n    steps: []\n  - name: b\n    steps: {request: {url: http://localhost:8000/}}\n",
			want: []string{
				`checks: "checks.yaml": check 1 "a" (line 5): steps: empty list`,
				`checks: "checks.yaml": check 2 "b" (line 7): steps: want a list, got a mapping`,
			},
		},
		{
			name: "step fields",
			file: head + "  - name: login\n    steps:\n      - request: {url: http://localhost:8000/, credentials: includ}\n      - expect: {preflights: -1}\n        sleep: 1s\n      - 3\n",
			want: []string{
				`checks: "checks.yaml": check 1 "login" (line 6): step 1: request.credentials: "includ" is not one of omit, same-origin, include`,
				`checks: "checks.yaml": check 1 "login" (line 8): step 2: sleep: unknown key (want one of wait, request, expect)`,
				`checks: "checks.yaml": check 1 "login" (line 7): step 2: request: missing`,
				`checks: "checks.yaml": check 1 "login" (line 7): step 2: expect.preflights: -1 is negative`,
				`checks: "checks.yaml": check 1 "login" (line 9): step 3: want a mapping, got "3"`,
			},
		},
		{
			name: "wait",
			file: head + "  - name: w\n    steps:\n      - {wait: 1s, request: {url: http://localhost:8000/}}\n      - {wait: 11s, request: {url: http://localhost:8000/}}\n      - {wait: 0s, request: {url: http://localhost:8000/}}\n      - {wait: soon, request: {url: http://localhost:8000/}}\n      - {wait: 5, request: {url: http://localhost:8000/}}\n",
			want: []string{
				`checks: "checks.yaml": check 1 "w" (line 6): step 1: wait: not allowed on the first step (a check starts from a fresh state: nothing to wait for)`,
				`checks: "checks.yaml": check 1 "w" (line 7): step 2: wait: "11s" is out of range (0s, 10s]`,
				`checks: "checks.yaml": check 1 "w" (line 8): step 3: wait: "0s" is out of range (0s, 10s]`,
				`checks: "checks.yaml": check 1 "w" (line 9): step 4: wait: "soon" is not a duration such as 1.5s or 1200ms`,
				`checks: "checks.yaml": check 1 "w" (line 10): step 5: wait: "5" is not a duration such as 1.5s or 1200ms`,
			},
		},
		{
			name: "cache",
			file: head + "  - name: c\n    request: {url: http://localhost:8000/, cache: nostore}\n  - name: x\n    request: {url: http://localhost:8000/, api: xhr, cache: no-store}\n  - name: o\n    request: {url: http://localhost:8000/, cache: only-if-cached}\n",
			want: []string{
				`checks: "checks.yaml": check 1 "c" (line 5): request.cache: "nostore" is not one of default, no-store, reload, no-cache, force-cache, only-if-cached`,
				`checks: "checks.yaml": check 2 "x" (line 7): request.cache: "no-store" is not possible with api xhr (XMLHttpRequest has no cache mode)`,
				`checks: "checks.yaml": check 3 "o" (line 9): request.cache: "only-if-cached" needs mode same-origin (fetch throws otherwise)`,
			},
		},
		{
			name: "redirect",
			file: head + "  - name: r\n    request: {url: http://localhost:8000/, redirect: manuel}\n  - name: x\n    request: {url: http://localhost:8000/, api: xhr, redirect: error}\n",
			want: []string{
				`checks: "checks.yaml": check 1 "r" (line 5): request.redirect: "manuel" is not one of follow, error, manual`,
				`checks: "checks.yaml": check 2 "x" (line 7): request.redirect: "error" is not possible with api xhr (XMLHttpRequest always follows redirects)`,
			},
		},
		{
			name: "preflights contradicts preflight",
			file: head + "  - name: p\n    request: {url: http://localhost:8000/}\n    expect: {preflight: false, preflights: 1}\n  - name: q\n    request: {url: http://localhost:8000/}\n    expect: {preflight: true, preflights: 0}\n",
			want: []string{
				`checks: "checks.yaml": check 1 "p" (line 6): expect.preflights: 1 contradicts expect.preflight false`,
				`checks: "checks.yaml": check 2 "q" (line 9): expect.preflights: 0 contradicts expect.preflight true`,
			},
		},
		{
			name: "no request",
			file: head + "  - name: a\n    expect: {allowed: true}\n",
			want: []string{`checks: "checks.yaml": check 1 "a" (line 4): request: missing (want request, or steps)`},
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

func TestCheckMismatches(t *testing.T) {
	one := checks.Check{Steps: []checks.Step{{Expect: checks.Expect{Allowed: ptr(true), Preflights: ptr(1)}}}}
	assert.Equal(t, []checks.Mismatch{
		{Field: "allowed", Want: "true", Got: "false"},
		{Field: "preflights", Want: "1", Got: "0"},
	}, one.Mismatches(checks.Verdicts{{}}), "one step: no step number")
	assert.Empty(t, one.Mismatches(checks.Verdicts{{Allowed: true, Preflight: true, Preflights: 1}}))

	two := checks.Check{Steps: []checks.Step{
		{Expect: checks.Expect{Preflights: ptr(1)}},
		{Expect: checks.Expect{Preflights: ptr(0), Status: ptr(200)}},
	}}
	v := checks.Verdicts{{Preflight: true, Preflights: 1}, {Allowed: true, Status: 200, Preflight: true, Preflights: 1}}
	got := two.Mismatches(v)
	assert.Equal(t, []checks.Mismatch{{Step: 2, Field: "preflights", Want: "0", Got: "1"}}, got)
	assert.Equal(t, "step 2: preflights: want 0, got 1", got[0].String())

	assert.Equal(t, []checks.Mismatch{{Field: "steps", Want: "2", Got: "1"}}, two.Mismatches(checks.Verdicts{{}}))
	assert.Equal(t, checks.Verdict{Status: 7}, checks.Verdicts{{Status: 1}, {Status: 7}}.Last())
	assert.Equal(t, checks.Verdict{}, checks.Verdicts{}.Last())
}

// The README's check-file reference is a valid check file.
func TestREADMECheckFile(t *testing.T) {
	data, err := os.ReadFile("../README.md")
	require.NoError(t, err)
	_, section, ok := strings.Cut(string(data), "## Check file\n\n```yaml\n")
	require.True(t, ok, "README has a check-file section")
	yml, _, ok := strings.Cut(section, "```")
	require.True(t, ok)
	f, err := checks.Parse("README.md", []byte(yml))
	require.NoError(t, err)
	require.Len(t, f.Checks, 3)
	assert.Len(t, f.Checks[1].Steps, 2)
	assert.Equal(t, 5500*time.Millisecond, f.Checks[2].Steps[2].Wait)
}
