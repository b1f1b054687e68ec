package cassettes_test

import (
	"bytes"
	"compress/gzip"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/corsvcr/corsvcr/cassettes"
	"github.com/corsvcr/corsvcr/cassettes/cassettestest"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

// h builds Headers from name, value pairs.
var h = cassettestest.Headers

func gzipped(t *testing.T, s string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	require.NoError(t, err)
	_, err = zw.Write([]byte(s))
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	return buf.Bytes()
}

const origin = "http://localhost:8080"

// session is a realistic recording: a preflight, the POST it allowed, a
// GET the origin forgot to allow, a gzip body, a duplicated
// Access-Control-Allow-Origin line and a multi-line text body.
func session(t *testing.T) *cassettes.Cassette {
	return &cassettes.Cassette{
		Version: cassettes.FormatVersion,
		Meta:    cassettes.Meta{Corsvcr: "0.1.0", Browser: "Chromium 156.0.8078.79"},
		Interactions: []cassettes.Interaction{
			{
				Kind: cassettes.KindPreflight,
				Request: cassettes.Request{
					Method: "OPTIONS",
					URL:    "http://localhost:8000/api/v1/stats",
					Headers: h("Host", "localhost:8000", "Origin", origin,
						"Access-Control-Request-Method", "POST",
						"Access-Control-Request-Headers", "content-type,x-token"),
				},
				Response: cassettes.Response{
					Status: 204,
					Headers: h("Access-Control-Allow-Origin", origin,
						"Access-Control-Allow-Methods", "GET, POST",
						"Access-Control-Allow-Headers", "Content-Type, X-Token",
						"Access-Control-Max-Age", "600",
						"Vary", "Origin"),
				},
			},
			{
				Kind: cassettes.KindActual,
				Request: cassettes.Request{
					Method: "POST",
					URL:    "http://localhost:8000/api/v1/stats?window=5m&sort=desc",
					Headers: h("Origin", origin, "Content-Type", "application/json",
						"X-Token", "s3cr3t"),
					Body: cassettes.Body(`{"metric":"latency","values":[1,2,3]}`),
				},
				Response: cassettes.Response{
					Status: 201,
					Headers: h("Content-Type", "application/json; charset=utf-8",
						"Access-Control-Allow-Origin", origin,
						"Access-Control-Expose-Headers", "ETag",
						"ETag", `W/"5-abc"`),
					Body: cassettes.Body(`{"ok":true}`),
				},
			},
			{
				Kind: cassettes.KindActual,
				Request: cassettes.Request{
					Method:  "GET",
					URL:     "http://localhost:8000/api/v1/blocked",
					Headers: h("Origin", origin, "Accept", "*/*"),
				},
				Response: cassettes.Response{
					// No CORS headers: the browser blocks the response.
					Status:  200,
					Headers: h("Content-Type", "text/plain"),
					Body:    cassettes.Body("secret"),
				},
			},
			{
				Kind: cassettes.KindActual,
				Request: cassettes.Request{
					Method:  "GET",
					URL:     "http://localhost:8000/api/v1/items",
					Headers: h("Origin", origin, "Accept-Encoding", "gzip"),
				},
				Response: cassettes.Response{
					Status: 200,
					Headers: h("Content-Type", "application/json",
						"Content-Encoding", "gzip",
						"Access-Control-Allow-Origin", origin),
					Body: gzipped(t, `[{"id":1,"name":"first"},{"id":2,"name":"second"}]`),
				},
			},
			{
				Kind: cassettes.KindActual,
				Request: cassettes.Request{
					Method:  "GET",
					URL:     "https://api.example.com/v2/users/42",
					Headers: h("Origin", origin),
				},
				Response: cassettes.Response{
					// Two lines: browsers reject this response.
					Status: 200,
					Headers: h("Access-Control-Allow-Origin", origin,
						"Access-Control-Allow-Origin", "*",
						"Content-Type", "application/json"),
					Body: cassettes.Body(`{"id":42}`),
				},
			},
			{
				Kind: cassettes.KindOther,
				Request: cassettes.Request{
					Method: "GET",
					URL:    "http://localhost:8080/",
				},
				Response: cassettes.Response{
					Status:  200,
					Headers: h("Content-Type", "text/html; charset=utf-8"),
					Body: cassettes.Body("<!doctype html>\n<html>\n  <head>\n\t<title>Demo</title>\n  </head>\n" +
						"  <body>Déjà vu</body>\n</html>\n"),
				},
			},
		},
	}
}

// tricky holds strings that a careless YAML writer gets wrong.
func tricky() *cassettes.Cassette {
	values := []string{
		"", " leading", "trailing ", "yes", "No", "null", "~", "123", "0x1", "1e3",
		"0.1.0", "*", "&anchor", "!tag", "a: b", "a #b", "a#b", "#", "-", "- x",
		"[x]", "{x}", "a,b", "'single'", `"double"`, `back\slash`, "\ttab",
		"ctrl\x01\x7f", "invalid\xff\xfeutf8", "Ünïcödé ✓", "emoji 😀", "\u2028\u00a0\ufeff",
		"http://localhost:8080", "<<", "=", "%", "@", "`",
	}
	var hs cassettes.Headers
	for _, v := range values {
		hs = append(hs, cassettes.Header{Name: "X-Test", Value: v})
	}
	bodies := []string{
		"a: b", "yes", "line\n", "line", "two\nlines", "two\nlines\n", "trailing\n\n\n",
		"\nleading break", "  leading spaces\nx\n", "crlf\r\nbody\r\n", "trailing space \nx",
		"tab\tbody\n", "\tleading tab\n", "\n", "\n\n", "emoji 😀\nline\n", "...\n---\n", "# not a comment\n- not a list\n",
		"nul\x00byte", "\xff\xfe binary", "lone cr\r",
	}
	c := &cassettes.Cassette{Meta: cassettes.Meta{Corsvcr: "dev", Browser: "yes"}}
	c.Interactions = append(c.Interactions, cassettes.Interaction{
		Kind: cassettes.KindActual,
		Request: cassettes.Request{
			Method:  "get",
			URL:     "http://[::1]:8000/a%20b?q=yes#frag",
			Headers: append(h("Origin", "null"), hs...),
		},
		Response: cassettes.Response{Status: 999, Headers: hs},
	})
	for _, b := range bodies {
		c.Interactions = append(c.Interactions, cassettes.Interaction{
			Kind:     cassettes.KindOther,
			Request:  cassettes.Request{Method: "PUT", URL: "http://localhost/", Body: cassettes.Body(b)},
			Response: cassettes.Response{Status: 200, Body: cassettes.Body(b)}, // the lowest final status
		})
	}
	return c
}

func TestEncodeGolden(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		file string
		c    *cassettes.Cassette
	}{
		{name: "realistic session", file: "session.yaml", c: session(t)},
		{name: "tricky strings and bodies", file: "tricky.yaml", c: tricky()},
		{name: "no interactions", file: "empty.yaml", c: &cassettes.Cassette{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := cassettes.Encode(tt.c)
			require.NoError(t, err)
			path := filepath.Join("testdata", tt.file)
			if *update {
				require.NoError(t, os.WriteFile(path, got, 0o644))
			}
			want, err := os.ReadFile(path)
			require.NoError(t, err)
			assert.Equal(t, string(want), string(got), "Encode output differs from %s (run go test -update)", path)

			back, err := cassettes.Decode(path, got)
			require.NoError(t, err)
			want1 := *tt.c
			want1.Version = cassettes.FormatVersion
			assert.Equal(t, &want1, back, "Decode(Encode(c)) != c")
		})
	}
}

