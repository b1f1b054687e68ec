package integration

import (
	"bytes"
	"encoding/json"
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

	"github.com/corsvcr/corsvcr/checks"
)

// shopChecks is a check file as a user writes it, for a server that is not
// the sample API: a shop front at :5173 and its API at :9100.
const shopChecks = `version: 1
page: http://localhost:5173
checks:
  - name: list-products
    request:
      url: http://localhost:9100/products?page=2
    expect:
      allowed: true
      status: 200
      readable_headers: [content-length, content-type, x-page-count]
      unreadable_headers: ["*"]
  - name: add-to-cart
    request:
      url: http://localhost:9100/cart
      method: POST
      headers: {Content-Type: application/json, X-CSRF-Token: abc}
      body: '{"sku":"A-1","qty":1}'
      credentials: include
    expect:
      allowed: true
      preflight: true
      status: 201
  - name: delete-cart
    request:
      url: http://localhost:9100/cart
      method: DELETE
      credentials: include
    expect:
      allowed: false
      cors_error: MethodDisallowedByPreflightResponse
      failed_parameter: DELETE
  - name: admin-from-shop
    page: http://localhost:5174
    request:
      url: http://localhost:9100/products
    expect:
      allowed: false
      cors_error: AllowOriginMismatch
      failed_parameter: http://localhost:5173
`

// shopAPI answers like a small hand-written backend: one allowed origin,
// echoed unconditionally; DELETE is not allowed.
func shopAPI() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h["Date"] = nil
		h.Set("Access-Control-Allow-Origin", "http://localhost:5173")
		h.Set("Access-Control-Allow-Credentials", "true")
		h.Set("Vary", "Origin")
		switch {
		case r.Method == http.MethodOptions:
			h.Set("Access-Control-Allow-Methods", "GET, POST")
			h.Set("Access-Control-Allow-Headers", "Content-Type, X-CSRF-Token")
			w.WriteHeader(http.StatusNoContent)
		case r.URL.Path == "/products":
			h.Set("Access-Control-Expose-Headers", "X-Page-Count")
			h.Set("X-Page-Count", "7")
			h.Set("Content-Type", "application/json")
			w.Write([]byte(`[{"sku":"A-1"}]`))
		case r.URL.Path == "/cart" && r.Method == http.MethodPost:
			h.Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusCreated)
			w.Write([]byte(`{"items":1}`))
		default:
			http.NotFound(w, r)
		}
	})
}

type cliRun struct {
	code           int
	stdout, stderr string
}

func corsvcr(t *testing.T, args ...string) cliRun {
	t.Helper()
	cmd := exec.CommandContext(testContext(t), corsvcrBin, args...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else {
		require.NoError(t, err)
	}
	return cliRun{code, out.String(), errOut.String()}
}

type cliReport struct {
	Cassette string `json:"cassette"`
	Checks   []struct {
		Name       string              `json:"name"`
		Verdicts   checks.Verdicts     `json:"verdicts"`
		Mismatches []map[string]string `json:"mismatches"`
		Misses     []string            `json:"replay_misses"`
		Error      string              `json:"error"`
		Upstream   []string            `json:"upstream_failures"`
	} `json:"checks"`
	NotRun int `json:"not_run"`
}

func parseReport(t *testing.T, r cliRun) cliReport {
	t.Helper()
	var rep cliReport
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &rep), "stdout: %s\nstderr: %s", r.stdout, r.stderr)
	return rep
}

