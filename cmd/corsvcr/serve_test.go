package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestServeSummarisesMisses: when serve stops, it reports its misses
// grouped by request and differing field, the most frequent 20 with their
// counts and how many more, not one line per miss.
func TestServeSummarisesMisses(t *testing.T) {
	t.Parallel()
	cas := filepath.Join(t.TempDir(), "c.yaml")
	require.NoError(t, os.WriteFile(cas, []byte(`version: 1
interactions:
  - kind: actual
    request:
      method: GET
      url: http://localhost:8000/items
      headers:
        - {name: Origin, value: "http://localhost:8080"}
    response:
      status: 200
      headers:
        - {name: Access-Control-Allow-Origin, value: "http://localhost:8080"}
`), 0o644))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	outR, outW := io.Pipe()
	var stderr strings.Builder
	code := make(chan int, 1)
	go func() {
		code <- run(ctx, []string{"serve", "--cassette", cas, "--host", "localhost:8000"}, outW, &stderr)
		outW.Close()
	}()
	line, err := bufio.NewReader(outR).ReadString('\n')
	require.NoError(t, err)
	go io.Copy(io.Discard, outR) //nolint:errcheck // drains the rest
	base := regexp.MustCompile(`http://127\.0\.0\.1:\d+`).FindString(line)
	require.NotEmpty(t, base, "serve's first line: %q", line)

	get := func(path, origin string) {
		req, err := http.NewRequest("GET", base+path, nil)
		require.NoError(t, err)
		req.Header.Set("Origin", origin)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
	}
	for range 50 {
		get("/items", "http://evil.test") // one group of 50
	}
	for i := range 25 {
		get(fmt.Sprintf("/other/%d", i), "http://localhost:8080") // 25 groups of 1
	}
	cancel()
	assert.Equal(t, exitMiss, <-code)
	out := stderr.String()
	assert.Equal(t, 20, strings.Count(out, `msg="replay miss"`), "one line per listed group:\n%s", out)
	assert.Contains(t, out, `msg="replay miss" count=50 error="replay: no recorded interaction for GET http://localhost:8000/items (Origin \"http://evil.test\"); closest #0 differs in Origin`)
	assert.Contains(t, out, `msg="… and 6 more distinct replay misses" count=6`)
	assert.Contains(t, out, "75 replay misses (26 distinct)")
}
