package fetch_test

import (
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/corsvcr/corsvcr/internal/fetch"
)

func TestIsToken(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		want bool
	}{
		{name: "method", in: "GET", want: true},
		{name: "header name", in: "X-Total-Count", want: true},
		{name: "every tchar symbol", in: "!#$%&'*+-.^_`|~", want: true},
		{name: "empty", in: "", want: false},
		{name: "space", in: "Bad Name", want: false},
		{name: "colon", in: "a:b", want: false},
		{name: "slash", in: "text/plain", want: false},
		{name: "DQUOTE", in: `a"b`, want: false},
		{name: "DEL", in: "a\x7f", want: false},
		{name: "non-ASCII", in: "Coo\u212Aie", want: false},
		{name: "tab", in: "a\tb", want: false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tc.want, fetch.IsToken(tc.in))
		})
	}
}

func TestHopByHopAndConnectionHeaders(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name            string
		hop, connection bool
	}{
		{name: "Connection", hop: true, connection: true},
		{name: "keep-alive", hop: true, connection: true},
		{name: "Proxy-Connection", hop: true, connection: true},
		{name: "TE", hop: true, connection: true},
		{name: "Te", hop: true, connection: true},
		{name: "Trailer", hop: true, connection: true},
		{name: "TRANSFER-ENCODING", hop: true, connection: true},
		{name: "Upgrade", hop: true, connection: true},
		{name: "Proxy-Authenticate", hop: true},
		{name: "proxy-authorization", hop: true},
		{name: "Content-Type"},
		{name: "Trailers"},
		{name: "\u212Aeep-Alive"}, // Kelvin sign: not ASCII, not a header
		{name: ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tc.hop, fetch.IsHopByHop(tc.name), "IsHopByHop")
			assert.Equal(t, tc.connection, fetch.IsConnectionHeader(tc.name), "IsConnectionHeader")
		})
	}
}

func TestHeaderChecksDoNotAllocate(t *testing.T) {
	allocs := testing.AllocsPerRun(100, func() {
		fetch.IsHopByHop("Transfer-Encoding")
		fetch.IsConnectionHeader("X-Other")
		fetch.IsToken("Access-Control-Request-Headers")
		fetch.SerializeHost("http", "localhost:80")
		fetch.DefaultPort("https")
		fetch.IsCORSSafelistedMethod("POST")
	})
	assert.Zero(t, allocs)
}

func TestForbiddenRequestHeader(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, value string
		want        bool
	}{
		{name: "Cookie", want: true},
		{name: "origin", want: true},
		{name: "Set-Cookie", want: true},
		{name: "Sec-Fetch-Mode", want: true},
		{name: "Proxy-Anything", want: true},
		{name: "Keep-Alive", want: true},
		{name: "X-HTTP-Method-Override", value: "PUT, TRACE", want: true},
		{name: "X-HTTP-Method-Override", value: "PUT", want: false},
		{name: "X-Method-Override", value: " connect ", want: true},
		{name: "Content-Type", value: "application/json", want: false},
		{name: "Authorization", value: "Bearer x", want: false},
		{name: "Accept-Language", value: "en", want: false},
	}
	for _, tc := range tests {
		t.Run(tc.name+"="+tc.value, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tc.want, fetch.IsForbiddenRequestHeader(tc.name, tc.value))
		})
	}
	assert.False(t, fetch.IsForbiddenRequestHeaderName("X-HTTP-Method-Override"), "the name alone is allowed")
}

func TestCORSSafelistedRequestHeader(t *testing.T) {
	t.Parallel()
	long := make([]byte, 129)
	for i := range long {
		long[i] = 'a'
	}
	tests := []struct {
		name, value string
		want        bool
	}{
		{name: "Accept", value: "*/*", want: true},
		{name: "accept", value: `text/"html"`, want: false},
		{name: "Accept-Language", value: "en-US,en;q=0.9", want: true},
		{name: "Content-Language", value: "de_DE", want: false},
		{name: "Content-Type", value: "text/plain;charset=UTF-8", want: true},
		{name: "content-type", value: "Multipart/Form-Data; boundary=x", want: true},
		{name: "Content-Type", value: "application/json", want: false},
		{name: "Content-Type", value: "text/plain; a=\"b\"", want: false},
		{name: "Content-Type", value: "text/", want: false},
		{name: "Range", value: "bytes=0-", want: true},
		{name: "Range", value: "bytes=5-10", want: true},
		{name: "Range", value: "bytes=10-5", want: false},
		{name: "Range", value: "bytes=-5", want: false},
		{name: "DPR", value: "1.5", want: true},
		{name: "Width", value: "1.5", want: false},
		{name: "ECT", value: "4g", want: true},
		{name: "Save-Data", value: "On", want: true},
		{name: "Sec-CH-UA", value: "x", want: true},
		{name: "Accept", value: string(long), want: false},
		{name: "X-Token", value: "1", want: false},
	}
	for _, tc := range tests {
		t.Run(tc.name+"="+tc.value, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tc.want, fetch.IsCORSSafelistedRequestHeader(tc.name, tc.value))
		})
	}
	assert.True(t, fetch.IsNoCORSSafelistedRequestHeaderName("Content-Type"))
	assert.False(t, fetch.IsNoCORSSafelistedRequestHeaderName("Range"))
}

