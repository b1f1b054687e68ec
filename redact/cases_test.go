package redact_test

import (
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/corsvcr/corsvcr/cassettes"
	"github.com/corsvcr/corsvcr/redact"
)

// Secrets of the shapes issue 9 lists, with values of known forms where
// one is realistic so that the scanner can see them too.
const (
	stripeKey  = "sk_live_51HqLyjWDarjtT1zdp7dcXa9" // a Stripe secret key
	githubTok  = "gho_16C7e42F292c6912E7710c838347Ae178B4a"
	resetToken = "7f3a9c2e4b1d8f6a0c5e9b3d7f1a2c4e" // 32 random hex digits
	oauthCode  = "SplxlOBeZQQYbYS6WxSbIA"           // RFC 6749's example code
	password   = "hunter2-Quantum"
)

func actual(rq cassettes.Request, rs cassettes.Response) cassettes.Interaction {
	if rs.Status == 0 {
		rs.Status = 200
	}
	return cassettes.Interaction{Kind: cassettes.Classify(rq.Method, rq.Headers), Request: rq, Response: rs}
}

// TestRedactCases: each shape of secret issue 9 found in cassettes is
// redacted where it is, with one placeholder per secret across
// interactions and extra requests; nothing the scanner knows is left; and
// the scanner alone sees what it can of the unredacted cassette.
func TestRedactCases(t *testing.T) {
	t.Parallel()
	const multipartCT = "multipart/form-data; boundary=----WebKitFormBoundaryX"
	multipartBody := func(pw, key string) string {
		return "------WebKitFormBoundaryX\r\n" +
			"Content-Disposition: form-data; name=\"username\"\r\n\r\nbob\r\n" +
			"------WebKitFormBoundaryX\r\n" +
			"Content-Disposition: form-data; name=\"password\"\r\n\r\n" + pw + "\r\n" +
			"------WebKitFormBoundaryX\r\n" +
			"Content-Disposition: form-data; name=\"key\"; filename=\"key.txt\"\r\nContent-Type: text/plain\r\n\r\n" + key + "\r\n" +
			"------WebKitFormBoundaryX--\r\n"
	}
	tests := []struct {
		name      string
		in        []cassettes.Interaction
		opts      redact.Options
		extra     []cassettes.Request
		want      []cassettes.Interaction
		wantExtra []cassettes.Request
		secrets   []string // in no place of the redacted cassette or extra requests
		scanIn    []string // Scan of the unredacted cassette
	}{
		{
			name: "form body login, and the check request that repeats it",
			in: []cassettes.Interaction{actual(
				cassettes.Request{Method: "POST", URL: "http://api.test/login",
					Headers: h("Origin", "http://app.test", "Content-Type", "application/x-www-form-urlencoded", "Content-Length", "63"),
					Body:    cassettes.Body("username=bob&password=" + password + "&api_key=" + stripeKey)},
				cassettes.Response{Status: 200, Headers: h("Content-Type", "application/x-www-form-urlencoded; charset=utf-8"),
					Body: cassettes.Body("access_token=" + githubTok + "&scope=repo&token_type=bearer")})},
			extra: []cassettes.Request{{Method: "POST", URL: "http://api.test/login",
				Headers: h("Content-Type", "application/x-www-form-urlencoded"),
				Body:    cassettes.Body("username=bob&password=" + password + "&api_key=" + stripeKey)}},
			want: []cassettes.Interaction{actual(
				cassettes.Request{Method: "POST", URL: "http://api.test/login",
					Headers: h("Origin", "http://app.test", "Content-Type", "application/x-www-form-urlencoded", "Content-Length", "67"),
					Body:    cassettes.Body("username=bob&password=" + ph("1") + "&api_key=" + ph("2"))},
				cassettes.Response{Status: 200, Headers: h("Content-Type", "application/x-www-form-urlencoded; charset=utf-8"),
					Body: cassettes.Body("access_token=" + ph("3") + "&scope=repo&token_type=bearer")})},
			wantExtra: []cassettes.Request{{Method: "POST", URL: "http://api.test/login",
				Headers: h("Content-Type", "application/x-www-form-urlencoded"),
				Body:    cassettes.Body("username=bob&password=" + ph("1") + "&api_key=" + ph("2"))}},
			secrets: []string{password, stripeKey, githubTok},
			scanIn:  []string{"interaction 0 request body: Stripe secret key", "interaction 0 response body: GitHub token"},
		},
		{
			name: "form fields nested in brackets, and an OAuth token request",
			in: []cassettes.Interaction{actual(
				cassettes.Request{Method: "POST", URL: "http://api.test/token",
					Headers: h("Content-Type", "application/x-www-form-urlencoded"),
					Body:    cassettes.Body("user%5Bemail%5D=bob%40x.test&user%5Bpassword%5D=" + password + "&credentials[pass]=p2&grant_type=authorization_code&code=" + oauthCode + "&client_secret=" + stripeKey)},
				cassettes.Response{})},
			want: []cassettes.Interaction{actual(
				cassettes.Request{Method: "POST", URL: "http://api.test/token",
					Headers: h("Content-Type", "application/x-www-form-urlencoded"),
					Body:    cassettes.Body("user%5Bemail%5D=bob%40x.test&user%5Bpassword%5D=" + ph("1") + "&credentials[pass]=" + ph("2") + "&grant_type=authorization_code&code=" + ph("3") + "&client_secret=" + ph("4"))},
				cassettes.Response{})},
			secrets: []string{password, "=p2", oauthCode, stripeKey},
			scanIn:  []string{"interaction 0 request body: Stripe secret key"},
		},
		{
			name: "multipart form: fields by name, files kept",
			in: []cassettes.Interaction{actual(
				cassettes.Request{Method: "POST", URL: "http://api.test/login",
					Headers: h("Content-Type", multipartCT), Body: cassettes.Body(multipartBody(stripeKey, "not a secret"))},
				cassettes.Response{})},
			want: []cassettes.Interaction{actual(
				cassettes.Request{Method: "POST", URL: "http://api.test/login",
					Headers: h("Content-Type", multipartCT), Body: cassettes.Body(multipartBody(ph("1"), "not a secret"))},
				cassettes.Response{})},
			secrets: []string{stripeKey},
			scanIn:  []string{"interaction 0 request body: Stripe secret key"},
		},
		{
			name: "Location with access_token: the next hop gets the same placeholder",
			in: []cassettes.Interaction{
				actual(cassettes.Request{Method: "POST", URL: "http://api.test/login", Headers: h("Origin", "http://app.test")},
					cassettes.Response{Status: 302, Headers: h("Location", "/welcome?access_token="+testJWT+"&state=s1",
						"Link", `<http://api.test/me?token=`+testJWT+`>; rel="me"`)}),
				actual(cassettes.Request{Method: "GET", URL: "http://api.test/welcome?access_token=" + testJWT + "&state=s1", Headers: h("Origin", "null")},
					cassettes.Response{Status: 303, Headers: h("Location", "http://app.test/cb#access_token="+testJWT+"&token_type=bearer",
						"Refresh", "0; url=http://app.test/cb?id_token="+testJWT)}),
			},
			want: []cassettes.Interaction{
				actual(cassettes.Request{Method: "POST", URL: "http://api.test/login", Headers: h("Origin", "http://app.test")},
					cassettes.Response{Status: 302, Headers: h("Location", "/welcome?access_token="+ph("1")+"&state=s1",
						"Link", `<http://api.test/me?token=`+ph("1")+`>; rel="me"`)}),
				actual(cassettes.Request{Method: "GET", URL: "http://api.test/welcome?access_token=" + ph("1") + "&state=s1", Headers: h("Origin", "null")},
					cassettes.Response{Status: 303, Headers: h("Location", "http://app.test/cb#access_token="+ph("1")+"&token_type=bearer",
						"Refresh", "0; url=http://app.test/cb?id_token="+ph("1"))}),
			},
			secrets: []string{testJWT},
			scanIn: []string{
				`interaction 0 response header "Location": JWT`, `interaction 0 response header "Link": JWT`,
				`interaction 1 request query "access_token": JWT`,
				`interaction 1 response header "Location": JWT`, `interaction 1 response header "Refresh": JWT`,
			},
		},
		{
			name: "secrets as URL path segments, in the request and a Location alike",
			in: []cassettes.Interaction{
				actual(cassettes.Request{Method: "POST", URL: "http://api.test/reset/" + resetToken, Headers: h("Referer", "http://app.test/reset/"+resetToken+"?step=2")},
					cassettes.Response{Status: 302, Headers: h("Location", "/reset/"+resetToken+"/done")}),
				actual(cassettes.Request{Method: "GET", URL: "http://api.test/reset/" + resetToken + "/done"}, cassettes.Response{}),
				actual(cassettes.Request{Method: "DELETE", URL: "http://api.test/api/keys/" + stripeKey + "?force=1"}, cassettes.Response{}),
				actual(cassettes.Request{Method: "GET", URL: "http://api.test/t/" + testJWT + "/" + oauthCode}, cassettes.Response{}),
				// IDs, slugs and names are not tokens.
				actual(cassettes.Request{Method: "GET", URL: "http://api.test/items/550e8400-e29b-41d4-a716-446655440000/my-first-blog-post-2024/ProductListV2Handler2024/app.3f9a8c7e1b2d.js"}, cassettes.Response{}),
			},
			want: []cassettes.Interaction{
				actual(cassettes.Request{Method: "POST", URL: "http://api.test/reset/" + ph("1"), Headers: h("Referer", "http://app.test/reset/"+ph("1")+"?step=2")},
					cassettes.Response{Status: 302, Headers: h("Location", "/reset/"+ph("1")+"/done")}),
				actual(cassettes.Request{Method: "GET", URL: "http://api.test/reset/" + ph("1") + "/done"}, cassettes.Response{}),
				actual(cassettes.Request{Method: "DELETE", URL: "http://api.test/api/keys/" + ph("2") + "?force=1"}, cassettes.Response{}),
				actual(cassettes.Request{Method: "GET", URL: "http://api.test/t/" + ph("3") + "/" + ph("4")}, cassettes.Response{}),
				actual(cassettes.Request{Method: "GET", URL: "http://api.test/items/550e8400-e29b-41d4-a716-446655440000/my-first-blog-post-2024/ProductListV2Handler2024/app.3f9a8c7e1b2d.js"}, cassettes.Response{}),
			},
			secrets: []string{resetToken, stripeKey, testJWT, oauthCode},
			scanIn: []string{
				"interaction 0 request url: random token", `interaction 0 request header "Referer": random token`,
				`interaction 0 response header "Location": random token`,
				"interaction 1 request url: random token",
				"interaction 2 request url: Stripe secret key",
				"interaction 3 request url: JWT", "interaction 3 request url: random token",
			},
		},
		{
			name: "auth_code and a random OAuth code in a query; other codes kept",
			in: []cassettes.Interaction{
				actual(cassettes.Request{Method: "GET", URL: "http://api.test/cb?code=" + oauthCode + "&state=xyz"}, cassettes.Response{}),
				actual(cassettes.Request{Method: "GET", URL: "http://api.test/cb2?authCode=" + oauthCode + "&auth_code=" + password + "&country_code=US&code=404"},
					cassettes.Response{Headers: h("Content-Type", "application/json"), Body: cassettes.Body(`{"error":{"code":"invalid_grant","status_code":400}}`)}),
			},
			want: []cassettes.Interaction{
				actual(cassettes.Request{Method: "GET", URL: "http://api.test/cb?code=" + ph("1") + "&state=xyz"}, cassettes.Response{}),
				actual(cassettes.Request{Method: "GET", URL: "http://api.test/cb2?authCode=" + ph("1") + "&auth_code=" + ph("2") + "&country_code=US&code=404"},
					cassettes.Response{Headers: h("Content-Type", "application/json"), Body: cassettes.Body(`{"error":{"code":"invalid_grant","status_code":400}}`)}),
			},
			secrets: []string{oauthCode, password},
			scanIn:  nil, // a password has no form: only its name tells
		},
		{
			name: "an object nested under a secret name",
			in: []cassettes.Interaction{actual(
				cassettes.Request{Method: "POST", URL: "http://api.test/login", Headers: h("Content-Type", "application/json"),
					Body: cassettes.Body(`{"credentials":{"user":"bob","pass":"` + password + `","mfa":[123456,{"totp":"` + stripeKey + `"}]},"profile":{"name":"Bob"},"remember":true}`)},
				cassettes.Response{Headers: h("Content-Type", "application/json"),
					Body: cassettes.Body(`{"session":{"id":"` + oauthCode + `","expires":3600,"persistent":false}}`)})},
			want: []cassettes.Interaction{actual(
				cassettes.Request{Method: "POST", URL: "http://api.test/login", Headers: h("Content-Type", "application/json"),
					Body: cassettes.Body(`{"credentials":{"user":"` + ph("1") + `","pass":"` + ph("2") + `","mfa":["` + ph("3") + `",{"totp":"` + ph("4") + `"}]},"profile":{"name":"Bob"},"remember":true}`)},
				cassettes.Response{Headers: h("Content-Type", "application/json"),
					Body: cassettes.Body(`{"session":{"id":"` + ph("5") + `","expires":"` + ph("6") + `","persistent":false}}`)})},
			secrets: []string{password, stripeKey, oauthCode, "123456"},
			scanIn:  []string{"interaction 0 request body $.credentials.mfa[1].totp: Stripe secret key"},
		},
		{
			name: "text bodies: pairs by name, tokens of known forms anywhere, URL passwords",
			in: []cassettes.Interaction{
				actual(cassettes.Request{Method: "POST", URL: "http://api.test/login", Headers: h("Content-Type", "text/plain;charset=UTF-8"),
					Body: cassettes.Body("username=bob&password=" + password + "&next=/home?token=" + githubTok)},
					cassettes.Response{Headers: h("Content-Type", "text/plain"), Body: cassettes.Body(testJWT)}),
				actual(cassettes.Request{Method: "POST", URL: "http://api.test/config", Body: cassettes.Body("token=" + stripeKey + "\nuser: bob\nsecret: \"" + password + "\"\n")},
					cassettes.Response{Headers: h("Content-Type", "text/plain"),
						Body: cassettes.Body("dsn: postgres://admin:" + password + "@db.internal/app\nbearer " + testJWT + "\n")}),
			},
			want: []cassettes.Interaction{
				actual(cassettes.Request{Method: "POST", URL: "http://api.test/login", Headers: h("Content-Type", "text/plain;charset=UTF-8"),
					Body: cassettes.Body("username=bob&password=" + ph("1") + "&next=/home?token=" + ph("2"))},
					cassettes.Response{Headers: h("Content-Type", "text/plain"), Body: cassettes.Body(ph("3"))}),
				actual(cassettes.Request{Method: "POST", URL: "http://api.test/config", Body: cassettes.Body("token=" + ph("4") + "\nuser: bob\nsecret: \"" + ph("1") + "\"\n")},
					cassettes.Response{Headers: h("Content-Type", "text/plain"),
						Body: cassettes.Body("dsn: postgres://admin:" + ph("1") + "@db.internal/app\nbearer " + ph("3") + "\n")}),
			},
			secrets: []string{password, githubTok, testJWT, stripeKey},
			scanIn: []string{"interaction 0 request body: GitHub token", "interaction 0 response body: JWT",
				"interaction 1 request body: Stripe secret key", "interaction 1 response body: JWT", "interaction 1 response body: URL credentials"},
		},
		{
			name: "user:password@: dropped from request URLs, a placeholder in a Location",
			in: []cassettes.Interaction{actual(
				cassettes.Request{Method: "GET", URL: "http://bob:" + password + "@api.test/x?q=1"},
				cassettes.Response{Status: 302, Headers: h("Location", "https://bob:"+password+"@app.test/y", "Content-Location", "//carol@app.test/z")})},
			extra: []cassettes.Request{{Method: "GET", URL: "http://bob:" + password + "@api.test/x"}},
			want: []cassettes.Interaction{actual(
				cassettes.Request{Method: "GET", URL: "http://api.test/x?q=1"},
				// Kept present: Chrome blocks a CORS redirect to a URL with credentials.
				cassettes.Response{Status: 302, Headers: h("Location", "https://"+ph("1")+"@app.test/y", "Content-Location", "//"+ph("2")+"@app.test/z")})},
			wantExtra: []cassettes.Request{{Method: "GET", URL: "http://api.test/x"}},
			secrets:   []string{password, "bob", "carol"},
			scanIn:    []string{"interaction 0 request url: URL credentials", `interaction 0 response header "Location": URL credentials`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var found []string
			for _, f := range redact.Scan(&cassettes.Cassette{Interactions: tt.in}) {
				found = append(found, f.String())
			}
			assert.Equal(t, tt.scanIn, found, "the scanner on the unredacted cassette")

			c := &cassettes.Cassette{Interactions: tt.in}
			opts := tt.opts
			for i := range tt.extra {
				opts.Extra = append(opts.Extra, &tt.extra[i])
			}
			rep, err := redact.Protect("x.yaml", c, opts)
			require.NoError(t, err, "the scanner finds nothing left")
			assert.Equal(t, tt.want, c.Interactions)
			if tt.wantExtra != nil {
				assert.Equal(t, tt.wantExtra, tt.extra, "extra requests share the placeholders")
			}
			assert.NotZero(t, len(rep.Fields))

			data, err := cassettes.Encode(c)
			require.NoError(t, err)
			all := string(data)
			for _, r := range tt.extra {
				all += r.URL + string(r.Body)
				for _, hd := range r.Headers {
					all += hd.Value
				}
			}
			for _, s := range tt.secrets {
				assert.NotContains(t, all, s)
			}
			again := redact.Redact(c, redact.Options{})
			assert.Zero(t, again.Secrets, "redacting twice changes nothing")
			assert.Equal(t, tt.want, c.Interactions)
		})
	}
}

