package redact_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/corsvcr/corsvcr/cassettes"
	"github.com/corsvcr/corsvcr/cassettes/cassettestest"
	"github.com/corsvcr/corsvcr/redact"
)

const (
	testJWT    = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"
	testCookie = "s%3AJ9uN2vQ8xW4kL7pR3tY6zA1bC5dE0fG2hI"
)

// h builds Headers from name, value pairs.
var h = cassettestest.Headers

func ph(n string) string { return cassettes.RedactedPrefix + n }

func TestRedact(t *testing.T) {
	t.Parallel()
	in := &cassettes.Cassette{Interactions: []cassettes.Interaction{
		{
			Kind: cassettes.KindActual,
			Request: cassettes.Request{Method: "POST", URL: "http://api.test/login?next=%2Fhome&api_key=abc123&Page=2#frag",
				Headers: h("Origin", "http://app.test", "Authorization", "Bearer "+testJWT,
					"Content-Type", "application/json", "Content-Length", "60", "X-Api-Key", "k-1"),
				Body: cassettes.Body(`{"user": "ann", "password": "hunter2", "nested": {"refreshToken": "r-9", "list": [{"client_secret": 42}]}}`)},
			Response: cassettes.Response{Status: 200, Headers: h(
				"Access-Control-Allow-Origin", "http://app.test",
				"Access-Control-Allow-Credentials", "true",
				"Access-Control-Expose-Headers", "X-Token",
				"Set-Cookie", "session="+testCookie+"; Path=/; Secure; HttpOnly; SameSite=None",
				"Set-Cookie", "flag",
				"Content-Type", "application/vnd.api+json",
				"X-Token", testJWT),
				Body: cassettes.Body("{\n  \"access_token\": \"" + testJWT + "\",\n  \"expires\": 3600\n}")},
		},
		{
			Kind: cassettes.KindActual,
			Request: cassettes.Request{Method: "GET", URL: "http://api.test/me",
				Headers: h("Origin", "http://app.test", "Cookie", "session="+testCookie+"; theme=dark", "Proxy-Authorization", "Basic dXNlcjpwdw==")},
			Response: cassettes.Response{Status: 200, Headers: h("Content-Type", "text/plain"), Body: cassettes.Body(`password=x`)},
		},
	}}
	extra := &cassettes.Request{Method: "PUT", URL: "http://api.test/x?token=" + testJWT, Headers: h("Authorization", "Bearer "+testJWT)}
	rep := redact.Redact(in, redact.Options{Extra: []*cassettes.Request{extra}})

	want := []cassettes.Interaction{
		{
			Kind: cassettes.KindActual,
			Request: cassettes.Request{Method: "POST", URL: "http://api.test/login?next=%2Fhome&api_key=" + ph("1") + "&Page=2#frag",
				Headers: h("Origin", "http://app.test", "Authorization", "Bearer "+ph("2"),
					"Content-Type", "application/json", "Content-Length", "150", "X-Api-Key", ph("3")),
				Body: cassettes.Body(`{"user": "ann", "password": "` + ph("4") + `", "nested": {"refreshToken": "` + ph("5") + `", "list": [{"client_secret": "` + ph("6") + `"}]}}`)},
			Response: cassettes.Response{Status: 200, Headers: h(
				"Access-Control-Allow-Origin", "http://app.test",
				"Access-Control-Allow-Credentials", "true",
				"Access-Control-Expose-Headers", "X-Token",
				"Set-Cookie", "session="+ph("7")+"; Path=/; Secure; HttpOnly; SameSite=None",
				"Set-Cookie", "flag",
				"Content-Type", "application/vnd.api+json",
				"X-Token", ph("2")),
				Body: cassettes.Body("{\n  \"access_token\": \"" + ph("2") + "\",\n  \"expires\": 3600\n}")},
		},
		{
			Kind: cassettes.KindActual,
			Request: cassettes.Request{Method: "GET", URL: "http://api.test/me",
				Headers: h("Origin", "http://app.test", "Cookie", "session="+ph("7")+"; theme="+ph("8"), "Proxy-Authorization", "Basic "+ph("9"))},
			// A text/plain body: its name=value pairs are redacted by name.
			Response: cassettes.Response{Status: 200, Headers: h("Content-Type", "text/plain"), Body: cassettes.Body(`password=` + ph("10"))},
		},
	}
	assert.Equal(t, want, in.Interactions)
	assert.Equal(t, "http://api.test/x?token="+ph("2"), extra.URL, "extra requests share the placeholders")
	assert.Equal(t, h("Authorization", "Bearer "+ph("2")), extra.Headers)
	assert.Equal(t, 10, rep.Secrets)
	assert.Contains(t, rep.Fields, `interaction 0 request body $.nested.list[0].client_secret`)
	assert.Contains(t, rep.Fields, `interaction 1 request header "Cookie" cookie "session"`)
	assert.Empty(t, redact.Scan(in), "nothing left to find")

	t.Run("redacting again changes nothing", func(t *testing.T) {
		before, err := cassettes.Encode(in)
		require.NoError(t, err)
		again := redact.Redact(in, redact.Options{})
		after, err := cassettes.Encode(in)
		require.NoError(t, err)
		assert.Equal(t, string(before), string(after))
		assert.Zero(t, again.Secrets)
	})
	t.Run("new secrets number on after the old placeholders", func(t *testing.T) {
		in.Interactions = append(in.Interactions, cassettes.Interaction{Kind: cassettes.KindOther,
			Request:  cassettes.Request{Method: "GET", URL: "http://api.test/?sid=zz"},
			Response: cassettes.Response{Status: 200}})
		redact.Redact(in, redact.Options{})
		assert.Equal(t, "http://api.test/?sid="+ph("11"), in.Interactions[2].Request.URL)
	})
}

