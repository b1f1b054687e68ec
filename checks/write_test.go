package checks_test

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/corsvcr/corsvcr/checks"
)

func wptr[T any](v T) *T { return &v }

// req is a Request with Parse's defaults filled in.
func req(url string) checks.Request {
	return checks.Request{URL: url, Method: "GET", Credentials: "same-origin", Mode: "cors", API: "fetch", Cache: "default", Redirect: "follow"}
}

func TestEncodeRoundTrip(t *testing.T) {
	t.Parallel()
	put := req("http://api.example.test/items/1?x=yes")
	put.Method = "PUT"
	put.Headers = []checks.Header{{Name: "Content-Type", Value: "application/json"}, {Name: "Authorization", Value: "Bearer corsvcr-redacted-1"}, {Name: "X-Num", Value: "123"}}
	put.Body = `{"qty": 2, "note": "null"}`
	put.Credentials = "include"
	xhr := req("http://api.example.test/x")
	xhr.API = "xhr"
	xhr.Cache = "default"
	noCors := req("http://api.example.test/img")
	noCors.Mode = "no-cors"
	noCors.Credentials = "omit"
	noCors.Cache = "no-store"
	manual := req("http://api.example.test/moved")
	manual.Redirect = "manual"
	tests := []struct {
		name string
		file checks.File
	}{
		{
			name: "one step without expect",
			file: checks.File{Version: 1, Page: "http://app.example.test", Checks: []checks.Check{
				{Name: "PUT api.example.test/items/1", Page: "http://app.example.test", Steps: []checks.Step{{Request: put}}},
			}},
		},
		{
			name: "every expectation and per-check pages",
			file: checks.File{Version: 1, Page: "http://localhost:5173", Checks: []checks.Check{
				{Name: "yes", Page: "http://localhost:5174", Steps: []checks.Step{{Request: xhr, Expect: checks.Expect{
					Allowed: wptr(false), CorsError: wptr("WildcardOriginNotAllowed"), FailedParameter: wptr(""),
					Preflight: wptr(true), Preflights: wptr(1), Status: wptr(0), ReadableHeaders: []string{"X-Total-Count"},
				}}}},
				{Name: "empty readable", Page: "http://localhost:5173", Steps: []checks.Step{{Request: noCors, Expect: checks.Expect{ReadableHeaders: []string{}}}}},
				{Name: "nothing readable", Page: "http://localhost:5173", Steps: []checks.Step{{Request: noCors, Expect: checks.Expect{ReadableHeaders: []string{}, UnreadableHeaders: []string{"*"}}}}},
				{Name: "unreadable", Page: "http://localhost:5173", Steps: []checks.Step{{Request: noCors, Expect: checks.Expect{UnreadableHeaders: []string{"X-Secret", "Set-Cookie"}}}}},
				{Name: "opaque redirect", Page: "http://localhost:5173", Steps: []checks.Step{{Request: manual, Expect: checks.Expect{Allowed: wptr(true), Status: wptr(0)}}}},
			}},
		},
		{
			name: "steps with wait",
			file: checks.File{Version: 1, Checks: []checks.Check{
				{Name: "login then read", Page: "http://localhost:5173", Steps: []checks.Step{
					{Request: put},
					{Wait: 1500 * time.Millisecond, Request: xhr, Expect: checks.Expect{Allowed: wptr(true)}},
				}},
			}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			data, err := checks.Encode(&tt.file)
			require.NoError(t, err)
			got, err := checks.Parse("encoded.yaml", data)
			require.NoError(t, err, "encoded:\n%s", data)
			assert.Equal(t, &tt.file, got, "encoded:\n%s", data)
			again, err := checks.Encode(got)
			require.NoError(t, err)
			assert.Equal(t, string(data), string(again), "Encode is stable")
		})
	}
}

func TestEncodeShape(t *testing.T) {
	t.Parallel()
	r := req("http://api.example.test/cart")
	r.Credentials = "include"
	data, err := checks.Encode(&checks.File{Version: 1, Page: "http://app.example.test", Checks: []checks.Check{
		{Name: "GET api.example.test/cart", Page: "http://app.example.test", Steps: []checks.Step{{Request: r}}},
	}})
	require.NoError(t, err)
	assert.Equal(t, `version: 1
page: http://app.example.test
checks:
  - name: GET api.example.test/cart
    request:
      url: http://api.example.test/cart
      credentials: include
`, string(data))
}

func TestEncodeRefuses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		file *checks.File
		want string
	}{
		{name: "nil", file: nil, want: "checks: encode: no checks"},
		{name: "no checks", file: &checks.File{Version: 1}, want: "checks: encode: no checks"},
		{name: "no name", file: &checks.File{Page: "http://a.test", Checks: []checks.Check{{Steps: []checks.Step{{Request: req("http://b.test")}}}}}, want: "checks: encode: check 1: no name"},
		{name: "no steps", file: &checks.File{Page: "http://a.test", Checks: []checks.Check{{Name: "x"}}}, want: `checks: encode: check 1 "x": no steps`},
		{name: "no page", file: &checks.File{Checks: []checks.Check{{Name: "x", Steps: []checks.Step{{Request: req("http://b.test")}}}}}, want: `checks: encode: check 1 "x": no page, and the file has none`},
		{name: "no url", file: &checks.File{Page: "http://a.test", Checks: []checks.Check{{Name: "x", Steps: []checks.Step{{}}}}}, want: `checks: encode: check 1 "x": step 1: request.url: missing`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := checks.Encode(tt.file)
			assert.EqualError(t, err, tt.want)
		})
	}
}

// TestLoadRefusesFIFO: a FIFO named as the check file fails at once.
func TestLoadRefusesFIFO(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "checks.yaml")
	require.NoError(t, syscall.Mkfifo(path, 0o644))
	done := make(chan error, 1)
	go func() {
		_, err := checks.Load(path)
		done <- err
	}()
	select {
	case err := <-done:
		assert.EqualError(t, err, fmt.Sprintf("checks: load %q: not a regular file: it is a named pipe (FIFO)", path))
	case <-time.After(10 * time.Second):
		t.Fatal("Load blocked")
	}
}

// TestSaveWithSecretsAndSymlink: WithSecrets makes a new check file 0600;
// a symlink is followed and its target keeps its mode.
func TestSaveWithSecretsAndSymlink(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	f := &checks.File{Version: 1, Checks: []checks.Check{{Name: "a", Page: "http://localhost:5173",
		Steps: []checks.Step{{Request: checks.Request{URL: "http://localhost:9100/x"}}}}}}
	secret := filepath.Join(dir, "secret.yaml")
	require.NoError(t, checks.Save(secret, f, checks.WithSecrets()))
	st, err := os.Stat(secret)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), st.Mode().Perm())

	link := filepath.Join(dir, "link.yaml")
	require.NoError(t, os.Symlink("secret.yaml", link))
	require.NoError(t, checks.Save(link, f))
	st, err = os.Lstat(link)
	require.NoError(t, err)
	assert.Equal(t, os.ModeSymlink, st.Mode().Type())
	st, err = os.Stat(secret)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), st.Mode().Perm())
}
