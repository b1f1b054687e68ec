package integration

import (
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/corsvcr/corsvcr/ca"
	"github.com/corsvcr/corsvcr/cassettes"
)

// proxyGet sends GET u with an Origin through the proxy at proxyURL,
// trusting the corsvcr CA in caDir, as a plain Go client does
// (Transport.Proxy and the CA's pool), and returns the status and body.
func proxyGet(t *testing.T, proxyURL, caDir, u string) (int, string) {
	t.Helper()
	pu, err := url.Parse(proxyURL)
	require.NoError(t, err)
	auth, err := ca.LoadOrCreate(caDir)
	require.NoError(t, err)
	tr := &http.Transport{Proxy: http.ProxyURL(pu), TLSClientConfig: &tls.Config{RootCAs: auth.Pool()}, DisableKeepAlives: true}
	req, err := http.NewRequest("GET", u, nil)
	require.NoError(t, err)
	req.Header.Set("Origin", "http://app.shop.test")
	res, err := tr.RoundTrip(req)
	require.NoError(t, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return res.StatusCode, string(b)
}

// TestProxyKill9KeepsSaves: a recording `corsvcr proxy` saves while it
// runs; killed with SIGKILL it leaves a valid cassette holding everything
// up to its last save. Then record-missing appends what the cassette lacks,
// and a replay of the result with the server gone answers everything and
// exits 4, listing the miss, for a request never recorded.
func TestProxyKill9KeepsSaves(t *testing.T) {
	var hits atomic.Int32
	addr, stopAPI := harServe(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("Access-Control-Allow-Origin", "http://app.shop.test")
		fmt.Fprintf(w, "live %s", r.URL.Path)
	}))
	dir := t.TempDir()
	caDir := filepath.Join(dir, "ca")
	cas := filepath.Join(dir, "kill9.yaml")
	up := []string{"--upstream", "api.shop.test=" + addr, "--ca-dir", caDir}

	rec := startProxy(t, append([]string{"--mode", "record", "--cassette", cas, "--save-every", "20ms"}, up...)...)
	for n := 1; n <= 2; n++ {
		status, body := proxyGet(t, rec.url, caDir, fmt.Sprintf("http://api.shop.test/%d", n))
		require.Equal(t, 200, status)
		require.Equal(t, fmt.Sprintf("live /%d", n), body)
		rec.waitLine(t, fmt.Sprintf("saved %s: %d interaction", cas, n))
	}
	require.NoError(t, rec.cmd.Process.Signal(syscall.SIGKILL))
	assert.Equal(t, -1, rec.exitCode(t), "killed")
	c, err := cassettes.Load(cas)
	require.NoError(t, err, "a kill -9 leaves a valid cassette")
	require.Len(t, c.Interactions, 2, "everything up to the last save")
	assert.Equal(t, "http://api.shop.test/1", c.Interactions[0].Request.URL)
	assert.Equal(t, "http://api.shop.test/2", c.Interactions[1].Request.URL)

	// record-missing: /1 is replayed, /3 is recorded and appended.
	rm := startProxy(t, append([]string{"--mode", "record-missing", "--cassette", cas}, up...)...)
	before := hits.Load()
	status, body := proxyGet(t, rm.url, caDir, "http://api.shop.test/1")
	assert.Equal(t, 200, status)
	assert.Equal(t, "live /1", body)
	assert.Equal(t, before, hits.Load(), "a recorded request is replayed")
	_, body = proxyGet(t, rm.url, caDir, "http://api.shop.test/3")
	assert.Equal(t, "live /3", body)
	assert.Equal(t, before+1, hits.Load())
	require.Equal(t, 0, rm.stop(t))
	assert.Contains(t, rm.stdout(), "recorded interactions: 1\n    api.shop.test:80")
	assert.Contains(t, rm.stdout(), "wrote "+cas+": 3 interactions")
	c, err = cassettes.Load(cas)
	require.NoError(t, err)
	require.Len(t, c.Interactions, 3)
	assert.Equal(t, "http://api.shop.test/3", c.Interactions[2].Request.URL)

	// replay, offline: hits are served, a request never recorded is a miss:
	// 599, listed at exit, exit code 4.
	stopAPI()
	rp := startProxy(t, "--mode", "replay", "--cassette", cas, "--ca-dir", caDir)
	for _, n := range []int{1, 2, 3} {
		_, body := proxyGet(t, rp.url, caDir, fmt.Sprintf("http://api.shop.test/%d", n))
		assert.Equal(t, fmt.Sprintf("live /%d", n), body)
	}
	status, _ = proxyGet(t, rp.url, caDir, "http://api.shop.test/4")
	assert.Equal(t, 599, status)
	assert.Equal(t, 4, rp.stop(t))
	assert.Contains(t, rp.stdout(), "replay misses: 1\n    1× replay: no recorded interaction for GET http://api.shop.test/4")
	assert.Contains(t, rp.stderr.String(), "corsvcr: proxy: 1 replay miss (1 distinct)")
}

// TestProxyFailuresListed: an exchange with a server that cannot be reached
// is a network error for the client, not recorded, listed at exit, and
// exit code 1; the complete exchanges are written.
func TestProxyFailuresListed(t *testing.T) {
	addr, _ := harServe(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "ok") }))
	down, stopDown := harServe(t, http.NotFoundHandler())
	stopDown()
	dir := t.TempDir()
	caDir := filepath.Join(dir, "ca")
	cas := filepath.Join(dir, "c.yaml")
	p := startProxy(t, "--mode", "record", "--cassette", cas, "--ca-dir", caDir,
		"--upstream", "api.shop.test="+addr, "--upstream", "down.shop.test="+down)
	status, _ := proxyGet(t, p.url, caDir, "http://api.shop.test/ok")
	assert.Equal(t, 200, status)
	pu, err := url.Parse(p.url)
	require.NoError(t, err)
	_, err = (&http.Transport{Proxy: http.ProxyURL(pu), DisableKeepAlives: true}).RoundTrip(must(http.NewRequest("GET", "http://down.shop.test/x", nil)))
	assert.Error(t, err, "the client sees its connection fail, as without a proxy")
	assert.Equal(t, 1, p.stop(t))
	assert.Contains(t, p.stdout(), "failed exchanges (not in the cassette; rerun them when the servers answer): 1\n    GET http://down.shop.test/x: upstream down.shop.test:80 unreachable")
	assert.Contains(t, p.stdout(), "wrote "+cas+": 1 interaction")
	assert.Contains(t, p.stderr.String(), "corsvcr: proxy: 1 exchange with live servers failed and is not recorded")
	c, err := cassettes.Load(cas)
	require.NoError(t, err)
	assert.Len(t, c.Interactions, 1)
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
