package cassettes_test

import (
	"errors"
	"fmt"
	"log"
	"os"

	"github.com/corsvcr/corsvcr/cassettes"
)

func ExampleLoad() {
	c, err := cassettes.Load("testdata/doc-example.yaml")
	if err != nil {
		log.Fatal(err)
	}
	for _, it := range c.Interactions {
		allow := it.Response.Headers.Values("Access-Control-Allow-Origin")
		fmt.Printf("%-9s %-7s %s %d %q\n", it.Kind, it.Request.Method, it.Request.URL, it.Response.Status, allow)
	}
	// Output:
	// preflight OPTIONS http://localhost:8000/api/v1/stats 204 ["http://localhost:8080" "*"]
	// actual    POST    http://localhost:8000/api/v1/stats 200 []
	// other     GET     http://localhost:8080/ 200 []
}

func ExampleEncode() {
	c := &cassettes.Cassette{
		Meta: cassettes.Meta{Corsvcr: "0.1.0"},
		Interactions: []cassettes.Interaction{{
			Kind: cassettes.KindActual,
			Request: cassettes.Request{
				Method: "GET",
				URL:    "http://localhost:8000/api/items",
				Headers: cassettes.Headers{
					{Name: "Origin", Value: "http://localhost:8080"},
				},
			},
			Response: cassettes.Response{
				Status: 200,
				Headers: cassettes.Headers{
					{Name: "Access-Control-Allow-Origin", Value: "*"},
					{Name: "Content-Type", Value: "application/json"},
				},
				Body: cassettes.Body(`[{"id":1}]`),
			},
		}},
	}
	data, err := cassettes.Encode(c)
	if err != nil {
		log.Fatal(err)
	}
	os.Stdout.Write(data)
	// Output:
	// version: 1
	// meta:
	//   corsvcr: "0.1.0"
	// interactions:
	//   - kind: actual
	//     request:
	//       method: GET
	//       url: http://localhost:8000/api/items
	//       headers:
	//         - {name: Origin, value: "http://localhost:8080"}
	//     response:
	//       status: 200
	//       headers:
	//         - {name: Access-Control-Allow-Origin, value: "*"}
	//         - {name: Content-Type, value: application/json}
	//       body: '[{"id":1}]'
}

// Decode reports every problem of a hand-edited cassette at once.
func ExampleDecode_errors() {
	data := []byte(`version: 1
interactions:
  - kind: preflight
    request:
      method: OPTIONS
      url: /api/items
      hedaers:
        - {name: Origin, value: "http://localhost:8080"}
    response:
      status: 2000
`)
	_, err := cassettes.Decode("items.yaml", data)
	fmt.Println(err)

	var fe *cassettes.FieldError
	if errors.As(err, &fe) {
		fmt.Println("first problem on line", fe.Line)
	}
	// Output:
	// cassettes: load "items.yaml": interaction 0 (line 6): request.url: "/api/items" is not an absolute http or https URL
	// cassettes: load "items.yaml": interaction 0 (line 7): request: unknown key "hedaers" (did you mean "headers"?)
	// cassettes: load "items.yaml": interaction 0 (line 10): response.status: 2000 is not a valid HTTP status
	// first problem on line 6
}

func ExampleVersionError() {
	_, err := cassettes.Decode("future.yaml", []byte("version: 2\n"))
	var ve *cassettes.VersionError
	if errors.As(err, &ve) {
		fmt.Println(ve.Found, ve.Supported)
	}
	fmt.Println(err)
	// Output:
	// 2 1
	// cassettes: load "future.yaml": format version 2 is newer than this corsvcr supports (1); upgrade corsvcr
}