// TestProtectUnknownNames: a secret of a known form under a name no rule
// knows, in each place a name can be given (form and multipart fields, a
// Location's query, a JSON field), is refused, naming the place; the name
// added with Options.Names redacts it. (In a text body keys of known forms
// are redacted whatever their name: see TestRedactCases.)
func TestProtectUnknownNames(t *testing.T) {
	t.Parallel()
	rq := func(ct, body string) cassettes.Request {
		return cassettes.Request{Method: "POST", URL: "http://api.test/x", Headers: h("Content-Type", ct), Body: cassettes.Body(body)}
	}
	tests := []struct {
		name    string
		in      cassettes.Interaction
		finding string
	}{
		{name: "form field", in: actual(rq("application/x-www-form-urlencoded", "a=1&note="+stripeKey), cassettes.Response{}),
			finding: "interaction 0 request body: Stripe secret key"},
		{name: "multipart field", in: actual(rq("multipart/form-data; boundary=b", "--b\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\n"+testJWT+"\r\n--b--\r\n"), cassettes.Response{}),
			finding: "interaction 0 request body: JWT"},
		{name: "Location query", in: actual(cassettes.Request{Method: "GET", URL: "http://api.test/x"}, cassettes.Response{Status: 302, Headers: h("Location", "/y?note="+testJWT)}),
			finding: `interaction 0 response header "Location": JWT`},
		{name: "JSON field", in: actual(rq("application/json", `{"data":{"note":"`+stripeKey+`"}}`), cassettes.Response{}),
			finding: "interaction 0 request body $.data.note: Stripe secret key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := &cassettes.Cassette{Interactions: []cassettes.Interaction{clone(tt.in)}}
			_, err := redact.Protect("x.yaml", c, redact.Options{})
			var se *redact.SecretsError
			require.True(t, errors.As(err, &se), "refused: %v", err)
			assert.Equal(t, []string{tt.finding}, se.Findings)

			c = &cassettes.Cassette{Interactions: []cassettes.Interaction{clone(tt.in)}}
			rep, err := redact.Protect("x.yaml", c, redact.Options{Names: []string{"note"}})
			require.NoError(t, err)
			assert.Equal(t, 1, rep.Secrets)
			data, err := cassettes.Encode(c)
			require.NoError(t, err)
			assert.Contains(t, string(data), cassettes.RedactedPrefix+"1")
		})
	}
}

