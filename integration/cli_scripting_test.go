package integration

import (
	"encoding/json"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/corsvcr/corsvcr/internal/schematest"
)

// totals is the summary of a --json report.
type totals struct {
	Checks      int  `json:"checks"`
	Passed      int  `json:"passed"`
	Failed      int  `json:"failed"`
	Missed      int  `json:"missed"`
	Errors      int  `json:"errors"`
	NotRun      int  `json:"not_run"`
	Interrupted bool `json:"interrupted"`
}

// scriptReport is what a script reads of --json: pass and summary.
type scriptReport struct {
	SchemaVersion int    `json:"schema_version"`
	Pass          bool   `json:"pass"`
	Summary       totals `json:"summary"`
	Checks        []struct {
		Name      string   `json:"name"`
		Pass      *bool    `json:"pass"`
		Misses    []string `json:"replay_misses"`
		Predicted string   `json:"predicted"`
	} `json:"checks"`
}

func parseScript(t *testing.T, r cliRun) scriptReport {
	t.Helper()
	var rep scriptReport
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &rep), "stdout: %s\nstderr: %s", r.stdout, r.stderr)
	return rep
}

// startShop serves shopAPI on a loopback port and returns the --upstream
// flag value that maps the checks' localhost:9100 to it.
func startShop(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := &http.Server{Handler: shopAPI(), ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return "localhost:9100=" + ln.Addr().String()
}

// TestCLIJSONReportAndRun: record and check with --json print a report
// valid against docs/report.schema.json, with an explicit pass per check
// and a summary; --run picks checks by name as go test -run does.
func TestCLIJSONReportAndRun(t *testing.T) {
	dir := t.TempDir()
	chk := filepath.Join(dir, "checks.yaml")
	require.NoError(t, os.WriteFile(chk, []byte(shopChecks), 0o644))
	cas := filepath.Join(dir, "shop.yaml")
	up := startShop(t)

	rec := corsvcr(t, "record", "--checks", chk, "--cassette", cas, "--json", "--upstream", up, "--run", "cart")
	require.Equal(t, 0, rec.code, "record: %s%s", rec.stdout, rec.stderr)
	schematest.Validate(t, schematest.Report, []byte(rec.stdout))
	rep := parseScript(t, rec)
	assert.Equal(t, 1, rep.SchemaVersion)
	assert.True(t, rep.Pass)
	assert.Equal(t, totals{Checks: 2, Passed: 2}, rep.Summary)
	require.Len(t, rep.Checks, 2)
	assert.Equal(t, []string{"add-to-cart", "delete-cart"}, []string{rep.Checks[0].Name, rep.Checks[1].Name}, "--run cart: unanchored")

	// Offline: the selected checks replay; a check the cassette lacks is a
	// miss, counted as such.
	chkRun := corsvcr(t, "check", "--checks", chk, "--cassette", cas, "--json", "--run", "^(add-to-cart|list-products)$")
	assert.Equal(t, 4, chkRun.code, "check: %s%s", chkRun.stdout, chkRun.stderr)
	schematest.Validate(t, schematest.Report, []byte(chkRun.stdout))
	rep = parseScript(t, chkRun)
	assert.False(t, rep.Pass)
	assert.Equal(t, totals{Checks: 2, Passed: 1, Missed: 1}, rep.Summary)
	require.Len(t, rep.Checks, 2)
	assert.Equal(t, "list-products", rep.Checks[0].Name)
	assert.NotEmpty(t, rep.Checks[0].Misses)
	assert.Empty(t, rep.Checks[0].Predicted, "a miss gets no prediction note: Chrome saw a made-up answer")
	require.NotNil(t, rep.Checks[0].Pass)
	assert.False(t, *rep.Checks[0].Pass)
	require.NotNil(t, rep.Checks[1].Pass)
	assert.True(t, *rep.Checks[1].Pass)

	// A failed expectation: pass false, counted as failed.
	bad := strings.Replace(shopChecks, "status: 201", "status: 200", 1)
	badChk := filepath.Join(dir, "bad.yaml")
	require.NoError(t, os.WriteFile(badChk, []byte(bad), 0o644))
	fail := corsvcr(t, "check", "--checks", badChk, "--cassette", cas, "--json", "--run", "cart")
	assert.Equal(t, 3, fail.code, "check: %s%s", fail.stdout, fail.stderr)
	schematest.Validate(t, schematest.Report, []byte(fail.stdout))
	assert.Equal(t, totals{Checks: 2, Passed: 1, Failed: 1}, parseScript(t, fail).Summary)

	none := corsvcr(t, "check", "--checks", chk, "--cassette", cas, "--run", "^checkout$")
	assert.Equal(t, 2, none.code)
	assert.Equal(t, `corsvcr: check: --run "^checkout$": no check name matches in "`+chk+`" (4 checks)`+"\n", none.stderr)
	inv := corsvcr(t, "record", "--checks", chk, "--cassette", cas, "--run", "cart(")
	assert.Equal(t, 2, inv.code)
	assert.Contains(t, inv.stderr, `corsvcr: record: --run "cart(": error parsing regexp`)

	// record --run over an existing cassette would keep the selected
	// checks' exchanges only: refused, the cassette unchanged, unless forced.
	before, err := os.ReadFile(cas)
	require.NoError(t, err)
	again := corsvcr(t, "record", "--checks", chk, "--cassette", cas, "--upstream", up, "--run", "^list-products$")
	assert.Equal(t, 2, again.code, "%s%s", again.stdout, again.stderr)
	assert.Contains(t, again.stderr, "would replace it with the exchanges of the selected checks only")
	after, err := os.ReadFile(cas)
	require.NoError(t, err)
	assert.Equal(t, string(before), string(after), "the cassette is unchanged")
	forced := corsvcr(t, "record", "--checks", chk, "--cassette", cas, "--upstream", up, "--run", "^list-products$", "--save-incomplete")
	assert.Equal(t, 0, forced.code, "%s%s", forced.stdout, forced.stderr)
}

// TestCLIDemoJSONSchema: demo --json has its own shape, in the same schema.
func TestCLIDemoJSONSchema(t *testing.T) {
	out := filepath.Join(t.TempDir(), "demo")
	r := corsvcr(t, "demo", "--out", out, "--json", "--run", "^(expose-total-count|legacy-no-acao)$")
	require.Equal(t, 0, r.code, "demo: %s%s", r.stdout, r.stderr)
	schematest.Validate(t, schematest.DemoReport, []byte(r.stdout))
	var rep struct {
		Pass    bool   `json:"pass"`
		Summary totals `json:"summary"`
		Checks  []struct {
			Name string `json:"name"`
			Pass bool   `json:"pass"`
		} `json:"checks"`
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &rep))
	assert.True(t, rep.Pass)
	assert.Equal(t, totals{Checks: 2, Passed: 2}, rep.Summary)
	require.Len(t, rep.Checks, 2)
	assert.Equal(t, "expose-total-count", rep.Checks[0].Name)
	assert.True(t, rep.Checks[0].Pass)
}

