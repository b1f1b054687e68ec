package replay

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/corsvcr/corsvcr/cassettes"
	"github.com/corsvcr/corsvcr/replay/internal/loadgen"
)

// benchCassette is a cassette of n endpoints, each a preflight and an
// actual request, shaped like a Chrome recording.
func benchCassette(n int) *cassettes.Cassette {
	var ints []cassettes.Interaction
	for i := range n {
		u := fmt.Sprintf("%s/api/v1/items/%d?page=2", api, i)
		ints = append(ints,
			ia("OPTIONS", u, []string{"Origin: " + app, "Access-Control-Request-Method: PUT", "Access-Control-Request-Headers: content-type,x-token"}, 204, "",
				"Access-Control-Allow-Origin: "+app, "Access-Control-Allow-Methods: GET, PUT", "Access-Control-Allow-Headers: content-type, x-token",
				"Access-Control-Allow-Credentials: true", "Vary: Origin", "Access-Control-Max-Age: 600"),
			ia("PUT", u, []string{"Origin: " + app, "Content-Type: application/json", "Cookie: s=1"}, 200, benchBody,
				"Content-Type: application/json", "Access-Control-Allow-Origin: "+app, "Access-Control-Allow-Credentials: true", "Vary: Origin"),
		)
	}
	return cassette(ints...)
}

const benchBody = `{"id":42,"name":"widget","tags":["a","b","c"],"price":1999}`

// chromeHeaders are the headers Chrome sends with a credentialed PUT; all
// but Origin and Cookie are ignored by the matcher.
var chromeHeaders = []string{
	"Origin: " + app,
	"Cookie: s=1",
	"Content-Type: application/json",
	"User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/156.0.0.0 Safari/537.36",
	`sec-ch-ua: "Chromium";v="156", "Not)A;Brand";v="24"`,
	"sec-ch-ua-mobile: ?0",
	`sec-ch-ua-platform: "Linux"`,
	"Sec-Fetch-Site: same-site",
	"Sec-Fetch-Mode: cors",
	"Sec-Fetch-Dest: empty",
	"Accept: */*",
	"Accept-Encoding: gzip, deflate, br, zstd",
	"Accept-Language: en-US,en;q=0.9",
	"Referer: " + app + "/",
}

// discardWriter is a ResponseWriter that keeps nothing but its header map.
type discardWriter struct{ h http.Header }

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (w *discardWriter) WriteHeader(int)             {}

func BenchmarkReplayHit(b *testing.B) {
	r := newReplayer(b, Config{Cassette: benchCassette(500)})
	req := request("PUT", api+"/api/v1/items/250?page=2", chromeHeaders...)
	b.Run("recorder", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			r.ServeHTTP(httptest.NewRecorder(), req)
		}
	})
	b.Run("discard", func(b *testing.B) {
		b.ReportAllocs()
		w := &discardWriter{h: http.Header{}}
		for b.Loop() {
			clear(w.h)
			r.ServeHTTP(w, req)
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			w := &discardWriter{h: http.Header{}}
			for pb.Next() {
				clear(w.h)
				r.ServeHTTP(w, req)
			}
		})
	})
	if st := r.Stats(); st.Hits == 0 || r.Uses()[501] != st.Hits {
		b.Fatalf("benchmark request did not hit #501: %+v", st)
	}
}

