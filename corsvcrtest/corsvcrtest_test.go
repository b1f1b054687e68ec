package corsvcrtest_test

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/corsvcr/corsvcr/internal/procs/procstest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/corsvcr/corsvcr/cassettes"
	"github.com/corsvcr/corsvcr/corsvcrtest"
	"github.com/corsvcr/corsvcr/vcr"
)

var update = flag.Bool("update", false, "re-record testdata/cors.yaml from the shop API")

// envHelper runs TestHelperProcess as a child: its value says what to run.
const envHelper = "CORSVCRTEST_HELPER"

func TestMain(m *testing.M) {
	if os.Getenv(envHelper) == "main" {
		corsvcrtest.Main(m) // the documented way; TestMainClosesBrowser checks it
		return
	}
	// A TestMain of its own, as Close documents, that also checks that
	// nothing is left behind.
	before := chromeTempDirs()
	code := m.Run()
	if err := corsvcrtest.Close(); err != nil {
		fmt.Fprintln(os.Stderr, "FAIL: close:", err)
		code = 1
	}
	if extra := slices.DeleteFunc(chromeTempDirs(), func(d string) bool { return slices.Contains(before, d) }); len(extra) > 0 {
		fmt.Fprintln(os.Stderr, "FAIL: leaked temp dirs:", extra)
		code = 1
	}
	if procs := procstest.Descendants(os.Getpid()); len(procs) > 0 {
		fmt.Fprintln(os.Stderr, "FAIL: processes left behind:", procs)
		code = 1
	}
	os.Exit(code)
}

// shopAPI is the live server testdata/cors.yaml was recorded from
// (http://localhost:8000 in the checks).
func shopAPI() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/products", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Access-Control-Allow-Origin", r.Header.Get("Origin"))
		w.Header().Set("Access-Control-Expose-Headers", "X-Total-Count")
		w.Header().Set("X-Total-Count", "3")
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `[1,2,3]`)
	})
	mux.HandleFunc("/cart", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Access-Control-Allow-Origin", "*") // wrong with cookies
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"items":[]}`)
	})
	mux.HandleFunc("/orders", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Access-Control-Allow-Origin", r.Header.Get("Origin"))
		if r.Method == http.MethodOptions {
			w.Header().Set("Access-Control-Allow-Methods", "POST")
			w.Header().Set("Access-Control-Allow-Headers", "Content-Type")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		io.WriteString(w, `{"id":7}`)
	})
	mux.HandleFunc("/categories", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Access-Control-Allow-Origin", r.Header.Get("Origin"))
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `["books"]`)
	})
	return mux
}

// liveShop starts the shop API and returns the options that record from
// it in mode.
func liveShop(t *testing.T, mode corsvcrtest.Mode) corsvcrtest.Options {
	t.Helper()
	srv := httptest.NewServer(shopAPI())
	t.Cleanup(srv.Close)
	return corsvcrtest.Options{Mode: mode, Config: vcr.Config{Upstreams: map[string]string{"localhost:8000": srv.Listener.Addr().String()}}}
}

// TestREADME is the README's example: a passing file, one subtest a check.
func TestREADME(t *testing.T) {
	corsvcrtest.Run(t, "testdata/cors-checks.yaml", "testdata/cors.yaml")
}

func TestRecordWritesCassette(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cors.yaml")
	if *update {
		path = "testdata/cors.yaml"
	}
	corsvcrtest.RunOptions(t, "testdata/cors-checks.yaml", path, liveShop(t, corsvcrtest.ModeRecord))

	cas, err := cassettes.Load(path)
	require.NoError(t, err)
	var got []string
	for _, in := range cas.Interactions {
		got = append(got, in.Request.Method+" "+in.Request.URL)
	}
	assert.ElementsMatch(t, []string{
		"GET http://localhost:8000/products",
		"GET http://localhost:8000/cart",
		"OPTIONS http://localhost:8000/orders",
		"POST http://localhost:8000/orders",
	}, got)
	// The recording replays offline, every check passing.
	run, err := corsvcrtest.Results(t.Context(), "testdata/cors-checks.yaml", path, corsvcrtest.Options{Mode: corsvcrtest.ModeReplay})
	require.NoError(t, err)
	for _, res := range run.Results {
		assert.Empty(t, corsvcrtest.Failure(res))
	}
	assert.Len(t, run.Results, 3)
}

func TestRecordMissingAppends(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cors.yaml")
	data, err := os.ReadFile("testdata/cors.yaml")
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path, data, 0o644))
	checksFile := filepath.Join(t.TempDir(), "checks.yaml")
	require.NoError(t, os.WriteFile(checksFile, []byte("version: 1\npage: http://localhost:8080\nchecks:\n"+
		"  - name: list-products\n    request: {url: http://localhost:8000/products}\n    expect: {allowed: true}\n"+
		"  - name: list-categories\n    request: {url: http://localhost:8000/categories}\n    expect: {allowed: true, status: 200}\n"), 0o644))

	// Replay alone misses list-categories.
	run, err := corsvcrtest.Results(t.Context(), checksFile, path, corsvcrtest.Options{Mode: corsvcrtest.ModeReplay})
	require.NoError(t, err)
	require.Len(t, run.Results, 2)
	assert.Contains(t, corsvcrtest.Failure(run.Results[1]), "replay miss")

	corsvcrtest.RunOptions(t, checksFile, path, liveShop(t, corsvcrtest.ModeRecordMissing))
	cas, err := cassettes.Load(path)
	require.NoError(t, err)
	assert.Equal(t, "GET http://localhost:8000/categories", cas.Interactions[len(cas.Interactions)-1].Request.Method+" "+cas.Interactions[len(cas.Interactions)-1].Request.URL)

	// Now it replays offline.
	run, err = corsvcrtest.Results(t.Context(), checksFile, path, corsvcrtest.Options{Mode: corsvcrtest.ModeReplay})
	require.NoError(t, err)
	for _, res := range run.Results {
		assert.Empty(t, corsvcrtest.Failure(res))
	}
}

// TestFailureDiff: a check whose expectation Chrome's verdict breaks reads
// (-want +got) with Chrome's console line; a miss shows the miss text.
func TestFailureDiff(t *testing.T) {
	run, err := corsvcrtest.Results(t.Context(), "testdata/failing-checks.yaml", "testdata/cors.yaml", corsvcrtest.Options{Mode: corsvcrtest.ModeReplay})
	require.NoError(t, err)
	require.Len(t, run.Results, 2)
	assert.Equal(t, `check "cart-with-cookies": Chrome's verdict breaks the expectation (-want +got):
  -allowed: true
  +allowed: false
  -status: 200
  +status: 0
