package replay_test

import (
	"fmt"
	"io"
	"net/http"
	"net/url"

	"github.com/corsvcr/corsvcr/cassettes"
	"github.com/corsvcr/corsvcr/replay"
)

// A replay server used as an HTTP proxy answers with the recorded response,
// duplicate Access-Control-Allow-Origin lines included, and reports a
// request it has no answer for in the journal.
func Example() {
	c := &cassettes.Cassette{Interactions: []cassettes.Interaction{{
		Kind: cassettes.KindActual,
		Request: cassettes.Request{
			Method:  "GET",
			URL:     "http://api.example.test:8000/items",
			Headers: cassettes.Headers{{Name: "Origin", Value: "http://app.example.test"}},
		},
		Response: cassettes.Response{
			Status: 200,
			Headers: cassettes.Headers{
				{Name: "Access-Control-Allow-Origin", Value: "http://app.example.test"},
				{Name: "Access-Control-Allow-Origin", Value: "*"},
			},
			Body: cassettes.Body("[]"),
		},
	}}}
	s, err := replay.NewServer(replay.Config{Cassette: c}, "")
	if err != nil {
		panic(err)
	}
	defer s.Close()

	proxy, _ := url.Parse(s.URL())
	tr := &http.Transport{Proxy: http.ProxyURL(proxy)}
	defer tr.CloseIdleConnections()
	get := func(path, origin string) {
		req, _ := http.NewRequest("GET", "http://api.example.test:8000"+path, nil)
		req.Header.Set("Origin", origin)
		resp, err := tr.RoundTrip(req)
		if err != nil {
			panic(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		fmt.Printf("%d %q %q\n", resp.StatusCode, resp.Header.Values("Access-Control-Allow-Origin"), body[:min(len(body), 12)])
	}
	get("/items", "http://app.example.test")
	get("/items", "http://other.example.test")

	for _, e := range s.Journal() {
		if e.Miss != nil {
			fmt.Println(e.Miss)
		}
	}
	// Output:
	// 200 ["http://app.example.test" "*"] "[]"
	// 599 ["http://other.example.test"] "replay: no r"
	// replay: no recorded interaction for GET http://api.example.test:8000/items (Origin "http://other.example.test"); closest #0 differs in Origin: "http://other.example.test" != "http://app.example.test"
}
