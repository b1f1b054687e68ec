package redact_test

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/corsvcr/corsvcr/cassettes"
	"github.com/corsvcr/corsvcr/redact"
)

func TestProtect(t *testing.T) {
	t.Parallel()
	leak := cassettes.Interaction{Kind: cassettes.KindActual,
		Request: cassettes.Request{Method: "GET", URL: "http://api.test/leak", Headers: h("Origin", "http://app.test")},
		Response: cassettes.Response{Status: 200, Headers: h("Content-Type", "application/json"),
			Body: cassettes.Body(`{"note":"` + testJWT + `"}`)}}
	login := cassettes.Interaction{Kind: cassettes.KindActual,
		Request: cassettes.Request{Method: "GET", URL: "http://api.test/me",
			Headers: h("Origin", "http://app.test", "Authorization", "Bearer "+testJWT)},
		Response: cassettes.Response{Status: 200}}
	tests := []struct {
		name     string
		in       cassettes.Interaction
		opts     redact.Options
		extra    *cassettes.Request
		secrets  int
		findings []string // nil: no error
	}{
		{name: "redacted and clean", in: login, secrets: 1},
		{name: "a secret under an unknown name is refused", in: leak,
			findings: []string{"interaction 0 response body $.note: JWT"}},
		{name: "a further name redacts it", in: leak, opts: redact.Options{Names: []string{"note"}}, secrets: 1},
		{name: "extra requests share the placeholders", in: login,
			extra:   &cassettes.Request{Method: "GET", URL: "http://api.test/x", Headers: h("Authorization", "Bearer "+testJWT)},
			secrets: 1},
		{name: "extra requests are scanned as check requests", in: login,
			extra:    &cassettes.Request{Method: "GET", URL: "http://api.test/x", Headers: h("X-Data", testJWT)},
			secrets:  1,
			findings: []string{`check request 1 header "X-Data": JWT`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			in := tt.in
			in.Request.Headers = append(cassettes.Headers(nil), in.Request.Headers...)
			c := &cassettes.Cassette{Interactions: []cassettes.Interaction{in}}
			opts := tt.opts
			if tt.extra != nil {
				extra := *tt.extra
				extra.Headers = append(cassettes.Headers(nil), extra.Headers...)
				opts.Extra = []*cassettes.Request{&extra}
			}
			rep, err := redact.Protect("x.yaml", c, opts)
			assert.Equal(t, tt.secrets, rep.Secrets, "secrets redacted")
			if tt.findings == nil {
				require.NoError(t, err)
				return
			}
			var se *redact.SecretsError
			require.True(t, errors.As(err, &se), "%v", err)
			assert.Equal(t, "x.yaml", se.Name)
			assert.Equal(t, tt.findings, se.Findings)
			assert.NotContains(t, err.Error(), testJWT, "the error never prints the secret")
		})
	}
}

func TestSecretsErrorText(t *testing.T) {
	t.Parallel()
	e := &redact.SecretsError{Name: "x.yaml", Findings: []string{"interaction 0 response body $.note: JWT", `check request 1 header "X": JWT`}}
	assert.EqualError(t, e, "redact: refusing to write \"x.yaml\": it still holds what looks like secrets:\n"+
		"  interaction 0 response body $.note: JWT\n  check request 1 header \"X\": JWT")
	e.Hint = "add their names with --redact-names"
	assert.EqualError(t, e, "redact: refusing to write \"x.yaml\": it still holds what looks like secrets (add their names with --redact-names):\n"+
		"  interaction 0 response body $.note: JWT\n  check request 1 header \"X\": JWT")
}

func TestDefaultNamesIsACopy(t *testing.T) {
	t.Parallel()
	names := redact.DefaultNames()
	require.Contains(t, names, "token")
	for i := range names {
		names[i] = "changed"
	}
	assert.Contains(t, redact.DefaultNames(), "token")
}