func TestMIMEEssence(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, want string
		ok       bool
	}{
		{in: "Application/JSON; charset=utf-8", want: "application/json", ok: true},
		{in: " text/html ", want: "text/html", ok: true},
		{in: "text", ok: false},
		{in: "/plain", ok: false},
		{in: "te xt/plain", ok: false},
		{in: "", ok: false},
	}
	for _, tc := range tests {
		got, ok := fetch.MIMEEssence(tc.in)
		assert.Equal(t, tc.ok, ok, tc.in)
		assert.Equal(t, tc.want, got, tc.in)
	}
}

func TestResponseHeaderNames(t *testing.T) {
	t.Parallel()
	for _, n := range []string{"Cache-Control", "content-language", "Content-Length", "Content-Type", "Expires", "Last-Modified", "Pragma"} {
		assert.True(t, fetch.IsCORSSafelistedResponseHeaderName(n), n)
	}
	for _, n := range []string{"X-Total-Count", "Set-Cookie", "ETag"} {
		assert.False(t, fetch.IsCORSSafelistedResponseHeaderName(n), n)
	}
	assert.True(t, fetch.IsForbiddenResponseHeaderName("Set-Cookie2"))
	assert.False(t, fetch.IsForbiddenResponseHeaderName("Cookie"))
}

func TestMethods(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, norm              string
		safelisted, forbidden bool
	}{
		{in: "", norm: "GET", safelisted: true},
		{in: "get", norm: "GET", safelisted: true},
		{in: "Post", norm: "POST", safelisted: true},
		{in: "head", norm: "HEAD", safelisted: true},
		{in: "put", norm: "PUT"},
		{in: "delete", norm: "DELETE"},
		{in: "options", norm: "OPTIONS"},
		{in: "patch", norm: "patch"},
		{in: "PATCH", norm: "PATCH"},
		{in: "trace", norm: "trace", forbidden: true},
		{in: "CONNECT", norm: "CONNECT", forbidden: true},
		{in: "Track", norm: "Track", forbidden: true},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tc.norm, fetch.NormalizeMethod(tc.in))
			if tc.in != "" {
				assert.Equal(t, tc.safelisted, fetch.IsCORSSafelistedMethod(tc.in), "safelisted")
			}
			assert.Equal(t, tc.forbidden, fetch.IsForbiddenMethod(tc.in), "forbidden")
		})
	}
}

func TestDefaultPort(t *testing.T) {
	t.Parallel()
	for scheme, want := range map[string]string{"http": "80", "HTTPS": "443", "ws": "80", "wss": "443", "ftp": "21", "file": "", "data": "", "": ""} {
		assert.Equal(t, want, fetch.DefaultPort(scheme), scheme)
	}
}

func TestSerializeOrigin(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{in: "http://localhost:8080/x?y", want: "http://localhost:8080"},
		{in: "HTTP://Localhost:80", want: "http://localhost"},
		{in: "https://Example.COM:443/", want: "https://example.com"},
		{in: "https://example.com:80", want: "https://example.com:80"},
		{in: "http://example.com:", want: "http://example.com"},
		{in: "http://[::1]:80/", want: "http://[::1]"},
		{in: "ftp://x:21/", want: "ftp://x"},
	}
	for _, tc := range tests {
		u, err := url.Parse(tc.in)
		require.NoError(t, err)
		assert.Equal(t, tc.want, fetch.SerializeOrigin(u), tc.in)
	}
	a, _ := url.Parse("http://LOCALHOST:80/a")
	b, _ := url.Parse("http://localhost/b")
	c, _ := url.Parse("https://localhost/b")
	assert.True(t, fetch.SameOrigin(a, b))
	assert.False(t, fetch.SameOrigin(b, c))
}

