package integration

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/corsvcr/corsvcr/checks"
	"github.com/corsvcr/corsvcr/vcr"
)

// TestMixedCaseHeadersReplay: an origin sends one header name in different
// case, lower case first ("access-control-allow-origin" then
// "Access-Control-Allow-Origin"). Chrome joins the lines in the order it
// gets them, and its CORS error quotes the joined value; the replay must
// send them in that order too, though net/http writes header names sorted
// by their bytes (upper case first). And "Pragma: no-cache" alone: the
// recording proxy must not hand Chrome the Cache-Control (a safelisted,
// readable header) net/http's reader adds, which the cassette does not
// hold. Live equals replay, failed parameter, console text and readable
// headers included, in both orders and each check alone.
func TestMixedCaseHeadersReplay(t *testing.T) {
	ups := serveLoopback(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, brw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			panic(err)
		}
		defer c.Close()
		head := "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\nConnection: close\r\n"
		switch r.URL.Path {
		case "/two-origins":
			head += "access-control-allow-origin: http://other.example\r\nAccess-Control-Allow-Origin: http://localhost:8080\r\n"
		case "/pragma":
			head += "Access-Control-Allow-Origin: http://localhost:8080\r\nPragma: no-cache\r\n"
		case "/exposed":
			head += "access-control-allow-origin: http://localhost:8080\r\n" +
				"access-control-expose-headers: x-b\r\nAccess-Control-Expose-Headers: x-a\r\nX-A: 1\r\nX-B: 2\r\n"
		}
		brw.WriteString(head + "\r\nok")
		brw.Flush()
	}), []string{"localhost:8080", "localhost:8000"})
	file, err := checks.Parse("mixed-case.yaml", []byte(`version: 1
page: http://localhost:8080
checks:
  - name: two-origins
    request: {url: http://localhost:8000/two-origins}
    expect: {allowed: false}
  - name: pragma
    request: {url: http://localhost:8000/pragma}
    expect: {allowed: true, status: 200}
  - name: exposed
    request: {url: http://localhost:8000/exposed}
    expect: {allowed: true, status: 200}
`))
	require.NoError(t, err)
	live, recorded := recordChecks(t, file, vcr.Config{Upstreams: ups})
	for _, c := range file.Checks {
		for _, m := range c.Mismatches(live[c.Name]) {
			t.Errorf("check %q: live verdict vs its expectation: %s", c.Name, m)
		}
	}
	cas := viaFile(t, recorded)
	assert.Equal(t, live, replayChecks(t, file, cas, vcr.Config{}), "replay vs live")
	assert.Equal(t, live, replayChecks(t, reverseChecks(file), cas, vcr.Config{}), "replay in reverse order vs live")
	assert.Equal(t, live, replayEachAlone(t, file, cas), "each check replayed alone vs live")
}
