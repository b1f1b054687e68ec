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

	"github.com/joshdk/go-junit"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/corsvcr/corsvcr/internal/schematest"
	"github.com/corsvcr/corsvcr/vcr"
)

// corsvcrEnv runs the CLI with env added to its environment.
func corsvcrEnv(t *testing.T, env []string, args ...string) cliRun {
	t.Helper()
	cmd := exec.CommandContext(testContext(t), corsvcrBin, args...)
	cmd.Env = append(os.Environ(), env...)
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

func readJUnit(t *testing.T, path string) junit.Suite {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	suites, err := junit.Ingest(data)
	require.NoError(t, err)
	require.Len(t, suites, 1)
	return suites[0]
}

// TestCLIReportsAndMerge: record writes JUnit and HTML next to its
// cassette; two shards of a check run (here selected with --run) merge
// into the report, JUnit and HTML of the whole run, in check-file order
// with the exit code of the whole run; a missing shard fails the merge;
// under GitHub Actions a failing check is annotated at its line.
func TestCLIReportsAndMerge(t *testing.T) {
	dir := t.TempDir()
	checksPath := filepath.Join(dir, "checks.yaml")
	require.NoError(t, os.WriteFile(checksPath, []byte(shopChecks), 0o644))
	cas := filepath.Join(dir, "shop.yaml")

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := &http.Server{Handler: shopAPI(), ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	rec := corsvcr(t, "record", "--checks", checksPath, "--cassette", cas,
		"--upstream", "localhost:9100="+ln.Addr().String(),
		"--junit", filepath.Join(dir, "record.xml"), "--report", filepath.Join(dir, "record.html"))
	srv.Close()
	require.Equal(t, 0, rec.code, "record: %s%s", rec.stdout, rec.stderr)
	s := readJUnit(t, filepath.Join(dir, "record.xml"))
	assert.Equal(t, 4, s.Totals.Tests)
	assert.Equal(t, 4, s.Totals.Passed)
	html, err := os.ReadFile(filepath.Join(dir, "record.html"))
	require.NoError(t, err)
	assert.Contains(t, string(html), `<tr class="decides">`, "the recorded exchanges, deciding header highlighted")
	assert.Contains(t, string(html), "delete-cart")

	// One expectation now fails: delete-cart.
	wrong := filepath.Join(dir, "wrong.yaml")
	require.NoError(t, os.WriteFile(wrong, []byte(strings.Replace(shopChecks,
		"failed_parameter: DELETE", "failed_parameter: PATCH", 1)), 0o644))
	shard := func(name, run string) string {
		r := corsvcr(t, "check", "--checks", wrong, "--cassette", cas, "--run", run, "--json")
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(r.stdout), 0o644))
		return p
	}
	shard1 := shard("shard1.json", "^(list-products|admin-from-shop)$")
	shard2 := shard("shard2.json", "^(add-to-cart|delete-cart)$")

	merged := filepath.Join(dir, "merged.json")
	m := corsvcr(t, "merge", "--checks", wrong, "-o", merged,
		"--junit", filepath.Join(dir, "merged.xml"), "--report", filepath.Join(dir, "merged.html"), shard2, shard1)
	assert.Equal(t, 3, m.code, "the exit code of the whole run: a failed expectation\n%s%s", m.stdout, m.stderr)
	assert.Contains(t, m.stdout, "delete-cart")
	data, err := os.ReadFile(merged)
	require.NoError(t, err)
	schematest.Validate(t, schematest.Report, data)
	var rep vcr.Report
	require.NoError(t, json.Unmarshal(data, &rep))
	assert.Equal(t, vcr.Totals{Checks: 4, Passed: 3, Failed: 1}, rep.Summary)
	var names []string
	for _, c := range rep.Checks {
		names = append(names, c.Name)
		assert.Positive(t, c.Duration, "check %q keeps its duration", c.Name)
	}
	assert.Equal(t, []string{"list-products", "add-to-cart", "delete-cart", "admin-from-shop"}, names, "check-file order")
	assert.Equal(t, cas, rep.Cassette)

	s = readJUnit(t, filepath.Join(dir, "merged.xml"))
	assert.Equal(t, 4, s.Totals.Tests)
	assert.Equal(t, 1, s.Totals.Failed)
	assert.Equal(t, "delete-cart", s.Tests[2].Name)
	assert.Equal(t, `failed_parameter: want "PATCH", got "DELETE"`, s.Tests[2].Message)
	assert.Equal(t, "23", s.Tests[2].Properties["line"])
	html, err = os.ReadFile(filepath.Join(dir, "merged.html"))
	require.NoError(t, err)
	assert.Contains(t, string(html), `<tr class="decides">`, "the merged report shows the shards' cassette")

	t.Run("a missing shard fails the merge", func(t *testing.T) {
		r := corsvcr(t, "merge", "--checks", wrong, "--json", shard1)
		assert.Equal(t, 1, r.code, r.stdout+r.stderr)
		var rep vcr.Report
		require.NoError(t, json.Unmarshal([]byte(r.stdout), &rep))
		assert.Equal(t, vcr.Totals{Checks: 4, Passed: 2, NotRun: 2, Interrupted: true}, rep.Summary)
	})

	t.Run("a check in two shards is a usage error", func(t *testing.T) {
		r := corsvcr(t, "merge", shard1, shard1)
		assert.Equal(t, 2, r.code, r.stdout+r.stderr)
		assert.Contains(t, r.stderr, `ran in two shards`)
	})

	t.Run("GitHub annotations", func(t *testing.T) {
		r := corsvcrEnv(t, []string{"GITHUB_ACTIONS=true"}, "check", "--checks", wrong, "--cassette", cas)
		assert.Equal(t, 3, r.code, r.stdout+r.stderr)
		want := "::error file=" + wrong + ",line=23,title=corsvcr%3A delete-cart failed::failed_parameter: want \"PATCH\", got \"DELETE\"%0Aconsole: Access to fetch at 'http://localhost:9100/cart'"
		assert.Contains(t, r.stderr, want)
		assert.Equal(t, 1, strings.Count(r.stderr, "::error "), "one annotation per failing check: %s", r.stderr)
		assert.NotContains(t, r.stdout, "::error", "stdout keeps the table")

		r = corsvcrEnv(t, []string{"GITHUB_ACTIONS="}, "check", "--checks", wrong, "--cassette", cas)
		assert.NotContains(t, r.stderr, "::error", "no annotation outside GitHub Actions")
	})
}

// TestCLIDemoReports: the demo's reports show its live and replayed runs
// side by side.
func TestCLIDemoReports(t *testing.T) {
	dir := t.TempDir()
	r := corsvcr(t, "demo", "--out", dir, "--run", "^(chat-wildcard-with-credentials|expose-total-count)$",
		"--junit", filepath.Join(dir, "demo.xml"), "--report", filepath.Join(dir, "demo.html"))
	require.Equal(t, 0, r.code, r.stdout+r.stderr)
	s := readJUnit(t, filepath.Join(dir, "demo.xml"))
	assert.Equal(t, 2, s.Totals.Tests)
	assert.Equal(t, 2, s.Totals.Passed)
	assert.Contains(t, s.Tests[1].SystemOut, "live verdict: blocked WildcardOriginNotAllowed")
	html, err := os.ReadFile(filepath.Join(dir, "demo.html"))
	require.NoError(t, err)
	assert.Equal(t, 2, strings.Count(string(html), `data-run="live"`))
	assert.Equal(t, 2, strings.Count(string(html), `data-run="replay"`))
	assert.Contains(t, string(html), `<tr class="decides">`)
}