// BenchmarkServerVsBare compares a real loopback replay server, used as a
// proxy, with a bare net/http handler writing the same bytes (checked
// first), at 1, 16 and 64 keep-alive connections from a cheap load
// generator (internal/loadgen). ns/op is the replay's; the bare server gets
// as many requests, interleaved in rounds so that both see the same machine.
// x-bare is the replay's throughput over the bare server's (the target is
// >= 0.9), bare-ns/op the bare server's time per request.
func BenchmarkServerVsBare(b *testing.B) {
	c := benchCassette(500)
	s, err := NewServer(Config{Cassette: c}, "")
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	recorded := c.Interactions[501].Response
	// The bare handler sets precomputed header values as a hand-written
	// server would, with no Date (none was recorded) and an explicit
	// Content-Length (net/http writes its own after the others).
	static := http.Header{"Date": nil, "Content-Length": {strconv.Itoa(len(recorded.Body))}}
	for _, f := range recorded.Headers {
		static[f.Name] = append(static[f.Name], f.Value)
	}
	bare := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		h := w.Header()
		for k, vs := range static {
			h[k] = vs
		}
		w.WriteHeader(recorded.Status)
		_, _ = w.Write(recorded.Body)
	}))
	defer bare.Close()
	replayAddr := strings.TrimPrefix(s.URL(), "http://")
	bareAddr := bare.Listener.Addr().String()

	var req strings.Builder
	req.WriteString("PUT " + api + "/api/v1/items/250?page=2 HTTP/1.1\r\nHost: api.test:8000\r\nContent-Length: 0\r\n")
	for _, l := range chromeHeaders {
		req.WriteString(l + "\r\n")
	}
	req.WriteString("\r\n")
	raw := []byte(req.String())
	want, err := loadgen.Raw(bareAddr, raw)
	if err != nil {
		b.Fatal(err)
	}
	got, err := loadgen.Raw(replayAddr, raw)
	if err != nil {
		b.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		b.Fatalf("the replay and the bare server answer differently:\n%s\n---\n%s", got, want)
	}

	for _, conns := range []int{1, 16, 64} {
		b.Run(fmt.Sprintf("conns=%d", conns), func(b *testing.B) {
			const rounds = 8
			var tReplay, tBare time.Duration
			b.ResetTimer()
			for i := range rounds {
				n := b.N / rounds
				if i < b.N%rounds {
					n++ // b.N in all
				}
				if n == 0 {
					continue
				}
				b.StartTimer()
				t0 := time.Now()
				if err := loadgen.Load(replayAddr, conns, n, raw); err != nil {
					b.Fatal(err)
				}
				tReplay += time.Since(t0)
				b.StopTimer()
				t0 = time.Now()
				if err := loadgen.Load(bareAddr, conns, n, raw); err != nil {
					b.Fatal(err)
				}
				tBare += time.Since(t0)
			}
			b.ReportMetric(float64(tBare.Nanoseconds())/float64(b.N), "bare-ns/op")
			b.ReportMetric(float64(tBare)/float64(tReplay), "x-bare")
		})
	}
}

// BenchmarkReplayScriptPart measures the path that compares script parts:
// a key whose recorded requests differ in Range (non-strict, so every
// iteration is a hit).
func BenchmarkReplayScriptPart(b *testing.B) {
	for _, bc := range []struct {
		name   string
		cfg    Config
		target string
		lines  []string
	}{
		{"three-variants", Config{Cassette: scriptCassette(scriptCases[0].reqs)}, scriptURL, append(browserLines("b"), "Range: bytes=4-")},
	} {
		b.Run(bc.name, func(b *testing.B) {
			r := newReplayer(b, bc.cfg)
			req := request("GET", bc.target, bc.lines...)
			w := &discardWriter{h: http.Header{}}
			b.ReportAllocs()
			for b.Loop() {
				clear(w.h)
				r.ServeHTTP(w, req)
			}
		})
	}
}

// BenchmarkReplayMiss measures a miss (the closest-interaction search) in
// cassettes of 1k, 10k and 100k interactions: a PUT with a header set no
// recording has, on a recorded path.
func BenchmarkReplayMiss(b *testing.B) {
	for _, n := range []int{1000, 10_000, 100_000} {
		b.Run(fmt.Sprintf("interactions=%d", n), func(b *testing.B) {
			r := newReplayer(b, Config{Cassette: benchCassette(n / 2)})
			req := request("OPTIONS", fmt.Sprintf("%s/api/v1/items/%d?page=2", api, n/4),
				"Origin: "+app, "Access-Control-Request-Method: PUT", "Access-Control-Request-Headers: content-type,x-other")
			w := &discardWriter{h: http.Header{}}
			b.ReportAllocs()
			for b.Loop() {
				clear(w.h)
				r.ServeHTTP(w, req)
			}
			if e := r.Journal()[0]; e.Miss == nil || e.Miss.Closest != n/2 {
				b.Fatalf("not a miss closest to #%d: %+v", n/2, e.Miss)
			}
		})
	}
}