// TestCLIURLWithoutScheme: a request URL without a scheme is a check-file
// error naming the check, the field and the line, not a CorsDisabledScheme
// verdict.
func TestCLIURLWithoutScheme(t *testing.T) {
	chk := filepath.Join(t.TempDir(), "checks.yaml")
	require.NoError(t, os.WriteFile(chk, []byte(`version: 1
page: http://localhost:5173
checks:
  - name: items
    request:
      url: localhost:8080/api/items
`), 0o644))
	r := corsvcr(t, "check", "--checks", chk)
	assert.Equal(t, 1, r.code, r.stdout+r.stderr)
	assert.Empty(t, r.stdout)
	assert.Equal(t, `corsvcr: checks: "`+chk+`": check 1 "items" (line 6): request.url: "localhost:8080/api/items": no scheme: want an absolute http or https URL (write "http://localhost:8080/api/items")`+"\n", r.stderr)
}

// TestCLIHeaderExpectations: readable_headers names the headers that must
// be readable (the README's own [X-Total-Count] shape passes against a real
// server, where content-type is readable too); unreadable_headers those
// that must not be.
func TestCLIHeaderExpectations(t *testing.T) {
	chk := filepath.Join(t.TempDir(), "checks.yaml")
	write := func(expect string) {
		require.NoError(t, os.WriteFile(chk, []byte(`version: 1
page: http://localhost:5173
checks:
  - name: list-products
    request: {url: "http://localhost:9100/products"}
    expect: `+expect+"\n"), 0o644))
	}
	up := startShop(t)

	write(`{allowed: true, readable_headers: [X-Page-Count], unreadable_headers: [X-Secret, Vary]}`)
	r := corsvcr(t, "check", "--checks", chk, "--upstream", up)
	assert.Equal(t, 0, r.code, r.stdout+r.stderr)

	write(`{readable_headers: [X-Page-Count, X-Total-Count]}`)
	r = corsvcr(t, "check", "--checks", chk, "--upstream", up)
	assert.Equal(t, 3, r.code, r.stdout+r.stderr)
	assert.Contains(t, r.stdout, "expected readable_headers at least [x-page-count x-total-count], got [content-length content-type x-page-count]")

	write(`{unreadable_headers: [x-page-count]}`)
	r = corsvcr(t, "check", "--checks", chk, "--upstream", up)
	assert.Equal(t, 3, r.code, r.stdout+r.stderr)
	assert.Contains(t, r.stdout, "expected unreadable_headers none of [x-page-count], got [content-length content-type x-page-count]")

	write(`{readable_headers: [content-type, x-page-count], unreadable_headers: ["*"]}`)
	r = corsvcr(t, "check", "--checks", chk, "--upstream", up)
	assert.Equal(t, 3, r.code, r.stdout+r.stderr)
	assert.Contains(t, r.stdout, "expected unreadable_headers none but [content-type x-page-count], got [content-length content-type x-page-count]")
}

