package integration

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/corsvcr/corsvcr/internal/faulttest"
)

// closedPort returns a loopback address nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())
	return addr
}

// recordShop records shopChecks against a working shop API into a new
// cassette and returns its path and bytes: the cassette a broken recording
// must not replace.
func recordShop(t *testing.T, dir string) (checksPath, cas string, data []byte) {
	t.Helper()
	checksPath = filepath.Join(dir, "checks.yaml")
	require.NoError(t, os.WriteFile(checksPath, []byte(shopChecks), 0o644))
	cas = filepath.Join(dir, "shop.yaml")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := &http.Server{Handler: shopAPI(), ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	r := corsvcr(t, "record", "--checks", checksPath, "--cassette", cas, "--upstream", "localhost:9100="+ln.Addr().String())
	srv.Close()
	require.Equal(t, 0, r.code, "record: %s%s", r.stdout, r.stderr)
	data, err = os.ReadFile(cas)
	require.NoError(t, err)
	require.Contains(t, string(data), "localhost:9100/products")
	return checksPath, cas, data
}

// TestCLIRecordServerDown: with the server down, `corsvcr record` reports
// network errors naming the host and "connection refused", never a CORS
// verdict, exits 1, leaves the existing cassette byte for byte unchanged
// and creates none; --save-incomplete writes it anyway.
func TestCLIRecordServerDown(t *testing.T) {
	dir := t.TempDir()
	checksPath, cas, before := recordShop(t, dir)
	down := closedPort(t)

	r := corsvcr(t, "record", "--checks", checksPath, "--cassette", cas, "--upstream", "localhost:9100="+down)
	t.Logf("stdout:\n%s\nstderr:\n%s", r.stdout, r.stderr)
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stdout, "network error net::ERR_")
	assert.Contains(t, r.stdout, "upstream localhost:9100 unreachable: dial tcp "+down+": connect: connection refused")
	assert.NotContains(t, r.stdout, "blocked")
	assert.NotContains(t, r.stdout, "MissingAllowOriginHeader")
	assert.NotContains(t, r.stdout, "Access-Control-Allow-Origin")
	assert.Contains(t, r.stderr, "not written: the recording is incomplete: ")
	assert.Contains(t, r.stderr, "the existing file is unchanged")
	assert.Contains(t, r.stderr, "--save-incomplete")
	after, err := os.ReadFile(cas)
	require.NoError(t, err)
	assert.Equal(t, string(before), string(after), "the existing cassette is unchanged")

	fresh := filepath.Join(dir, "new.yaml")
	r = corsvcr(t, "record", "--checks", checksPath, "--cassette", fresh, "--json", "--upstream", "localhost:9100="+down)
	assert.Equal(t, 1, r.code)
	rep := parseReport(t, r)
	assert.Empty(t, rep.Cassette, "the JSON report names no cassette: none was written")
	require.Len(t, rep.Checks, 4)
	for _, c := range rep.Checks {
		require.Len(t, c.Verdicts, 1, c.Name)
		assert.True(t, strings.HasPrefix(c.Verdicts[0].NetworkError, "net::ERR_"), "%s: %+v", c.Name, c.Verdicts)
		assert.Empty(t, c.Verdicts[0].CorsError, c.Name)
		assert.Empty(t, c.Mismatches, "%s: a network error is not a mismatch", c.Name)
		require.NotEmpty(t, c.Upstream, c.Name)
		assert.Contains(t, c.Upstream[0], "connection refused")
	}
	_, err = os.Stat(fresh)
	assert.True(t, os.IsNotExist(err), "no cassette created: %v", err)

	r = corsvcr(t, "record", "--checks", checksPath, "--cassette", cas, "--save-incomplete", "--upstream", "localhost:9100="+down)
	assert.Equal(t, 1, r.code, "still a harness failure: %s%s", r.stdout, r.stderr)
	after, err = os.ReadFile(cas)
	require.NoError(t, err)
	assert.NotEqual(t, string(before), string(after), "--save-incomplete writes")
	assert.Contains(t, string(after), "interactions: []")
}

