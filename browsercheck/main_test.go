package browsercheck_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/corsvcr/corsvcr/internal/procs/procstest"

	"github.com/corsvcr/corsvcr/browsercheck"
	"github.com/corsvcr/corsvcr/browsercheck/browserchecktest"
	"github.com/corsvcr/corsvcr/checks"
)

const (
	pageOrigin = "http://localhost:8080"
	apiOrigin  = "http://localhost:8000"
)

// Shared by the package's tests: one Chrome, one proxy, one upstream.
var (
	browser  *browsercheck.Browser
	proxy    *browserchecktest.Proxy
	upstream *countingServer
)

func TestMain(m *testing.M) { os.Exit(testMain(m)) }

func testMain(m *testing.M) int {
	tmpBefore := corsvcrTempDirs()
	upstream = newCountingServer(apiHandler())
	proxy = browserchecktest.NewProxy(map[string]string{"localhost:8000": upstream.URL})

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	b, err := browsercheck.New(ctx, browsercheck.Config{Proxy: proxy.URL, Timeout: 10 * time.Second})
	cancel()
	if err != nil {
		// A missing browser is a failure, never a skip: `make test`
		// installs one.
		fmt.Fprintln(os.Stderr, "FAIL: start chrome:", err)
		proxy.Close()
		upstream.Close()
		return 1
	}
	browser = b

	code := m.Run()

	if browser != nil {
		profile, dir := browsercheck.ProfileOf(browser), browsercheck.TempDirOf(browser)
		procs := snapshot(procstest.Descendants(os.Getpid()))
		if err := browser.Close(); err != nil {
			fmt.Fprintln(os.Stderr, "FAIL: close:", err)
			code = 1
		}
		if alive := procs.alive(); len(alive) > 0 {
			fmt.Fprintln(os.Stderr, "FAIL: chrome processes survive Close:", alive)
			code = 1
		}
		if err := leaks(profile, dir); err != nil {
			fmt.Fprintln(os.Stderr, "FAIL:", err)
			code = 1
		}
	}
	proxy.Close()
	upstream.Close()
	if extra := slices.DeleteFunc(corsvcrTempDirs(), func(d string) bool { return slices.Contains(tmpBefore, d) }); len(extra) > 0 {
		fmt.Fprintln(os.Stderr, "FAIL: leaked temp dirs:", extra)
		code = 1
	}
	return code
}

// leaks reports Chrome processes or files that survive Close: processes with
// the profile on their command line or whose parent chain leads to this test
// process, and the temp dir.
func leaks(profile, dir string) error {
	var errs []string
	if pids := browsercheck.ProcessesUsing(profile); len(pids) > 0 {
		errs = append(errs, fmt.Sprintf("processes with --user-data-dir=%s: %v", profile, pids))
	}
	if pids := procstest.Descendants(os.Getpid()); len(pids) > 0 {
		errs = append(errs, fmt.Sprintf("child processes of the test: %v", pids))
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		errs = append(errs, fmt.Sprintf("temp dir %s still exists (%v)", dir, err))
	}
	if len(errs) > 0 {
		return fmt.Errorf("leaks after Close: %s", strings.Join(errs, "; "))
	}
	return nil
}

// corsvcrTempDirs lists this process's Browser temp dirs (their names carry
// its pid; other test binaries may run at the same time).
func corsvcrTempDirs() []string {
	m, _ := filepath.Glob(filepath.Join(os.TempDir(), "corsvcr-chrome-"+strconv.Itoa(os.Getpid())+"-*"))
	return m
}

// needChrome skips t when no browser is installed.
func needChrome(t testing.TB) *browsercheck.Browser {
	t.Helper()
	return browser
}

// countingServer is an httptest.Server that counts requests by "METHOD /path".
type countingServer struct {
	*httptest.Server
	mu     sync.Mutex
	counts map[string]int
}

func newCountingServer(h http.Handler) *countingServer {
	s := &countingServer{counts: map[string]int{}}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.counts[r.Method+" "+r.URL.Path]++
		s.mu.Unlock()
		h.ServeHTTP(w, r)
	}))
	return s
}

func (s *countingServer) count(key string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.counts[key]
}