// TestCLIForgedNames: a check name with a line break and an ANSI escape
// is quoted in the table; it cannot forge a row.
func TestCLIForgedNames(t *testing.T) {
	chk := filepath.Join(t.TempDir(), "checks.yaml")
	require.NoError(t, os.WriteFile(chk, []byte(`version: 1
page: http://localhost:5173
checks:
  - name: "evil\n FAKE    ok      allowed 200"
    request: {url: "http://localhost:9100/cart", method: DELETE, credentials: include}
  - name: "\e[2K\e[1Aclean"
    request: {url: "http://localhost:9100/products"}
`), 0o644))
	r := corsvcr(t, "check", "--checks", chk, "--upstream", startShop(t))
	assert.Equal(t, 0, r.code, r.stdout+r.stderr)
	assert.NotContains(t, r.stdout, "\x1b")
	for _, line := range strings.Split(r.stdout, "\n") {
		assert.False(t, strings.HasPrefix(strings.TrimSpace(line), "FAKE"), "forged row: %q", line)
	}
	assert.Contains(t, r.stdout, `"evil\n FAKE    ok      allowed 200"  ok      blocked MethodDisallowedByPreflightResponse "DELETE", preflight`)
	assert.Contains(t, r.stdout, `"\x1b[2K\x1b[1Aclean"`)
}

// TestCLIServeListen: serve listens on loopback only; another address is a
// usage error saying so, not a warning followed by a failure.
func TestCLIServeListen(t *testing.T) {
	cas := filepath.Join(t.TempDir(), "none.yaml")
	r := corsvcr(t, "serve", "--cassette", cas, "--listen", "0.0.0.0:0")
	assert.Equal(t, 2, r.code, r.stdout+r.stderr)
	assert.NotContains(t, r.stderr, "listening beyond loopback")
	assert.Contains(t, r.stderr, `corsvcr: serve: --listen "0.0.0.0:0": not a loopback address: a replay server listens on loopback only`)
	r = corsvcr(t, "serve", "--cassette", cas, "--listen", ":0")
	assert.Equal(t, 1, r.code, "a loopback address gets as far as loading the cassette: %s", r.stderr)
	assert.NotContains(t, r.stderr, "loopback")
}

// TestCLICADirEverywhere: `corsvcr ca` takes --ca-dir, as record, check,
// demo and serve do.
func TestCLICADirEverywhere(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "ca")
	r := corsvcr(t, "ca", "--ca-dir", dir)
	require.Equal(t, 0, r.code, r.stdout+r.stderr)
	assert.Contains(t, r.stdout, filepath.Join(dir, "ca.pem"))
}

// TestSecretsRefusalStillPrintsVerdicts: when the scanner refuses to write
// the cassette, the verdicts are printed first, then the refusal (exit 1).
func TestSecretsRefusalStillPrintsVerdicts(t *testing.T) {
	dir := t.TempDir()
	chk := filepath.Join(dir, "checks.yaml")
	require.NoError(t, os.WriteFile(chk, []byte(leakChecks), 0o644))
	addr, _ := harServe(t, secretsAPI())
	cas := filepath.Join(dir, "blocked.yaml")
	r := corsvcr(t, "record", "--checks", chk, "--cassette", cas, "--upstream", "localhost:9200="+addr)
	assert.Equal(t, 1, r.code, r.stdout+r.stderr)
	assert.Contains(t, r.stdout, "leak   ok      allowed 200")
	assert.Contains(t, r.stderr, `refusing to write "`+cas+`"`)
	assert.NoFileExists(t, cas)

	r = corsvcr(t, "record", "--checks", chk, "--cassette", cas, "--upstream", "localhost:9200="+addr, "--json")
	assert.Equal(t, 1, r.code, r.stdout+r.stderr)
	schematest.Validate(t, schematest.Report, []byte(r.stdout))
	assert.Equal(t, totals{Checks: 1, Passed: 1}, parseScript(t, r).Summary)
}
