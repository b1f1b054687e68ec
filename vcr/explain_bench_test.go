package vcr_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/corsvcr/corsvcr/cassettes"
	"github.com/corsvcr/corsvcr/vcr"
)

// explainCassette generates a cassette of n interactions shaped like a
// Chrome recording of an API: credentialed PUTs, each a preflight and an
// actual request, and plain GETs. Every fifth preflight lacks
// Access-Control-Allow-Origin (its check needs fixes, and its actual
// request was never sent: the fix adds it), and every seventh GET answers
// with a wildcard to a credentialed request (a fix on the actual response).
func explainCassette(n int) *cassettes.Cassette {
	const app, api = "http://localhost:8080", "http://localhost:8000"
	h := func(lines ...string) cassettes.Headers {
		var hs cassettes.Headers
		for _, l := range lines {
			var name, value string
			for i := range len(l) {
				if l[i] == ':' {
					name, value = l[:i], l[i+2:]
					break
				}
			}
			hs = append(hs, cassettes.Header{Name: name, Value: value})
		}
		return hs
	}
	cas := &cassettes.Cassette{Version: cassettes.FormatVersion}
	add := func(kind cassettes.Kind, method, u string, req cassettes.Headers, status int, resp cassettes.Headers, body string) {
		cas.Interactions = append(cas.Interactions, cassettes.Interaction{
			Kind:     kind,
			Request:  cassettes.Request{Method: method, URL: u, Headers: req},
			Response: cassettes.Response{Status: status, Headers: resp, Body: cassettes.Body(body)},
		})
	}
	for i := 0; len(cas.Interactions) < n; i++ {
		u := fmt.Sprintf("%s/api/v1/items/%d", api, i)
		switch {
		case i%2 == 0 && i%5 == 0: // a broken preflight: no actual request recorded
			add(cassettes.KindPreflight, "OPTIONS", u, h("Origin: "+app, "Access-Control-Request-Method: PUT", "Access-Control-Request-Headers: content-type"),
				204, h("Access-Control-Allow-Methods: GET, PUT", "Access-Control-Allow-Headers: content-type"), "")
		case i%2 == 0:
			add(cassettes.KindPreflight, "OPTIONS", u, h("Origin: "+app, "Access-Control-Request-Method: PUT", "Access-Control-Request-Headers: content-type"),
				204, h("Access-Control-Allow-Origin: "+app, "Access-Control-Allow-Methods: GET, PUT", "Access-Control-Allow-Headers: content-type",
					"Access-Control-Allow-Credentials: true", "Vary: Origin"), "")
			if len(cas.Interactions) < n {
				add(cassettes.KindActual, "PUT", u, h("Origin: "+app, "Content-Type: application/json", "Cookie: s=1"),
					200, h("Content-Type: application/json", "Access-Control-Allow-Origin: "+app, "Access-Control-Allow-Credentials: true", "Vary: Origin"), `{"ok":true}`)
			}
		case i%7 == 1:
			add(cassettes.KindActual, "GET", u, h("Origin: "+app, "Cookie: s=1"),
				200, h("Content-Type: application/json", "Access-Control-Allow-Origin: *"), `{"id":1}`)
		default:
			add(cassettes.KindActual, "GET", u, h("Origin: "+app, "Cookie: s=1"),
				200, h("Content-Type: application/json", "Access-Control-Allow-Origin: "+app, "Access-Control-Allow-Credentials: true", "Vary: Origin"), `{"id":1}`)
		}
	}
	return cas
}

// BenchmarkExplain explains every exchange of generated cassettes (explain
// without --checks): its cost must grow linearly with the cassette.
func BenchmarkExplain(b *testing.B) {
	for _, n := range []int{1000, 2000, 4000, 8000} {
		b.Run(fmt.Sprintf("interactions=%d", n), func(b *testing.B) {
			cas := explainCassette(n)
			b.ReportAllocs()
			for b.Loop() {
				exs, err := vcr.Explain(context.Background(), cas, nil)
				if err != nil {
					b.Fatal(err)
				}
				if len(exs) == 0 || len(vcr.Fixes(exs)) == 0 {
					b.Fatalf("%d explanations, %d fixes: the cassette exercises nothing", len(exs), len(vcr.Fixes(exs)))
				}
			}
		})
	}
}