func TestOriginProblem(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{in: "http://localhost:8080"},
		{in: "https://app.example.com"},
		{in: "http://[::1]:8080"},
		{in: "", want: "missing"},
		{in: "localhost:8080", want: `"localhost:8080" is not an http or https origin (scheme://host[:port])`},
		{in: "ftp://x", want: `"ftp://x" is not an http or https origin (scheme://host[:port])`},
		{in: "http://user@x", want: `"http://user@x" is not an origin (scheme://host[:port])`},
		{in: "http:x", want: `"http:x" is not an origin (scheme://host[:port])`},
		{in: "http://localhost:8080/", want: `"http://localhost:8080/" is not an origin: it has a path, query or fragment (write "http://localhost:8080")`},
		{in: "http://localhost:8080/app", want: `"http://localhost:8080/app" is not an origin: it has a path, query or fragment (write "http://localhost:8080")`},
		{in: "HTTP://Localhost:80", want: `"HTTP://Localhost:80" is not an origin as browsers send it: scheme and host are lower-case (write "http://localhost")`},
		{in: "https://x:443", want: `"https://x:443" is not an origin as browsers send it: leave out the default port (write "https://x")`},
		{in: "http://x:", want: `"http://x:" is not an origin as browsers send it: leave out the default port (write "http://x")`},
		{in: "http://x:%zz", want: `"http://x:%zz" is not an origin: parse "http://x:%zz": invalid port ":%zz" after host`},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tc.want, fetch.OriginProblem(tc.in))
		})
	}
}

func TestIsScriptRequestHeader(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name, value string
		want        bool
	}{
		{"Content-Type", "application/json", true},
		{"content-type", "text/plain;charset=UTF-8", true},
		{"Range", "bytes=0-3", true},
		{"X-Token", "a", true},
		{"Authorization", "Bearer x", true},
		{"Accept", "application/json", true},
		{"Accept", "*/*", false},
		{"Cache-Control", "no-cache", false},
		{"Cache-Control", "max-age=0", false},
		{"cache-control", "no-store", true},
		{"Pragma", "no-cache", false},
		{"User-Agent", "x", false},
		{"Sec-Fetch-Mode", "cors", false},
		{"sec-ch-ua", "x", false},
		{"Accept-Encoding", "gzip", false},
		{"Accept-Language", "en", false},
		{"Referer", "http://a/", false},
		{"Origin", "http://a", false},
		{"Cookie", "a=1", false},
		{"Priority", "u=1, i", false},
		{"Content-Length", "3", false},
		{"Host", "a", false},
		{"Connection", "keep-alive", false},
		{"Proxy-Connection", "keep-alive", false},
		{":path", "/", false},
		{"If-None-Match", `"x"`, false},
	} {
		if got := fetch.IsScriptRequestHeader(tt.name, tt.value); got != tt.want {
			t.Errorf("IsScriptRequestHeader(%q, %q) = %v, want %v", tt.name, tt.value, got, tt.want)
		}
	}
}

func TestEncodeQuery(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"", ""},
		{"a=1&b=2", "a=1&b=2"},
		{"name=o'brien", "name=o%27brien"},
		{"q=a b", "q=a%20b"},
		{`q="x"<y>`, "q=%22x%22%3Cy%3E"},
		{"q=%27kept", "q=%27kept"},
		{"q=caf\xc3\xa9", "q=caf%C3%A9"},
		{"q=\x01", "q=%01"},
		{"q=~!$&()*+,;:@/?[]{}|^`", "q=~!$&()*+,;:@/?[]{}|^`"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, fetch.EncodeQuery(tt.in), "%q", tt.in)
	}
}

func TestCorsErrors(t *testing.T) {
	t.Parallel()
	assert.True(t, fetch.IsCorsError("WildcardOriginNotAllowed"))
	assert.False(t, fetch.IsCorsError("WildcardOriginNotAlowed"))
	assert.False(t, fetch.IsCorsError(""))
	assert.Equal(t, "WildcardOriginNotAllowed", fetch.ClosestCorsError("WildcardOriginNotAlowed"))
	assert.Equal(t, "AllowOriginMismatch", fetch.ClosestCorsError("alloworiginmismatch"))
	assert.Len(t, fetch.CorsErrors(), 28)
}