func TestRedactNames(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		param string
		extra []string
		want  bool
	}{
		{name: "exact", param: "token", want: true},
		{name: "case", param: "API_KEY", want: true},
		{name: "camel case", param: "accessToken", want: true},
		{name: "dashes", param: "x-auth-token", want: true},
		{name: "last word", param: "stripe_secret", want: true},
		{name: "inside a word", param: "monkey", want: false},
		{name: "other", param: "page", want: false},
		{name: "configured", param: "pin", extra: []string{"pin"}, want: true},
		{name: "configured compound", param: "otp-code", extra: []string{"otp_code"}, want: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := &cassettes.Cassette{Interactions: []cassettes.Interaction{{Kind: cassettes.KindOther,
				Request:  cassettes.Request{Method: "GET", URL: "http://a.test/?" + tt.param + "=v1"},
				Response: cassettes.Response{Status: 200}}}}
			rep := redact.Redact(c, redact.Options{Names: tt.extra})
			assert.Equal(t, tt.want, rep.Secrets == 1, c.Interactions[0].Request.URL)
		})
	}
}

func TestScan(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		request cassettes.Request
		resp    cassettes.Response
		want    []string
	}{
		{
			name:    "bearer token",
			request: cassettes.Request{Method: "GET", URL: "http://a.test/", Headers: h("Authorization", "Bearer abcdef0123456789")},
			want:    []string{`interaction 0 request header "Authorization": bearer token`},
		},
		{
			name:    "JWT in a bearer header is both",
			request: cassettes.Request{Method: "GET", URL: "http://a.test/", Headers: h("Authorization", "Bearer "+testJWT)},
			want:    []string{`interaction 0 request header "Authorization": bearer token`, `interaction 0 request header "Authorization": JWT`},
		},
		{
			name: "planted JWT in a JSON field",
			resp: cassettes.Response{Status: 200, Headers: h("Content-Type", "application/json"), Body: cassettes.Body(`{"data":{"note":"` + testJWT + `"}}`)},
			want: []string{`interaction 0 response body $.data.note: JWT`},
		},
		{
			name:    "JWT in a query and in a text body",
			request: cassettes.Request{Method: "POST", URL: "http://a.test/cb?state=" + testJWT, Body: cassettes.Body("id_token=" + testJWT)},
			want:    []string{`interaction 0 request query "state": JWT`, `interaction 0 request body: JWT`},
		},
		{
			name: "AWS keys",
			resp: cassettes.Response{Status: 200, Headers: h("Content-Type", "text/plain"),
				Body: cassettes.Body("AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n")},
			want: []string{`interaction 0 response body: AWS access key ID`, `interaction 0 response body: AWS secret access key`},
		},
		{
			name: "session cookie",
			resp: cassettes.Response{Status: 200, Headers: h("Set-Cookie", "sid="+testCookie+"; Path=/", "Set-Cookie", "theme=dark; Path=/")},
			want: []string{`interaction 0 response header "Set-Cookie" cookie "sid": session cookie`},
		},
		{
			name:    "placeholders and look-alikes are not secrets",
			request: cassettes.Request{Method: "GET", URL: "http://a.test/?token=" + ph("1"), Headers: h("Authorization", "Bearer "+ph("2"), "Cookie", "session="+ph("3"), "X-Id", "eyJhbGciOi.not.a-jwt")},
			resp:    cassettes.Response{Status: 200, Headers: h("ETag", `"AKIA-not-a-key"`, "Set-Cookie", "id=aaaaaaaaaaaaaaaaaaaaaa")},
			want:    nil,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req := tt.request
			if req.Method == "" {
				req = cassettes.Request{Method: "GET", URL: "http://a.test/"}
			}
			resp := tt.resp
			if resp.Status == 0 {
				resp.Status = 200
			}
			c := &cassettes.Cassette{Interactions: []cassettes.Interaction{{Kind: cassettes.KindOther, Request: req, Response: resp}}}
			var got []string
			for _, f := range redact.Scan(c) {
				got = append(got, f.String())
			}
			assert.Equal(t, tt.want, got)
		})
	}
}