// apiHandler serves an API with one deliberate CORS configuration per path.
func apiHandler() http.Handler {
	mux := http.NewServeMux()
	// corsRoute answers preflights with pre and other requests with actual.
	route := func(path string, pre, actual func(h http.Header, r *http.Request)) {
		mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
			io.Copy(io.Discard, r.Body)
			h := w.Header()
			if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
				if pre != nil {
					pre(h, r)
				}
				w.WriteHeader(http.StatusNoContent)
				return
			}
			if actual != nil {
				actual(h, r)
			}
			if h.Get("Content-Type") == "" {
				h.Set("Content-Type", "application/json")
			}
			h.Set("X-Total-Count", "42")
			h.Set("X-Secret", "hidden")
			if h.Get("Content-Type") == "text/plain" {
				w.Write([]byte("plain text, not JSON"))
				return
			}
			w.Write([]byte(`{"ok":true}`))
		})
	}
	origin := func(h http.Header, r *http.Request) { h.Set("Access-Control-Allow-Origin", r.Header.Get("Origin")) }
	route("/simple", nil, origin)
	route("/json", func(h http.Header, r *http.Request) {
		origin(h, r)
		h.Set("Access-Control-Allow-Methods", "GET, POST")
		h.Set("Access-Control-Allow-Headers", "Content-Type")
		h.Set("Access-Control-Max-Age", "600")
	}, origin)
	route("/wildcard", nil, func(h http.Header, r *http.Request) { h.Set("Access-Control-Allow-Origin", "*") })
	route("/none", nil, func(h http.Header, r *http.Request) { h.Set("Content-Type", "text/plain") })
	route("/none-json", nil, nil)
	route("/methods", func(h http.Header, r *http.Request) {
		origin(h, r)
		h.Set("Access-Control-Allow-Methods", "GET, POST")
	}, origin)
	route("/headers", func(h http.Header, r *http.Request) {
		origin(h, r)
		h.Set("Access-Control-Allow-Headers", "Content-Type")
	}, origin)
	route("/mismatch", nil, func(h http.Header, r *http.Request) { h.Set("Access-Control-Allow-Origin", "http://evil.example") })
	route("/nocreds", nil, origin)
	route("/creds", nil, func(h http.Header, r *http.Request) {
		origin(h, r)
		h.Set("Access-Control-Allow-Credentials", "true")
	})
	route("/expose", nil, func(h http.Header, r *http.Request) {
		origin(h, r)
		h.Set("Access-Control-Expose-Headers", "X-Total-Count")
	})
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) { slowHandler(w, r) })
	stepRoutes(mux)   // steps_test.go
	cacheRoutes(mux)  // cache_test.go
	workerRoutes(mux) // worker_test.go
	return mux
}

// slow blocks requests to /slow until the test releases them.
var slowRelease = make(chan struct{})

func init() {
	slowHandler = func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-slowRelease:
		case <-r.Context().Done():
		}
	}
}

var slowHandler http.HandlerFunc

// procSet is a set of processes by pid and start time.
type procSet map[int]string

// snapshot records the start time of each pid.
func snapshot(pids []int) procSet {
	s := procSet{}
	for _, p := range pids {
		if start, zombie, ok := procStart(p); ok && !zombie {
			s[p] = start
		}
	}
	return s
}

// alive returns the processes of s that still run (same pid and start time,
// not a zombie).
func (s procSet) alive() []int {
	var out []int
	for p, start := range s {
		if st, zombie, ok := procStart(p); ok && st == start && !zombie {
			out = append(out, p)
		}
	}
	slices.Sort(out)
	return out
}

func procStart(pid int) (start string, zombie, ok bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return "", false, false
	}
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	if len(f) < 20 {
		return "", false, false
	}
	return f[19], f[0] == "Z", true
}

// only returns the verdict of a one-step check.
func only(vs checks.Verdicts, err error) (checks.Verdict, error) {
	if err != nil {
		return checks.Verdict{}, err
	}
	if len(vs) != 1 {
		return checks.Verdict{}, fmt.Errorf("%d verdicts for a one-step check", len(vs))
	}
	return vs[0], nil
}
