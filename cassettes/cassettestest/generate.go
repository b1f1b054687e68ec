package cassettestest

import (
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/corsvcr/corsvcr/cassettes"
)

// Generate returns a valid cassette of n realistic interactions, the same
// for the same n: preflights and the actual requests they allowed, blocked
// requests, JSON, HTML and gzip (binary) bodies, duplicated
// Access-Control-Allow-Origin lines, quoted ETags, redacted cookies,
// unicode text and multi-line bodies of every block-scalar shape. It is
// meant for benchmarks (load, save, replay) and differential tests of the
// encoder; a large cassette is cassettes.Save(path, Generate(100_000)).
func Generate(n int) *cassettes.Cassette {
	r := rand.New(rand.NewPCG(uint64(n), 0x636f727376637200))
	c := &cassettes.Cassette{
		Version: cassettes.FormatVersion,
		Meta:    cassettes.Meta{Corsvcr: "0.1.0", Browser: "Chromium 156.0.8078.79"},
	}
	c.Interactions = make([]cassettes.Interaction, 0, n)
	for i := 0; len(c.Interactions) < n; i++ {
		g := gen{r: r, i: i}
		origin := origins[r.IntN(len(origins))]
		host := hosts[r.IntN(len(hosts))]
		path := g.path()
		url := host + path
		switch k := r.IntN(10); {
		case k < 3 && len(c.Interactions)+1 < n:
			// Preflight, then the request it allowed (or not).
			method := []string{"PUT", "POST", "DELETE", "PATCH"}[r.IntN(4)]
			reqHeaders := []string{"content-type", "content-type,x-token", "authorization", "x-requested-with,content-type"}[r.IntN(4)]
			c.Interactions = append(c.Interactions, cassettes.Interaction{
				Kind: cassettes.KindPreflight,
				Request: cassettes.Request{Method: "OPTIONS", URL: url, Headers: Headers(
					"Host", hostOnly(host), "Accept", "*/*",
					"Access-Control-Request-Method", method,
					"Access-Control-Request-Headers", reqHeaders,
					"Origin", origin, "User-Agent", userAgent,
					"Sec-Fetch-Mode", "cors", "Sec-Fetch-Site", "same-site",
					"Referer", origin+"/", "Accept-Encoding", "gzip, deflate, br, zstd",
					"Accept-Language", "en-US,en;q=0.9")},
				Response: cassettes.Response{Status: []int{204, 200, 204, 403}[r.IntN(4)], Headers: g.corsHeaders(origin, Headers(
					"Access-Control-Allow-Methods", "GET, POST, PUT, DELETE, PATCH",
					"Access-Control-Allow-Headers", "Content-Type, X-Token, Authorization, X-Requested-With",
					"Access-Control-Max-Age", "600", "Vary", "Origin",
					"Date", cassettes.RecordedDate, "Server", "nginx/1.26.3"))},
			})
			body := g.jsonBody()
			c.Interactions = append(c.Interactions, cassettes.Interaction{
				Kind: cassettes.KindActual,
				Request: cassettes.Request{Method: method, URL: url, Headers: Headers(
					"Host", hostOnly(host), "Content-Length", fmt.Sprint(len(body)),
					"Content-Type", "application/json", "X-Token", cassettes.RedactedPrefix+fmt.Sprint(1+r.IntN(9)),
					"Origin", origin, "User-Agent", userAgent, "Accept", "*/*",
					"Referer", origin+"/", "Accept-Language", "en-US,en;q=0.9"), Body: body},
				Response: g.response(origin),
			})
		case k < 8:
			c.Interactions = append(c.Interactions, cassettes.Interaction{
				Kind: cassettes.KindActual,
				Request: cassettes.Request{Method: "GET", URL: url + g.query(), Headers: Headers(
					"Host", hostOnly(host), "Origin", origin, "User-Agent", userAgent,
					"Accept", "application/json, text/plain, */*", "Sec-Fetch-Mode", "cors",
					"Referer", origin+"/app/page?id="+fmt.Sprint(i),
					"Accept-Encoding", "gzip, deflate, br, zstd",
					"Cookie", "session="+cassettes.RedactedPrefix+"2; theme=dark; lang=fr")},
				Response: g.response(origin),
			})
		default:
			page := origins[r.IntN(len(origins)-1)] // not "null"
			c.Interactions = append(c.Interactions, cassettes.Interaction{
				Kind: cassettes.KindOther,
				Request: cassettes.Request{Method: "GET", URL: page + path, Headers: Headers(
					"Host", hostOnly(page), "Upgrade-Insecure-Requests", "1", "User-Agent", userAgent,
					"Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
					"Sec-Fetch-Mode", "navigate", "Sec-Fetch-Dest", "document")},
				Response: cassettes.Response{Status: 200, Headers: Headers(
					"Content-Type", "text/html; charset=utf-8", "Cache-Control", "no-cache",
					"Date", cassettes.RecordedDate, "Last-Modified", "Wed, 21 Oct 2015 07:28:00 GMT"),
					Body: g.textBody()},
			})
		}
	}
	return c
}

const userAgent = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/156.0.0.0 Safari/537.36"

var (
	origins = []string{"http://localhost:8080", "http://localhost:5173", "https://app.example.com", "http://127.0.0.1:3000", "null"}
	hosts   = []string{"http://localhost:8000", "https://api.example.com", "http://127.0.0.1:9000", "https://cdn.example.net:8443"}
	words   = []string{"items", "users", "orders", "v1", "v2", "api", "stats", "search", "cart", "ünïcödé", "files", "a%20b", "login", "reset"}
)

