package main

import (
	"fmt"
	"strconv"

	"github.com/corsvcr/corsvcr/cassettes"
	"github.com/corsvcr/corsvcr/cassettes/cassettestest"
)

// The generated traffic: a page at pageOrigin calling an API at apiHost.
const (
	pageOrigin = "http://app.bench.test"
	apiHost    = "api.bench.test:8000"
)

// itemBody is the JSON the origin answers for item i; the generated
// cassette records exactly these bytes, so that the bare origin and the
// replay serve the same response.
func itemBody(i int) []byte {
	return fmt.Appendf(nil, `{"id":%d,"name":"item %d","tags":["bench","cors"],"price":%d.50}`, i, i, i%1000)
}

// apiResponseHeaders are the headers the origin sends on an item (besides
// Date and Content-Length, which net/http adds).
var apiResponseHeaders = [][2]string{
	{"Access-Control-Allow-Origin", pageOrigin},
	{"Access-Control-Expose-Headers", "X-Request-Id"},
	{"Cache-Control", "no-store"},
	{"Content-Type", "application/json"},
	{"Vary", "Origin"},
	{"X-Request-Id", "bench"},
}

// preflightHeaders answer a preflight for PUT with a JSON body.
var preflightHeaders = [][2]string{
	{"Access-Control-Allow-Origin", pageOrigin},
	{"Access-Control-Allow-Methods", "GET, PUT"},
	{"Access-Control-Allow-Headers", "content-type"},
	{"Access-Control-Max-Age", "600"},
	{"Vary", "Origin"},
}

func hdrs(kv [][2]string) cassettes.Headers {
	h := make(cassettes.Headers, 0, len(kv)+2)
	for _, p := range kv {
		h = append(h, cassettes.Header{Name: p[0], Value: p[1]})
	}
	return h
}

// chromeRequestHeaders are the header fields Chrome sends on a
// cross-origin fetch to the API, as a recording holds them.
func chromeRequestHeaders(method string) cassettes.Headers {
	return cassettestest.ChromeRequestHeaders(method, apiHost, pageOrigin)
}

// generate returns a cassette of n interactions that look like a recording
// of Chrome against the origin: for every item a GET; every third item also
// a preflight and a JSON PUT. GET /items/1..items(n) are all present.
func generate(n int) *cassettes.Cassette {
	c := &cassettes.Cassette{Version: cassettes.FormatVersion, Meta: cassettes.Meta{Corsvcr: "bench", Browser: "HeadlessChrome/156"}}
	c.Interactions = make([]cassettes.Interaction, 0, n)
	for i := 1; len(c.Interactions) < n; i++ {
		url := "http://" + apiHost + "/items/" + strconv.Itoa(i)
		body := itemBody(i)
		resp := hdrs(apiResponseHeaders)
		resp = append(resp,
			cassettes.Header{Name: "Date", Value: cassettes.RecordedDate},
			cassettes.Header{Name: "Content-Length", Value: strconv.Itoa(len(body))})
		c.Interactions = append(c.Interactions, cassettes.Interaction{
			Kind:     cassettes.KindActual,
			Request:  cassettes.Request{Method: "GET", URL: url, Headers: chromeRequestHeaders("GET")},
			Response: cassettes.Response{Status: 200, Headers: resp, Body: body},
		})
		if i%3 != 0 || len(c.Interactions)+2 > n {
			continue
		}
		pre := append(hdrs(preflightHeaders),
			cassettes.Header{Name: "Date", Value: cassettes.RecordedDate},
			cassettes.Header{Name: "Content-Length", Value: "0"})
		c.Interactions = append(c.Interactions,
			cassettes.Interaction{
				Kind:     cassettes.KindPreflight,
				Request:  cassettes.Request{Method: "OPTIONS", URL: url, Headers: chromeRequestHeaders("OPTIONS")},
				Response: cassettes.Response{Status: 204, Headers: pre},
			},
			cassettes.Interaction{
				Kind:     cassettes.KindActual,
				Request:  cassettes.Request{Method: "PUT", URL: url, Headers: chromeRequestHeaders("PUT"), Body: body},
				Response: cassettes.Response{Status: 200, Headers: resp, Body: body},
			})
	}
	return c
}

// checkFile returns a check file of gets GET checks (items 1..gets) and
// puts preflighted PUT checks (items putFrom..), distinct URLs of the API.
func checkFile(gets, puts, putFrom int) []byte {
	b := fmt.Appendf(nil, "version: 1\npage: %s\nchecks:\n", pageOrigin)
	for i := 1; i <= gets; i++ {
		url := "http://" + apiHost + "/items/" + strconv.Itoa(i)
		b = fmt.Appendf(b, "  - name: get-%d\n    request: {url: %q}\n    expect: {allowed: true, status: 200, preflights: 0}\n", i, url)
	}
	for i := putFrom; i < putFrom+puts; i++ {
		url := "http://" + apiHost + "/items/" + strconv.Itoa(i)
		b = fmt.Appendf(b, "  - name: put-%d\n    request: {url: %q, method: PUT, headers: {Content-Type: application/json}, body: %q}\n    expect: {allowed: true, status: 200, preflights: 1}\n",
			i, url, string(itemBody(i)))
	}
	return b
}
