package redact_test

import (
	"testing"

	"github.com/corsvcr/corsvcr/cassettes"
	"github.com/corsvcr/corsvcr/redact"
)

// FuzzRedact: whatever the URL, Location and body, Redact never panics
// and redacting twice changes nothing.
func FuzzRedact(f *testing.F) {
	for _, s := range []struct{ ct, url, loc, body string }{
		{"application/x-www-form-urlencoded", "http://a.test/login", "/w?access_token=" + testJWT, "username=bob&password=x&api_key=" + stripeKey},
		{"text/plain", "http://bob:pw@a.test/reset/" + resetToken, "https://u:p@b.test/#token=1", "token=abc\nsecret: \"x\"\npostgres://a:b@h/db " + testJWT},
		{"multipart/form-data; boundary=b", "http://a.test/x?code=" + oauthCode, "", "--b\r\nContent-Disposition: form-data; name=\"password\"\r\n\r\npw\r\n--b--\r\n"},
		{"application/json", "http://a.test/", "", `{"credentials":{"user":"bob","pass":[1,{"x":"y"}]}}`},
		{"", "//a.test/a%2Fb/%zz", "?", "a=&=b&&token"},
	} {
		f.Add(s.ct, s.url, s.loc, s.body)
	}
	f.Fuzz(func(t *testing.T, ct, url, loc, body string) {
		c := &cassettes.Cassette{Interactions: []cassettes.Interaction{{
			Request:  cassettes.Request{Method: "POST", URL: url, Headers: h("Content-Type", ct), Body: cassettes.Body(body)},
			Response: cassettes.Response{Status: 302, Headers: h("Location", loc, "Content-Type", ct), Body: cassettes.Body(body)},
		}}}
		redact.Redact(c, redact.Options{})
		once := c.Interactions[0]
		once.Request.Headers = append(cassettes.Headers(nil), once.Request.Headers...)
		once.Response.Headers = append(cassettes.Headers(nil), once.Response.Headers...)
		again := redact.Redact(c, redact.Options{})
		if again.Secrets != 0 || c.Interactions[0].Request.URL != once.Request.URL ||
			string(c.Interactions[0].Request.Body) != string(once.Request.Body) ||
			c.Interactions[0].Response.Headers[0] != once.Response.Headers[0] {
			t.Errorf("redacting twice changed %v (%d secrets):\n%+v\n%+v", again.Fields, again.Secrets, once, c.Interactions[0])
		}
	})
}
