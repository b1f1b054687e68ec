// Package cassettestest builds cassette values for tests, as httptest does
// for net/http.
package cassettestest

import "github.com/corsvcr/corsvcr/cassettes"

// Headers builds Headers from name, value pairs, in order:
// Headers("Origin", "http://app.test", "Cookie", "a=1"). A trailing name
// without a value is ignored.
func Headers(kv ...string) cassettes.Headers {
	var hs cassettes.Headers
	for i := 0; i+1 < len(kv); i += 2 {
		hs = append(hs, cassettes.Header{Name: kv[i], Value: kv[i+1]})
	}
	return hs
}

// ChromeRequestHeaders returns the header fields Chrome 156 sends on a
// cross-origin fetch from origin to host, as a recording holds them: for
// "OPTIONS" the preflight of a PUT with a JSON body, for "PUT" that PUT,
// else a GET.
func ChromeRequestHeaders(method, host, origin string) cassettes.Headers {
	h := cassettes.Headers{
		{Name: "Host", Value: host},
		{Name: "Connection", Value: "keep-alive"},
		{Name: "sec-ch-ua-platform", Value: `"Linux"`},
		{Name: "User-Agent", Value: "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/156.0.0.0 Safari/537.36"},
		{Name: "sec-ch-ua", Value: `"Chromium";v="156", "Not)A;Brand";v="24"`},
		{Name: "sec-ch-ua-mobile", Value: "?0"},
		{Name: "Accept", Value: "*/*"},
		{Name: "Origin", Value: origin},
		{Name: "Sec-Fetch-Site", Value: "cross-site"},
		{Name: "Sec-Fetch-Mode", Value: "cors"},
		{Name: "Sec-Fetch-Dest", Value: "empty"},
		{Name: "Referer", Value: origin + "/"},
		{Name: "Accept-Encoding", Value: "gzip, deflate, br, zstd"},
		{Name: "Accept-Language", Value: "en-US,en;q=0.9"},
	}
	switch method {
	case "OPTIONS":
		h = append(h[:7:7],
			cassettes.Header{Name: "Access-Control-Request-Method", Value: "PUT"},
			cassettes.Header{Name: "Access-Control-Request-Headers", Value: "content-type"},
			cassettes.Header{Name: "Origin", Value: origin},
			cassettes.Header{Name: "Sec-Fetch-Mode", Value: "cors"})
	case "PUT":
		h = append(h, cassettes.Header{Name: "Content-Type", Value: "application/json"})
	}
	return h
}
