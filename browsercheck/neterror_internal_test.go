package browsercheck

import "testing"

// Only a connection that could not be made or broke is a network error; a
// CORS block (ERR_FAILED), an ORB block (ERR_ABORTED) and failures Chrome
// decides from a recordable response stay verdicts that replay.
func TestTransportError(t *testing.T) {
	t.Parallel()
	for text, want := range map[string]bool{
		"net::ERR_EMPTY_RESPONSE":              true,
		"net::ERR_CONNECTION_REFUSED":          true,
		"net::ERR_CONNECTION_RESET":            true,
		"net::ERR_CONTENT_LENGTH_MISMATCH":     true,
		"net::ERR_INCOMPLETE_CHUNKED_ENCODING": true,
		"net::ERR_CERT_AUTHORITY_INVALID":      true,
		"net::ERR_SSL_PROTOCOL_ERROR":          true,
		"net::ERR_FAILED":                      false,
		"net::ERR_ABORTED":                     false,
		"net::ERR_TOO_MANY_REDIRECTS":          false,
		"net::ERR_CONTENT_DECODING_FAILED":     false,
		"":                                     false,
	} {
		if got := transportError(text); got != want {
			t.Errorf("transportError(%q) = %v, want %v", text, got, want)
		}
	}
}
