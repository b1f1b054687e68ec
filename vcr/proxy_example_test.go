package vcr_test

import (
	"crypto/tls"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/corsvcr/corsvcr/vcr"
)

// A recording proxy for any client: here a plain Go client, which trusts
// the proxy's CA for https. Close saves the cassette and returns the
// summary.
func ExampleRunner_Proxy() {
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Access-Control-Allow-Origin", "http://localhost:8080")
		fmt.Fprint(w, "hello")
	}))
	defer api.Close()
	dir, err := os.MkdirTemp("", "corsvcr-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	r, err := vcr.New(vcr.Config{
		CADir:     filepath.Join(dir, "ca"),
		Upstreams: map[string]string{"localhost:8000": strings.TrimPrefix(api.URL, "http://")},
	})
	if err != nil {
		log.Fatal(err)
	}
	p, err := r.Proxy(vcr.ProxyOptions{Mode: vcr.ProxyRecord, Path: filepath.Join(dir, "cassette.yaml")})
	if err != nil {
		log.Fatal(err)
	}
	proxyURL, _ := url.Parse(p.URL())
	tr := &http.Transport{Proxy: http.ProxyURL(proxyURL), TLSClientConfig: &tls.Config{RootCAs: p.CA().Pool()}}
	defer tr.CloseIdleConnections()
	res, err := (&http.Client{Transport: tr}).Get("http://localhost:8000/greeting")
	if err != nil {
		log.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	fmt.Println(res.StatusCode, string(body))

	sum, err := p.Close()
	if err != nil {
		log.Fatal(err)
	}
	for _, h := range sum.Recorded {
		fmt.Println("recorded", h.Host, h.Count)
	}
	fmt.Println("saved", sum.Interactions, "interactions")
	// Output:
	// 200 hello
	// recorded localhost:8000 1
	// saved 1 interactions
}
