package recorder

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// BenchmarkProxy compares a GET straight to the origin with the same GET
// through the recorder: recorded, forwarded unrecorded (host filter), and
// served by Intercept. Keep-alive connections are reused in every case.
func BenchmarkProxy(b *testing.B) {
	body := make([]byte, 1024)
	srv := upstream(b, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Access-Control-Allow-Origin", "*")
		w.Write(body)
	})
	page := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write(body) })
	rec := startRecorder(b, Config{
		Hosts:     []string{"localhost:8000"},
		Upstreams: map[string]string{"localhost:8000": authority(srv), "localhost:8001": authority(srv)},
		Intercept: func(r *http.Request) http.Handler {
			if r.URL.Path == "/__corsvcr__/page" {
				return page
			}
			return nil
		},
	})
	direct := &http.Client{Transport: &http.Transport{DisableCompression: true}}
	b.Cleanup(direct.CloseIdleConnections)
	proxied := proxyClient(b, rec)

	run := func(b *testing.B, client *http.Client, u string) {
		req, err := http.NewRequest("GET", u, nil)
		if err != nil {
			b.Fatal(err)
		}
		req.Header.Set("Origin", "http://localhost:8080")
		b.ReportAllocs()
		for b.Loop() {
			res, err := client.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			io.Copy(io.Discard, res.Body)
			res.Body.Close()
		}
	}
	b.Run("direct", func(b *testing.B) { run(b, direct, srv.URL+"/api") })
	b.Run("recorded", func(b *testing.B) { run(b, proxied, "http://localhost:8000/api") })
	b.Run("forwarded", func(b *testing.B) { run(b, proxied, "http://localhost:8001/api") })
	b.Run("intercepted", func(b *testing.B) {
		run(b, proxied, (&url.URL{Scheme: "http", Host: "localhost:8000", Path: "/__corsvcr__/page"}).String())
	})
}

// BenchmarkHeaderWork measures what the recorder does with the header
// blocks of one recorded exchange on top of forwarding it, for
// Chrome-shaped request headers and a typical CORS response: following the
// request stream, capturing the response block, dropping hop-by-hop
// fields, and checking the raw lines against net/http's parse. The one
// field dropped from the parsed request header is put back after each
// round. "new-connection": every exchange on connections of its own, so
// every block is parsed; "same-connection": the exchanges follow each
// other on one client and one origin connection, so the blocks' fields are
// those of the connections' last blocks (blockMemo); "changing": the same,
// but every request and response has a field value of its own (a request
// id), so nothing is the last block's.
func BenchmarkHeaderWork(b *testing.B) {
	const reqBlock = "GET http://api.test:8000/items/1 HTTP/1.1\r\nHost: api.test:8000\r\nProxy-Connection: keep-alive\r\n" +
		"sec-ch-ua-platform: \"Linux\"\r\nUser-Agent: Mozilla/5.0 HeadlessChrome/156\r\nsec-ch-ua: \"Chromium\";v=\"156\"\r\n" +
		"sec-ch-ua-mobile: ?0\r\nAccept: */*\r\nOrigin: http://app.test:8080\r\nSec-Fetch-Site: cross-site\r\n" +
		"Sec-Fetch-Mode: cors\r\nSec-Fetch-Dest: empty\r\nReferer: http://app.test:8080/\r\n" +
		"Accept-Encoding: gzip, deflate\r\nAccept-Language: en-US,en;q=0.9\r\nX-Trace: 000000\r\n\r\n"
	const resBlock = "HTTP/1.1 200 OK\r\nAccess-Control-Allow-Origin: http://app.test:8080\r\nAccess-Control-Allow-Credentials: true\r\n" +
		"Access-Control-Expose-Headers: X-Request-Id\r\nVary: Origin\r\nContent-Type: application/json\r\nX-Request-Id: 000000\r\n" +
		"Cache-Control: no-store\r\nDate: Thu, 03 Dec 2026 16:00:00 GMT\r\nContent-Length: 70\r\n\r\n"
	for _, mode := range []string{"new-connection", "same-connection", "changing"} {
		b.Run(mode, func(b *testing.B) {
			variants := 1
			if mode == "changing" {
				variants = 1000
			}
			type exchange struct {
				reqBytes, resBytes []byte
				req                *http.Request
				res                *http.Response
			}
			xs := make([]exchange, variants)
			for i := range xs {
				id := fmt.Sprintf("%06d", i)
				x := &xs[i]
				x.reqBytes = []byte(strings.Replace(reqBlock, "X-Trace: 000000", "X-Trace: "+id, 1))
				x.resBytes = []byte(strings.Replace(resBlock, "X-Request-Id: 000000", "X-Request-Id: "+id, 1))
				var err error
				if x.req, err = http.ReadRequest(bufio.NewReader(bytes.NewReader(x.reqBytes))); err != nil {
					b.Fatal(err)
				}
				if x.res, err = http.ReadResponse(bufio.NewReader(bytes.NewReader(x.resBytes)), x.req); err != nil {
					b.Fatal(err)
				}
			}
			proxyConnection := xs[0].req.Header["Proxy-Connection"]
			var stream requestStream
			var capture responseCapture
			i := 0
			for b.Loop() {
				if mode == "new-connection" {
					stream, capture = requestStream{}, responseCapture{}
				}
				x := &xs[i%variants]
				i++
				stream.feed(x.reqBytes)
				blk, ok := stream.pop()
				ok = ok && isBlockOf(blk, x.req)
				dropWireHopByHop(&blk, x.req.Header)
				undoPragma(blk.enc, x.req.Header)
				if h := requestHeaders(blk, ok, x.req); !h.wire {
					b.Fatal("request headers not read from the wire")
				}

				capture.arm()
				capture.feed(x.resBytes)
				forwardedHeader(&capture.got, x.res.Header, true)
				if h := responseHeaders(&capture.got, x.res); !h.wire {
					b.Fatal("response headers not read from the wire")
				}
				x.req.Header["Proxy-Connection"] = proxyConnection
			}
		})
	}
}
