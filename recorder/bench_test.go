package recorder

import (
	"io"
	"net/http"
	"net/url"
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
