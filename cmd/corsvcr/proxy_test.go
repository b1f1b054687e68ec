package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/corsvcr/corsvcr/vcr"
)

func TestProxyUsageErrors(t *testing.T) {
	t.Parallel()
	cas := filepath.Join(t.TempDir(), "c.yaml")
	tests := []struct {
		name string
		args []string
		want string
	}{
		{name: "no cassette", args: []string{"proxy", "--mode", "record"}, want: "corsvcr: proxy: --cassette is required\n"},
		{name: "no mode", args: []string{"proxy", "--cassette", cas}, want: "corsvcr: proxy: --mode \"\" is not one of record, replay, record-missing\n"},
		{name: "bad mode", args: []string{"proxy", "--cassette", cas, "--mode", "live"}, want: "corsvcr: proxy: --mode \"live\" is not one of record, replay, record-missing\n"},
		{name: "strict record", args: []string{"proxy", "--cassette", cas, "--mode", "record", "--strict"}, want: "corsvcr: proxy: --strict needs --mode replay or record-missing\n"},
		{name: "map-origin record", args: []string{"proxy", "--cassette", cas, "--mode", "record", "--map-origin", "http://a.test=http://b.test"},
			want: "corsvcr: proxy: --map-origin needs --mode replay or record-missing and cannot be used with --strict (strict replay serves the recording unchanged)\n"},
		{name: "save-every zero", args: []string{"proxy", "--cassette", cas, "--mode", "record", "--save-every", "0s"}, want: "corsvcr: proxy: --save-every 0s: must be positive\n"},
		{name: "beyond loopback", args: []string{"proxy", "--cassette", cas, "--mode", "record", "--listen", "0.0.0.0:8888"},
			want: "corsvcr: proxy: --listen \"0.0.0.0:8888\": not a loopback address: a corsvcr proxy listens on loopback only (127.0.0.1:PORT, [::1]:PORT, localhost:PORT, or :PORT for 127.0.0.1); reach it from another machine through a tunnel such as ssh -L\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			code, _, stderr := corsvcrRun(t, tc.args...)
			assert.Equal(t, exitUsage, code)
			assert.Equal(t, tc.want, stderr)
		})
	}
}

// syncBuffer is a goroutine-safe strings.Builder.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestProxyReplayMissesExit4: `corsvcr proxy --mode replay` answers from the
// cassette, gives a request it lacks the 599 miss answer, lists the misses
// when it stops, with the requests replayed per host, and exits 4.
func TestProxyReplayMissesExit4(t *testing.T) {
	t.Parallel()
	cas := filepath.Join(t.TempDir(), "c.yaml")
	require.NoError(t, os.WriteFile(cas, []byte(`version: 1
interactions:
  - kind: actual
    request:
      method: GET
      url: http://api.shop.test/items
      headers:
        - {name: Origin, value: "http://app.shop.test"}
    response:
      status: 200
      headers:
        - {name: Access-Control-Allow-Origin, value: "http://app.shop.test"}
      body: items
`), 0o644))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	outR, outW := io.Pipe()
	var stdout, stderr syncBuffer
	code := make(chan int, 1)
	go func() {
		code <- run(ctx, []string{"proxy", "--cassette", cas, "--mode", "replay", "--ca-dir", filepath.Join(t.TempDir(), "ca")}, outW, &stderr)
		outW.Close()
	}()
	br := bufio.NewReader(outR)
	line, err := br.ReadString('\n')
	require.NoError(t, err)
	drained := make(chan struct{})
	go func() {
		defer close(drained)
		io.Copy(&stdout, br) //nolint:errcheck // the rest of stdout
	}()
	base := regexp.MustCompile(`http://127\.0\.0\.1:\d+`).FindString(line)
	require.NotEmpty(t, base, "proxy's first line: %q", line)
	pu, err := url.Parse(base)
	require.NoError(t, err)
	tr := &http.Transport{Proxy: http.ProxyURL(pu)}
	defer tr.CloseIdleConnections()
	get := func(u string) (int, string) {
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
	status, body := get("http://api.shop.test/items")
	assert.Equal(t, 200, status)
	assert.Equal(t, "items", body)
	status, _ = get("http://api.shop.test/cart")
	assert.Equal(t, 599, status)
	status, _ = get("http://update.googleapis.com/service/update2")
	assert.Equal(t, http.StatusServiceUnavailable, status, "background traffic: answered, not a miss")
	tr.CloseIdleConnections()
	cancel()
	assert.Equal(t, exitMiss, <-code)
	<-drained
	out := stdout.String()
	assert.Contains(t, out, "replayed from the cassette: 1\n    api.shop.test:80")
	assert.Contains(t, out, "replay misses: 1\n    1× replay: no recorded interaction for GET http://api.shop.test/cart")
	assert.Contains(t, out, "browser background requests answered locally (not forwarded or recorded): 1")
	assert.Equal(t, "corsvcr: proxy: 1 replay miss (1 distinct)\n", stderr.String())
}

// TestCAClients: `corsvcr ca` prints, for every client, how to use the
// proxy and trust the CA, with the real pin, certificate path and proxy
// address filled in.
func TestCAClients(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "ca")
	code, stdout, stderr := corsvcrRun(t, "ca", "--ca-dir", dir, "--proxy", "http://127.0.0.1:9123", "--json")
	require.Equal(t, exitOK, code, stderr)
	var info caInfo
	require.NoError(t, json.Unmarshal([]byte(stdout), &info))
	var names []string
	for _, c := range info.Clients {
		names = append(names, strings.Fields(c.Client)[0])
		assert.Contains(t, c.Snippet, "127.0.0.1", c.Client)
		if !strings.Contains(c.Snippet, info.SPKIPin) {
			assert.Contains(t, c.Snippet, info.CertFile, "%s: neither the pin nor the certificate", c.Client)
		}
		for _, ph := range []string{"{PROXY}", "{CERT}", "{PIN}", "{HOST}", "{PORT}"} {
			assert.NotContains(t, c.Snippet, ph, "%s: a placeholder left", c.Client)
		}
	}
	assert.Equal(t, []string{"Chrome", "Playwright", "Puppeteer", "Selenium", "Cypress", "Firefox", "Node", "curl", "Go"}, names)

	code, text, _ := corsvcrRun(t, "ca", "--ca-dir", dir, "--proxy", "http://127.0.0.1:9123")
	require.Equal(t, exitOK, code)
	assert.Contains(t, text, "--proxy-server=http://127.0.0.1:9123")
	assert.Contains(t, text, "--ignore-certificate-errors-spki-list="+info.SPKIPin)
	assert.Contains(t, text, "NODE_EXTRA_CA_CERTS="+info.CertFile)
	assert.Contains(t, text, `user_pref("network.proxy.http_port", 9123);`)

	code, _, stderr = corsvcrRun(t, "ca", "--ca-dir", dir, "--proxy", "127.0.0.1")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, `ca: --proxy "127.0.0.1": not a proxy URL`)
}