// TestGoldenIdempotent checks Encode(Decode(golden)) == golden for every
// cassette in testdata.
func TestGoldenIdempotent(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("testdata/*.yaml")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			t.Parallel()
			data, err := os.ReadFile(file)
			require.NoError(t, err)
			c, err := cassettes.Decode(file, data)
			require.NoError(t, err)
			got, err := cassettes.Encode(c)
			require.NoError(t, err)
			assert.Equal(t, string(data), string(got))
		})
	}
}

// TestDocExample keeps the format example in the package documentation
// equal to testdata/doc-example.yaml, which TestGoldenIdempotent proves
// canonical.
func TestDocExample(t *testing.T) {
	t.Parallel()
	src, err := os.ReadFile("doc.go")
	require.NoError(t, err)
	_, rest, ok := strings.Cut(string(src), "// # Format, version 1\n//\n")
	require.True(t, ok, "doc.go lost its format section")
	var doc strings.Builder
	for line := range strings.Lines(rest) {
		if !strings.HasPrefix(line, "//\t") {
			break
		}
		doc.WriteString(strings.TrimPrefix(line, "//\t"))
	}
	want, err := os.ReadFile("testdata/doc-example.yaml")
	require.NoError(t, err)
	assert.Equal(t, string(want), doc.String())
}