func clone(in cassettes.Interaction) cassettes.Interaction {
	in.Request.Headers = append(cassettes.Headers(nil), in.Request.Headers...)
	in.Request.Body = append(cassettes.Body(nil), in.Request.Body...)
	in.Response.Headers = append(cassettes.Headers(nil), in.Response.Headers...)
	in.Response.Body = append(cassettes.Body(nil), in.Response.Body...)
	return in
}

// TestRandomTokenSegments: which URL path segments are random tokens.
func TestRandomTokenSegments(t *testing.T) {
	t.Parallel()
	tests := []struct {
		seg  string
		want bool
	}{
		{seg: resetToken, want: true},
		{seg: strings.ToUpper(resetToken), want: true},
		{seg: oauthCode, want: true},
		{seg: "aB3dE5fG7hJ9kL1mN3pQ5r", want: true},
		{seg: "550e8400-e29b-41d4-a716-446655440000"}, // a UUID is an ID
		{seg: "550e8400e29b41d4a716446655440000"[:31]},
		{seg: strings.Repeat("a", 40)},
		{seg: "my-first-blog-post-2024"},
		{seg: "ProductListV2Handler2024"},
		{seg: "getUserByIdAndOrganisation2"},
		{seg: "v2"},
		{seg: "12345678901234567890123456789012345"},
	}
	for i, tt := range tests {
		t.Run(strconv.Itoa(i), func(t *testing.T) {
			t.Parallel()
			c := &cassettes.Cassette{Interactions: []cassettes.Interaction{actual(
				cassettes.Request{Method: "GET", URL: "http://api.test/x/" + tt.seg}, cassettes.Response{})}}
			rep := redact.Redact(c, redact.Options{})
			assert.Equal(t, tt.want, rep.Secrets == 1, "%s → %s", tt.seg, c.Interactions[0].Request.URL)
		})
	}
}
