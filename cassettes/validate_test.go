package cassettes_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/corsvcr/corsvcr/cassettes"
)

// preflight returns a valid preflight interaction to break in tests.
func preflight() cassettes.Interaction {
	return cassettes.Interaction{
		Kind: cassettes.KindPreflight,
		Request: cassettes.Request{
			Method:  "OPTIONS",
			URL:     "http://localhost:8000/api",
			Headers: h("Origin", origin, "Access-Control-Request-Method", "PUT"),
		},
		Response: cassettes.Response{Status: 204, Headers: h("Access-Control-Allow-Origin", origin)},
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		modify func(c *cassettes.Cassette)
		want   string // "" for a valid cassette
	}{
		{name: "valid", modify: func(*cassettes.Cassette) {}},
		{name: "zero version means current", modify: func(c *cassettes.Cassette) { c.Version = 0 }},
		{name: "empty header value is valid", modify: func(c *cassettes.Cassette) { c.Interactions[0].Response.Headers[0].Value = "" }},
		{
			name:   "negative version",
			modify: func(c *cassettes.Cassette) { c.Version = -1 },
			want:   "cassettes: version: -1 is not a valid format version",
		},
		{
			name:   "newer version",
			modify: func(c *cassettes.Cassette) { c.Version = 2 },
			want:   "cassettes: version: 2 is newer than this corsvcr supports (1)",
		},
		{
			name:   "kind mismatch",
			modify: func(c *cassettes.Cassette) { c.Interactions[0].Kind = cassettes.KindActual },
			want:   `cassettes: interaction 0: kind: "actual" does not match the request, which is "preflight" (OPTIONS with Origin and Access-Control-Request-Method)`,
		},
		{
			name:   "unknown kind",
			modify: func(c *cassettes.Cassette) { c.Interactions[0].Kind = "cors" },
			want:   `cassettes: interaction 0: kind: "cors" is not one of preflight, actual, other`,
		},
		{
			name:   "bad method",
			modify: func(c *cassettes.Cassette) { c.Interactions[0].Request.Method = "OPT IONS" },
			want:   `cassettes: interaction 0: request.method: "OPT IONS" is not a valid HTTP method`,
		},
		{
			name:   "relative URL",
			modify: func(c *cassettes.Cassette) { c.Interactions[0].Request.URL = "/api" },
			want:   `cassettes: interaction 0: request.url: "/api" is not an absolute http or https URL`,
		},
		{
			name:   "bad header name",
			modify: func(c *cassettes.Cassette) { c.Interactions[0].Request.Headers[1].Name = "Access Control" },
			want:   `cassettes: interaction 0: request.headers[1] "Access Control": not a valid header name`,
		},
		{
			name:   "empty header name",
			modify: func(c *cassettes.Cassette) { c.Interactions[0].Response.Headers[0].Name = "" },
			want:   `cassettes: interaction 0: response.headers[0]: empty name`,
		},
		{
			name:   "header value with NUL",
			modify: func(c *cassettes.Cassette) { c.Interactions[0].Response.Headers[0].Value = "a\x00" },
			want:   `cassettes: interaction 0: response.headers[0] "Access-Control-Allow-Origin": value contains "\x00"`,
		},
		{
			name:   "zero status",
			modify: func(c *cassettes.Cassette) { c.Interactions[0].Response.Status = 0 },
			want:   `cassettes: interaction 0: response.status: missing`,
		},
		{
			name: "every problem at once",
			modify: func(c *cassettes.Cassette) {
				c.Interactions = append(c.Interactions, cassettes.Interaction{})
				c.Interactions[0].Response.Status = 1000
			},
			want: `cassettes: interaction 0: response.status: 1000 is not a valid HTTP status
cassettes: interaction 1: kind: missing
cassettes: interaction 1: request.method: missing
cassettes: interaction 1: request.url: missing
cassettes: interaction 1: response.status: missing`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := &cassettes.Cassette{Version: 1, Interactions: []cassettes.Interaction{preflight()}}
			tt.modify(c)
			err := c.Validate()
			_, encErr := cassettes.Encode(c)
			if tt.want == "" {
				assert.NoError(t, err)
				assert.NoError(t, encErr)
				return
			}
			require.Error(t, err)
			assert.Equal(t, tt.want, err.Error())
			var fe *cassettes.FieldError
			assert.ErrorAs(t, err, &fe)
			assert.Equal(t, err, encErr, "Encode must refuse what Validate refuses")
		})
	}
}

func TestValidateNil(t *testing.T) {
	t.Parallel()
	var c *cassettes.Cassette
	assert.EqualError(t, c.Validate(), "cassettes: nil cassette")
	_, err := cassettes.Encode(nil)
	assert.Error(t, err)
}

func TestErrorText(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		err  error
		want string
	}{
		{
			name: "everything known",
			err:  &cassettes.FieldError{File: "testdata/x.yaml", Interaction: 3, Line: 42, Field: `request.headers[1] "Origin"`, Reason: `value contains "\n"`},
			want: `cassettes: load "testdata/x.yaml": interaction 3 (line 42): request.headers[1] "Origin": value contains "\n"`,
		},
		{
			name: "top level with line",
			err:  &cassettes.FieldError{File: "x.yaml", Interaction: -1, Line: 1, Field: "version", Reason: "missing"},
			want: `cassettes: load "x.yaml": line 1: version: missing`,
		},
		{
			name: "no file, no line, no field",
			err:  &cassettes.FieldError{Interaction: -1, Reason: "nil cassette"},
			want: `cassettes: nil cassette`,
		},
		{
			name: "version",
			err:  &cassettes.VersionError{File: "x.yaml", Found: 2, Supported: 1},
			want: `cassettes: load "x.yaml": format version 2 is newer than this corsvcr supports (1); upgrade corsvcr`,
		},
		{
			name: "version without file",
			err:  &cassettes.VersionError{Found: 3, Supported: 1},
			want: `cassettes: format version 3 is newer than this corsvcr supports (1); upgrade corsvcr`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tt.want, tt.err.Error())
		})
	}
}