verdict: blocked WildcardOriginNotAllowed
console: Access to fetch at 'http://localhost:8000/cart' from origin 'http://localhost:8080' has been blocked by CORS policy: The value of the 'Access-Control-Allow-Origin' header in the response must not be the wildcard '*' when the request's credentials mode is 'include'.
why: CORS check of the response (Fetch §4.9, cors.cc CheckAccess): Access-Control-Allow-Origin is '*' but the request's credentials mode is 'include'`, corsvcrtest.Failure(run.Results[0]))

	miss := corsvcrtest.Failure(run.Results[1])
	assert.Contains(t, miss, `check "list-categories": 1 replay miss: the cassette lacks a request Chrome sent
  replay: no recorded interaction for GET http://localhost:8000/categories`)
}

// helper runs TestHelperProcess in a child test binary with env and returns
// its output and whether it passed.
func helper(t *testing.T, env ...string) (string, bool) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$", "-test.v", "-test.count=1")
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		if _, ok := err.(*exec.ExitError); !ok {
			t.Fatal(err)
		}
	}
	return string(out), err == nil
}

// TestHelperProcess is the test a child binary runs (see helper).
func TestHelperProcess(t *testing.T) {
	switch os.Getenv(envHelper) {
	case "":
		t.Skip("runs as a child test binary only")
	case "failing":
		corsvcrtest.Run(t, "testdata/failing-checks.yaml", "testdata/cors.yaml")
	case "record-missing-nothing":
		path := filepath.Join(t.TempDir(), "cors.yaml")
		data, err := os.ReadFile("testdata/cors.yaml")
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(path, data, 0o644))
		corsvcrtest.RunOptions(t, "testdata/cors-checks.yaml", path, corsvcrtest.Options{Mode: corsvcrtest.ModeRecordMissing})
		after, err := os.ReadFile(path)
		require.NoError(t, err)
		assert.Equal(t, string(data), string(after), "the cassette was rewritten")
	default:
		corsvcrtest.Run(t, "testdata/cors-checks.yaml", "testdata/cors.yaml")
	}
}

// TestFailingSubtests: each check is a subtest named after it, and a
// failing one fails with the diff, its neighbours unaffected.
func TestFailingSubtests(t *testing.T) {
	t.Parallel()
	out, ok := helper(t, envHelper+"=failing")
	assert.False(t, ok, "the failing checks passed:\n%s", out)
	for _, want := range []string{
		"--- FAIL: TestHelperProcess/cart-with-cookies",
		"(-want +got):\n",
		"-allowed: true",
		"+allowed: false",
		"console: Access to fetch at 'http://localhost:8000/cart'",
		"--- FAIL: TestHelperProcess/list-categories",
		"replay: no recorded interaction for GET http://localhost:8000/categories",
		"record what is missing against the live servers: CORSVCR_RECORD=missing go test -run '^TestHelperProcess$/^list-categories$'",
	} {
		assert.Contains(t, out, want)
	}
}

// TestRecordMissingNothingMissing: record-missing mode with nothing missing
// says so and leaves the cassette as it was; it used to log "wrote" the
// cassette it had not written.
func TestRecordMissingNothingMissing(t *testing.T) {
	t.Parallel()
	out, ok := helper(t, envHelper+"=record-missing-nothing")
	assert.True(t, ok, "record-missing failed:\n%s", out)
	assert.Contains(t, out, "corsvcrtest: testdata/cors-checks.yaml: record-missing mode: nothing was missing, ")
	assert.NotContains(t, out, "mode: wrote")
}

