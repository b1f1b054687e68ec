package integration

import (
	"bufio"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestCLIServe: `corsvcr serve` answers direct clients (a dev server calling
// it by address) and proxy clients from the cassette, byte-faithful for the
// CORS headers, reports a miss as a miss (599, not a CORS failure), and
// exits 4 on interrupt after a miss.
func TestCLIServe(t *testing.T) {
	cmd := exec.CommandContext(testContext(t), corsvcrBin, "serve", "--cassette", demoCassette, "--host", "localhost:8000")
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	require.NoError(t, cmd.Start())
	line, err := bufio.NewReader(stdout).ReadString('\n')
	require.NoError(t, err, "stderr: %s", stderr.String())
	addr := regexp.MustCompile(`at (http://127\.0\.0\.1:\d+)`).FindStringSubmatch(line)
	require.Len(t, addr, 2, "no address in %q", line)
	base := addr[1]

	get := func(client *http.Client, rawURL string) (*http.Response, string) {
		req, err := http.NewRequest("GET", rawURL, nil)
		require.NoError(t, err)
		req.Header.Set("Origin", "http://localhost:8080")
		res, err := client.Do(req)
		require.NoError(t, err)
		defer res.Body.Close()
		body, err := io.ReadAll(res.Body)
		require.NoError(t, err)
		return res, string(body)
	}

	// Direct: the path is matched against localhost:8000 (--host).
	res, body := get(http.DefaultClient, base+"/api/v1/items")
	assert.Equal(t, 200, res.StatusCode)
	assert.Equal(t, "http://localhost:8080", res.Header.Get("Access-Control-Allow-Origin"))
	assert.Equal(t, "X-Total-Count", res.Header.Get("Access-Control-Expose-Headers"))
	assert.Contains(t, body, `"first"`)

	// As a proxy: the recorded origin is reproduced, nothing is dialed.
	proxyURL, err := url.Parse(base)
	require.NoError(t, err)
	proxied := &http.Client{Transport: &http.Transport{Proxy: http.ProxyURL(proxyURL)}}
	res, _ = get(proxied, "http://localhost:8001/messages")
	assert.Equal(t, 200, res.StatusCode)
	assert.Equal(t, "*", res.Header.Get("Access-Control-Allow-Origin"))

	// A miss is a 599 with an explanation, never a fake CORS failure.
	res, body = get(http.DefaultClient, base+"/api/v1/nothing-here")
	assert.Equal(t, 599, res.StatusCode)
	assert.NotEmpty(t, res.Header.Get("X-Corsvcr-Miss"))
	assert.Contains(t, body, "replay: no recorded interaction for GET http://localhost:8000/api/v1/nothing-here")

	require.NoError(t, cmd.Process.Signal(os.Interrupt))
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err = <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("corsvcr serve did not stop on interrupt")
	}
	var ee *exec.ExitError
	require.ErrorAs(t, err, &ee)
	assert.Equal(t, 4, ee.ExitCode(), "a replay miss happened while serving")
	assert.Contains(t, stderr.String(), "replay miss")
}