// gen draws the parts of one interaction.
type gen struct {
	r *rand.Rand
	i int
}

func hostOnly(u string) string {
	_, h, ok := strings.Cut(u, "://")
	if !ok {
		return u
	}
	return h
}

func (g gen) path() string {
	var b strings.Builder
	for range 1 + g.r.IntN(4) {
		b.WriteByte('/')
		b.WriteString(words[g.r.IntN(len(words))])
	}
	fmt.Fprintf(&b, "/%d", g.r.IntN(100000))
	return strings.ReplaceAll(b.String(), "ünïcödé", "%C3%BCn%C3%AFc%C3%B6d%C3%A9")
}

func (g gen) query() string {
	switch g.r.IntN(4) {
	case 0:
		return ""
	case 1:
		return fmt.Sprintf("?page=%d&sort=desc", g.r.IntN(50))
	case 2:
		return "?q=" + words[g.r.IntN(len(words)-3)] + "&token=" + cassettes.RedactedPrefix + "3"
	}
	return fmt.Sprintf("?ids=%d,%d,%d", g.r.IntN(9), g.r.IntN(99), g.r.IntN(999))
}

// corsHeaders adds the CORS answer a server gives origin, sometimes wrong.
func (g gen) corsHeaders(origin string, rest cassettes.Headers) cassettes.Headers {
	var hs cassettes.Headers
	switch g.r.IntN(8) {
	case 0: // forgot CORS: blocked
	case 1: // two lines: blocked
		hs = Headers("Access-Control-Allow-Origin", origin, "Access-Control-Allow-Origin", "*")
	case 2:
		hs = Headers("Access-Control-Allow-Origin", "*")
	default:
		hs = Headers("Access-Control-Allow-Origin", origin, "Access-Control-Allow-Credentials", "true")
	}
	return append(hs, rest...)
}

func (g gen) response(origin string) cassettes.Response {
	resp := cassettes.Response{Status: []int{200, 200, 200, 201, 404, 500, 302}[g.r.IntN(7)]}
	etag := fmt.Sprintf(`W/"%x-%x"`, g.r.IntN(1<<16), g.r.Uint32())
	switch g.r.IntN(5) {
	case 0: // gzip: binary
		resp.Body = g.binary()
		resp.Headers = g.corsHeaders(origin, Headers("Content-Type", "application/json", "Content-Encoding", "gzip",
			"Vary", "Origin, Accept-Encoding", "ETag", etag, "Date", cassettes.RecordedDate))
	case 1:
		resp.Body = g.textBody()
		resp.Headers = g.corsHeaders(origin, Headers("Content-Type", "text/plain; charset=utf-8", "Date", cassettes.RecordedDate,
			"Set-Cookie", "session="+cassettes.RedactedPrefix+"2; Path=/; HttpOnly; SameSite=None; Secure"))
	default:
		resp.Body = g.jsonBody()
		resp.Headers = g.corsHeaders(origin, Headers("Content-Type", "application/json; charset=utf-8",
			"Access-Control-Expose-Headers", "ETag, X-Request-Id", "ETag", etag,
			"X-Request-Id", fmt.Sprintf("%08x-%04x", g.r.Uint32(), g.r.IntN(1<<16)),
			"Cache-Control", "private, max-age=0", "Date", cassettes.RecordedDate))
	}
	if resp.Status == 302 {
		resp.Headers = append(resp.Headers, cassettes.Header{Name: "Location", Value: "/login?next=%2Fcart"})
	}
	return resp
}

func (g gen) jsonBody() cassettes.Body {
	var b strings.Builder
	b.WriteString(`{"items":[`)
	for j := range g.r.IntN(6) {
		if j > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"id":%d,"name":%q,"price":%d.%02d,"tags":["a","b"]}`, g.r.IntN(1e6), words[g.r.IntN(len(words))], g.r.IntN(1000), g.r.IntN(100))
	}
	fmt.Fprintf(&b, `],"total":%d,"next":"/api/items?page=%d"}`, g.r.IntN(1e4), g.r.IntN(99))
	return cassettes.Body(b.String())
}

// textBody returns multi-line text of the shapes that give different block
// scalar headers (|, |-, |+, |2) or a quoted string (CR, trailing space).
func (g gen) textBody() cassettes.Body {
	lines := []string{"<!doctype html>", "<html lang=\"fr\">", "  <head><title>Déjà vu — ✓</title></head>",
		"\t<body class='x'>", "# not a comment", "- not: a list", "key: value", "...", "emoji 😀"}
	var b strings.Builder
	if g.r.IntN(8) == 0 {
		b.WriteString("  indented first line\n")
	}
	for range 2 + g.r.IntN(8) {
		b.WriteString(lines[g.r.IntN(len(lines))])
		b.WriteByte('\n')
	}
	switch g.r.IntN(8) {
	case 0:
		b.WriteString("no final break")
	case 1:
		b.WriteString("\n\n")
	case 2:
		b.WriteString("crlf\r\n")
	case 3:
		b.WriteString("trailing space \n")
	}
	return cassettes.Body(b.String())
}

// binary returns gzip-like bytes: a gzip header and random bytes.
func (g gen) binary() cassettes.Body {
	b := make([]byte, 10+g.r.IntN(400))
	for j := range b {
		b[j] = byte(g.r.Uint32())
	}
	copy(b, []byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 2, 3})
	return b
}