// TestCLIRecordThenCheckOffline: a check file and a live server written by
// someone else round-trip through `corsvcr record` and, with the server
// stopped, `corsvcr check`, with identical verdicts.
func TestCLIRecordThenCheckOffline(t *testing.T) {
	dir := t.TempDir()
	checks := filepath.Join(dir, "checks.yaml")
	require.NoError(t, os.WriteFile(checks, []byte(shopChecks), 0o644))
	cas := filepath.Join(dir, "shop.yaml")

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := &http.Server{Handler: shopAPI(), ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	rec := corsvcr(t, "record", "--checks", checks, "--cassette", cas, "--json",
		"--upstream", "localhost:9100="+ln.Addr().String())
	srv.Close()
	require.Equal(t, 0, rec.code, "record: %s%s", rec.stdout, rec.stderr)
	live := parseReport(t, rec)

	chk := corsvcr(t, "check", "--checks", checks, "--cassette", cas, "--json")
	require.Equal(t, 0, chk.code, "check: %s%s", chk.stdout, chk.stderr)
	replayed := parseReport(t, chk)

	require.Len(t, replayed.Checks, 4)
	for i, c := range live.Checks {
		assert.Equal(t, c.Verdicts, replayed.Checks[i].Verdicts, "check %q", c.Name)
		assert.Empty(t, replayed.Checks[i].Misses)
	}

	// The readable table names each check and shows Chrome's message.
	table := corsvcr(t, "check", "--checks", checks, "--cassette", cas)
	assert.Equal(t, 0, table.code)
	assert.Contains(t, table.stdout, "delete-cart")
	assert.Contains(t, table.stdout, "has been blocked by CORS policy")

	t.Run("exit 3 when a verdict differs from its expectation", func(t *testing.T) {
		wrong := filepath.Join(dir, "wrong.yaml")
		require.NoError(t, os.WriteFile(wrong, []byte(strings.Replace(shopChecks,
			"failed_parameter: DELETE", "failed_parameter: PATCH", 1)), 0o644))
		r := corsvcr(t, "check", "--checks", wrong, "--cassette", cas)
		assert.Equal(t, 3, r.code, r.stdout+r.stderr)
		assert.Contains(t, r.stdout, "FAIL")
		assert.Contains(t, r.stdout, "PATCH")
	})

	t.Run("exit 4 on a replay miss, reported as a miss", func(t *testing.T) {
		miss := filepath.Join(dir, "miss.yaml")
		require.NoError(t, os.WriteFile(miss, []byte(strings.Replace(shopChecks,
			"products?page=2", "products?page=3", 1)), 0o644))
		r := corsvcr(t, "check", "--checks", miss, "--cassette", cas, "--json")
		assert.Equal(t, 4, r.code, r.stdout+r.stderr)
		rep := parseReport(t, r)
		require.NotEmpty(t, rep.Checks[0].Misses)
		assert.Contains(t, rep.Checks[0].Misses[0], "replay: no recorded interaction for GET http://localhost:9100/products?page=3")
	})

	t.Run("exit 2 on usage errors", func(t *testing.T) {
		assert.Equal(t, 2, corsvcr(t, "check").code)
		assert.Equal(t, 2, corsvcr(t, "frobnicate").code)
		assert.Equal(t, 2, corsvcr(t, "check", "--checks", checks, "--mode", "live").code)
	})

	t.Run("exit 1 when no browser can run", func(t *testing.T) {
		r := corsvcr(t, "check", "--checks", checks, "--cassette", cas, "--chrome", filepath.Join(dir, "no-such-chrome"))
		assert.Equal(t, 1, r.code, r.stdout+r.stderr)
	})
}

// TestCLIBrokenCassette: a hand-broken cassette gives an error naming the
// file, the interaction and the field, and exit code 1.
func TestCLIBrokenCassette(t *testing.T) {
	dir := t.TempDir()
	data, err := os.ReadFile(demoCassette)
	require.NoError(t, err)
	broken := strings.Replace(string(data), "status: 201", "status: 2010", 1)
	require.NotEqual(t, string(data), broken, "golden cassette has a 201 response")
	cas := filepath.Join(dir, "broken.yaml")
	require.NoError(t, os.WriteFile(cas, []byte(broken), 0o644))
	checks := filepath.Join(dir, "checks.yaml")
	require.NoError(t, os.WriteFile(checks, []byte(shopChecks), 0o644))

	r := corsvcr(t, "check", "--checks", checks, "--cassette", cas)
	assert.Equal(t, 1, r.code)
	assert.Regexp(t, `cassettes: load ".*broken.yaml": interaction \d+ \(line \d+\): response.status`, r.stderr)
}
