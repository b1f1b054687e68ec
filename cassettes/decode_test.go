package cassettes_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/corsvcr/corsvcr/cassettes"
)

// TestDecodeBad decodes every testdata/bad/*.yaml and compares the error
// text with the .err file next to it (rewritten by -update; review the diff).
func TestDecodeBad(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("testdata/bad/*.yaml")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".yaml"), func(t *testing.T) {
			t.Parallel()
			c, err := cassettes.Load(file)
			require.Error(t, err)
			assert.Nil(t, c)
			got := err.Error() + "\n"
			errFile := strings.TrimSuffix(file, ".yaml") + ".err"
			if *update {
				require.NoError(t, os.WriteFile(errFile, []byte(got), 0o644))
			}
			want, err := os.ReadFile(errFile)
			require.NoError(t, err)
			assert.Equal(t, string(want), got)
		})
	}
}

// TestDecodeErrorsAreFieldErrors checks that every line of a multi-problem
// error is a *FieldError carrying file, interaction and line.
func TestDecodeErrorsAreFieldErrors(t *testing.T) {
	t.Parallel()
	const file = "testdata/bad/many.yaml"
	_, err := cassettes.Load(file)
	require.Error(t, err)
	joined, ok := err.(interface{ Unwrap() []error })
	require.True(t, ok, "want errors.Join, got %T", err)
	errs := joined.Unwrap()
	require.Len(t, errs, 7)
	var fe *cassettes.FieldError
	for _, e := range errs {
		require.ErrorAs(t, e, &fe)
		assert.Equal(t, file, fe.File)
		assert.Positive(t, fe.Line, "%v", fe)
	}
	require.ErrorAs(t, errs[0], &fe)
	assert.Equal(t, cassettes.FieldError{
		File: file, Interaction: 1, Line: 19, Field: "request.url",
		Reason: `"localhost:8000/api/v1/stats" is not an absolute http or https URL`,
	}, *fe)
}

func TestDecodeVersionError(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		data  string
		found int
	}{
		{name: "next version", data: "version: 2\ninteractions: []\n", found: 2},
		{name: "far future with unknown fields", data: "version: 17\nsessions: {a: b}\n", found: 17},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := cassettes.Decode("x.yaml", []byte(tt.data))
			var ve *cassettes.VersionError
			require.ErrorAs(t, err, &ve)
			assert.Equal(t, cassettes.VersionError{File: "x.yaml", Found: tt.found, Supported: cassettes.FormatVersion}, *ve)
			var fe *cassettes.FieldError
			assert.False(t, errors.As(err, &fe), "a newer version must not report field errors: %v", err)
		})
	}
}

func TestDecodeLenient(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		data string
		want *cassettes.Cassette
	}{
		{
			name: "scalars read as written",
			data: `version: 1
interactions:
  - kind: actual
    request:
      method: GET
      url: http://localhost/
      headers:
        - {name: Origin, value: null}
        - {name: X-Number, value: 0x10}
        - {name: X-Empty, value: }
    response:
      status: 200
      body: ~
`,
			want: &cassettes.Cassette{Version: 1, Interactions: []cassettes.Interaction{{
				Kind: cassettes.KindActual,
				Request: cassettes.Request{Method: "GET", URL: "http://localhost/",
					Headers: h("Origin", "null", "X-Number", "0x10", "X-Empty", "")},
				Response: cassettes.Response{Status: 200, Body: cassettes.Body("~")},
			}}},
		},
		{
			name: "empty collections",
			data: "version: 1\nmeta:\ninteractions:\n",
			want: &cassettes.Cassette{Version: 1},
		},
		{
			name: "wrapped base64 and binary header",
			data: `version: 1
interactions:
  - kind: other
    request: {method: GET, url: "http://localhost/", headers: [{name: X-Bin, value: !!binary /w==}]}
    response:
      status: 200
      body:
        base64: |
          AAEC
          AwQ=
`,
			want: &cassettes.Cassette{Version: 1, Interactions: []cassettes.Interaction{{
				Kind:     cassettes.KindOther,
				Request:  cassettes.Request{Method: "GET", URL: "http://localhost/", Headers: h("X-Bin", "\xff")},
				Response: cassettes.Response{Status: 200, Body: cassettes.Body{0, 1, 2, 3, 4}},
			}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := cassettes.Decode(tt.name, []byte(tt.data))
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}