// TestCLIBrokenConnections: an origin that closes in the middle of a body,
// resets the connection or hangs is a network error live — not a timeout,
// not a CORS error — and, forced into a cassette, nothing of it replays as
// an answer.
func TestCLIBrokenConnections(t *testing.T) {
	const oneCheck = `version: 1
page: http://localhost:5173
checks:
  - name: get
    request: {url: "http://localhost:9100/products"}
    expect: {allowed: true, status: 200}
`
	tests := []struct {
		name  string
		fault func(c *net.TCPConn, done <-chan struct{})
		cause string
	}{
		{
			name: "closed in the middle of the body",
			fault: func(c *net.TCPConn, _ <-chan struct{}) {
				io.WriteString(c, "HTTP/1.1 200 OK\r\nAccess-Control-Allow-Origin: *\r\nContent-Type: text/plain\r\nContent-Length: 100\r\n\r\n0123456789")
			},
			cause: "upstream localhost:9100 broke off the response body after 10 bytes: unexpected EOF",
		},
		{
			name:  "reset",
			fault: func(c *net.TCPConn, _ <-chan struct{}) { c.SetLinger(0) },
			cause: "upstream localhost:9100 reset the connection before responding",
		},
		{
			name:  "hangs",
			fault: func(c *net.TCPConn, done <-chan struct{}) { <-done },
			cause: "upstream localhost:9100: no response within 2.4s",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			checksPath := filepath.Join(dir, "checks.yaml")
			require.NoError(t, os.WriteFile(checksPath, []byte(oneCheck), 0o644))
			up := "localhost:9100=" + faulttest.Origin(t, tt.fault)

			live := corsvcr(t, "check", "--checks", checksPath, "--json", "--timeout", "3s", "--upstream", up)
			assert.Equal(t, 1, live.code, live.stdout+live.stderr)
			rep := parseReport(t, live)
			require.Len(t, rep.Checks, 1)
			c := rep.Checks[0]
			assert.Empty(t, c.Error, "a verdict, not a harness timeout")
			require.Len(t, c.Verdicts, 1)
			v := c.Verdicts[0]
			t.Logf("live verdict: %+v; upstream: %q", v, c.Upstream)
			assert.True(t, strings.HasPrefix(v.NetworkError, "net::ERR_"), "network error %q", v.NetworkError)
			assert.Empty(t, v.CorsError)
			require.NotEmpty(t, c.Upstream)
			assert.Contains(t, c.Upstream[0], tt.cause)

			cas := filepath.Join(dir, "forced.yaml")
			rec := corsvcr(t, "record", "--checks", checksPath, "--cassette", cas, "--timeout", "3s", "--save-incomplete", "--upstream", up)
			assert.Equal(t, 1, rec.code, rec.stdout+rec.stderr)
			assert.Contains(t, rec.stdout, "network error net::ERR_")
			data, err := os.ReadFile(cas)
			require.NoError(t, err)
			assert.Contains(t, string(data), "interactions: []", "the failed exchange is not in the cassette")

			replayed := corsvcr(t, "check", "--checks", checksPath, "--cassette", cas, "--json")
			assert.Equal(t, 4, replayed.code, "a miss, not an answer: %s%s", replayed.stdout, replayed.stderr)
			rr := parseReport(t, replayed)
			require.Len(t, rr.Checks, 1)
			assert.NotEmpty(t, rr.Checks[0].Misses)
			for _, v := range rr.Checks[0].Verdicts {
				assert.False(t, v.Allowed && v.Status == 200, "replayed as 200: %+v", v)
			}
		})
	}
}

// TestCLIHTTPSUntrustedUpstream: an https origin whose certificate comes
// from a private CA, recorded without --upstream-ca, is a network error
// with the x509 cause and a hint, exit 1, and no cassette.
func TestCLIHTTPSUntrustedUpstream(t *testing.T) {
	const oneCheck = `version: 1
page: https://app.example.com
checks:
  - name: get
    request: {url: "https://api.example.net/allowed"}
`
	dir := t.TempDir()
	checksPath := filepath.Join(dir, "checks.yaml")
	require.NoError(t, os.WriteFile(checksPath, []byte(oneCheck), 0o644))
	addr, _, _ := startHTTPSAPI(t)
	cas := filepath.Join(dir, "https.yaml")
	r := corsvcr(t, "record", "--checks", checksPath, "--cassette", cas, "--ca-dir", filepath.Join(dir, "ca"),
		"--upstream", "api.example.net="+addr)
	t.Logf("stdout:\n%s\nstderr:\n%s", r.stdout, r.stderr)
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stdout, "network error net::ERR_")
	assert.Contains(t, r.stdout, "upstream api.example.net:443: TLS handshake failed: ")
	assert.Contains(t, r.stdout, "x509: certificate signed by unknown authority")
	assert.Contains(t, r.stderr, "--upstream-ca")
	_, err := os.Stat(cas)
	assert.True(t, os.IsNotExist(err), "no cassette written: %v", err)
}

// TestCLIInterrupted: SIGINT in the middle of a long run, to corsvcr alone
// or to its process group as Ctrl-C in a terminal sends it (Chrome
// included), makes it exit non-zero saying it was interrupted and how many
// checks did not run, and leaves the existing cassette unchanged.
func TestCLIInterrupted(t *testing.T) {
	for _, group := range []bool{false, true} {
		t.Run(fmt.Sprintf("group=%v", group), func(t *testing.T) {
			dir := t.TempDir()
			_, cas, before := recordShop(t, dir)
			checksPath := filepath.Join(dir, "many.yaml")
			require.NoError(t, os.WriteFile(checksPath, []byte(manyChecks(80)), 0o644))

			addr, started, _ := countingShop(t, 5)
			p := startCLI(t, group, "", "record", "--checks", checksPath, "--cassette", cas, "--upstream", "localhost:9100="+addr)
			p.waitFor(t, started, "the checks reached the server")
			p.interrupt(t, group)
			werr := p.wait(t, 60*time.Second, "on SIGINT")
			out, errOut := &p.out, p.errOut
			var ee *exec.ExitError
			require.ErrorAs(t, werr, &ee)
			assert.Equal(t, 1, ee.ExitCode())
			assert.Regexp(t, `interrupted: \d+ of 80 checks did not run`, out.String())
			assert.Regexp(t, `interrupted: \d+ checks did not run`, errOut.String())
			assert.Contains(t, errOut.String(), "the existing file is unchanged")
			after, err := os.ReadFile(cas)
			require.NoError(t, err)
			assert.Equal(t, string(before), string(after), "the existing cassette is unchanged")
			// The table accounts for every check: those that ran plus
			// those that did not.
			ran := strings.Count(out.String(), "\nc0")
			var notRun int
			fmt.Sscanf(out.String()[strings.Index(out.String(), "interrupted: "):], "interrupted: %d", &notRun)
			assert.Equal(t, 80, ran+notRun, "checks shown %d + not run %d", ran, notRun)
		})
	}
}