// TestBadModeBeforeBrowser: a mistyped record mode is the error, even with
// no browser; it used to start (or look for) Chrome first and report that.
func TestBadModeBeforeBrowser(t *testing.T) {
	t.Parallel()
	out, ok := helper(t, corsvcrtest.EnvRecord+"=recrod", "CORSVCR_CHROME=/nonexistent/chrome", envHelper+"=default")
	assert.False(t, ok, "a bad mode passed:\n%s", out)
	assert.Contains(t, out, `corsvcrtest: record mode "recrod": want replay (default), record (1, true, all) or record-missing (missing) (from $CORSVCR_RECORD)`)
	assert.NotContains(t, out, "no browser")
}

// TestMissingBrowser: no browser fails with the command that installs one.
func TestMissingBrowser(t *testing.T) {
	t.Parallel()
	out, ok := helper(t, envHelper+"=run", "CORSVCR_CHROME=/nonexistent/chromium")
	assert.False(t, ok)
	assert.Contains(t, out, `corsvcrtest: no browser: browsercheck: CORSVCR_CHROME="/nonexistent/chromium"`)
	assert.Contains(t, out, "install one: sudo apt-get install -y chromium-headless-shell (or make browser in the corsvcr repository)")
}

// TestMainClosesBrowser: with corsvcrtest.Main, the tests share one
// browser and nothing outlives the binary.
func TestMainClosesBrowser(t *testing.T) {
	t.Parallel()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$", "-test.v", "-test.count=1")
	cmd.Env = append(os.Environ(), envHelper+"=main")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	assert.Contains(t, string(out), "--- PASS: TestHelperProcess/place-order")
	pid := strconv.Itoa(cmd.Process.Pid)
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), "corsvcr-chrome-"+pid+"-*"))
	assert.Empty(t, dirs, "temp dirs of the child's browser")
	assert.Empty(t, processesMentioning("corsvcr-chrome-"+pid+"-"), "processes of the child's browser")
}

func TestRecordModeFromEnvironment(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    corsvcrtest.Mode
		wantErr string
	}{
		{in: "", want: corsvcrtest.ModeReplay},
		{in: "0", want: corsvcrtest.ModeReplay},
		{in: "replay", want: corsvcrtest.ModeReplay},
		{in: "1", want: corsvcrtest.ModeRecord},
		{in: "true", want: corsvcrtest.ModeRecord},
		{in: "record", want: corsvcrtest.ModeRecord},
		{in: "missing", want: corsvcrtest.ModeRecordMissing},
		{in: "record-missing", want: corsvcrtest.ModeRecordMissing},
		{in: "yes please", wantErr: `corsvcrtest: record mode "yes please": want replay (default), record (1, true, all) or record-missing (missing)`},
	}
	for _, tt := range tests {
		got, err := corsvcrtest.ParseMode(tt.in)
		if tt.wantErr != "" {
			assert.EqualError(t, err, tt.wantErr)
			continue
		}
		require.NoError(t, err, tt.in)
		assert.Equal(t, tt.want, got, tt.in)
	}
}

// TestMissingCassette: replaying a cassette that does not exist fails with
// how to record it.
func TestMissingCassette(t *testing.T) {
	t.Parallel()
	_, err := corsvcrtest.Results(context.Background(), "testdata/cors-checks.yaml", filepath.Join(t.TempDir(), "none.yaml"), corsvcrtest.Options{Mode: corsvcrtest.ModeReplay})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "does not exist; record it against the live servers: CORSVCR_RECORD=1 go test")
}

// chromeTempDirs lists browsercheck's temp dirs of this process.
func chromeTempDirs() []string {
	m, _ := filepath.Glob(filepath.Join(os.TempDir(), "corsvcr-chrome-"+strconv.Itoa(os.Getpid())+"-*"))
	return m
}

// processesMentioning returns the live processes whose command line
// contains s.
func processesMentioning(s string) []int {
	entries, _ := os.ReadDir("/proc")
	var out []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		cmdline, err := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		if err == nil && strings.Contains(string(cmdline), s) {
			out = append(out, pid)
		}
	}
	return out
}

// TestRecordModeSwitches: the flag and the environment variable reach Run,
// the flag first.
func TestRecordModeSwitches(t *testing.T) {
	t.Parallel()
	out, ok := helper(t, envHelper+"=run", "CORSVCR_RECORD=sometimes")
	assert.False(t, ok)
	assert.Contains(t, out, `corsvcrtest: record mode "sometimes": want replay (default), record (1, true, all) or record-missing (missing) (from $CORSVCR_RECORD)`)

	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$", "-test.count=1", "-corsvcr.record=often")
	cmd.Env = append(os.Environ(), envHelper+"=run", "CORSVCR_RECORD=1")
	b, err := cmd.CombinedOutput()
	assert.Error(t, err)
	assert.Contains(t, string(b), `corsvcrtest: record mode "often": want replay (default), record (1, true, all) or record-missing (missing) (from -corsvcr.record)`)
}
