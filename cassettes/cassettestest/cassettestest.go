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