// TestProxyUnusableCassetteOrListen: a record-mode cassette path that can
// never be written (a directory, or under a file) and an impossible
// --listen port are usage errors naming the flag at start, not found
// after the whole suite ran through the proxy; a port in use names
// --listen. The context is cancelled: a proxy that started anyway would
// stop at once and exit 0.
func TestProxyUnusableCassetteOrListen(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	require.NoError(t, os.WriteFile(file, []byte("x"), 0o644))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { ln.Close() })
	busy := ln.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"cassette is a directory", []string{"--mode", "record", "--cassette", dir, "--ca-dir", filepath.Join(dir, "ca")}, exitUsage,
			fmt.Sprintf("corsvcr: proxy: --cassette %q: is a directory: name a file\n", dir)},
		{"cassette under a file", []string{"--mode", "record-missing", "--cassette", filepath.Join(file, "c.yaml"), "--ca-dir", filepath.Join(dir, "ca")}, exitUsage,
			fmt.Sprintf("corsvcr: proxy: --cassette %q: cannot be created: %s is not a directory\n", filepath.Join(file, "c.yaml"), file)},
		{"port out of range", []string{"--mode", "record", "--cassette", filepath.Join(dir, "new", "c.yaml"), "--listen", "127.0.0.1:99999", "--ca-dir", filepath.Join(dir, "ca")}, exitUsage,
			"corsvcr: proxy: --listen \"127.0.0.1:99999\": port \"99999\" is not a number from 0 to 65535\n"},
		{"port in use", []string{"--mode", "record", "--cassette", filepath.Join(dir, "c.yaml"), "--listen", busy, "--ca-dir", filepath.Join(dir, "ca")}, exitHarness,
			fmt.Sprintf("corsvcr: proxy: --listen %q: ", busy)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr syncBuffer
			code := run(ctx, append([]string{"proxy"}, tc.args...), &stdout, &stderr)
			assert.Equal(t, tc.code, code, "stdout: %s", stdout.String())
			assert.True(t, strings.HasPrefix(stderr.String(), tc.want), "stderr: %q, want prefix %q", stderr.String(), tc.want)
			assert.NotContains(t, stdout.String(), "listening")
		})
	}
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	for _, e := range entries {
		assert.Contains(t, []string{"file", "ca"}, e.Name(), "left behind")
	}
}

// TestProxySummaryUnsaved: the summary of a proxy whose last save failed
// says what the file lacks, not only what was written before.
func TestProxySummaryUnsaved(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	writeProxySummary(&b, &vcr.ProxySummary{Mode: vcr.ProxyRecord, Recorded: []vcr.HostCount{{Host: "api.shop.test:80", Count: 3}},
		Path: "c.yaml", Interactions: 1, Saves: 1, Unsaved: 2}, 0)
	assert.Contains(t, b.String(), "  wrote c.yaml: 1 interaction\n  not in it: the last 2 recorded (the last save failed)\n")
}
