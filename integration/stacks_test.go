package integration

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/corsvcr/corsvcr/cassettes"
	"github.com/corsvcr/corsvcr/checks"
	"github.com/corsvcr/corsvcr/internal/corpustest"
	"github.com/corsvcr/corsvcr/vcr"
)

// The "real servers from the field" suite: each stack is an unmodified
// third-party CORS implementation (nginx, Apache, Flask, Django, FastAPI,
// Express, rs/cors, jub0bs/cors, Vite's dev proxy) configured correctly and
// with the misconfigurations people hit, one path prefix per scenario. For
// each stack the suite records the stack's check file live in Chrome through
// the recorder, stops the server, replays the cassette offline, and asserts
// that Chrome's verdicts are the same live, replayed, in the check file and
// in the committed golden files.
//
// A stack that is not installed fails (integration/stacks/install.sh
// installs them all); it is never skipped.

const stacksDir = "stacks"

// stackInstallHint is appended to a failure caused by a missing stack.
const stackInstallHint = "run integration/stacks/install.sh (make stacks) to install it"

// stackServer is the running server of a stack (or of one scenario group).
type stackServer struct {
	ups   map[string]string // authority as the checks name it → loopback address
	procs []*stackProc
}

// stop stops every process of the server and returns what went wrong.
func (s *stackServer) stop() error {
	var errs []error
	for _, p := range s.procs {
		if err := p.stop(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// logs renders the output and log files of every process, for a failure.
func (s *stackServer) logs() string {
	var b strings.Builder
	for _, p := range s.procs {
		b.WriteString(p.logs())
	}
	return b.String()
}

// stack describes one stack: where its files are and how to start it.
type stack struct {
	name string // subtest and testdata directory name
	dir  string // directory under integration/stacks holding checks.yaml
	desc string // what runs, for docs/stacks.md
	// groups, when set, splits the scenarios among server processes: each
	// group is started, recorded and stopped in turn, for stacks whose CORS
	// configuration is global to a process (Django). A group names the path
	// prefixes ("/correct/") its process serves.
	groups []string
	// start starts the server for group ("" when groups is nil) in run, a
	// private temp dir, and waits until it is ready.
	start func(t *testing.T, st *stack, run, group string) *stackServer
}

func (st *stack) path(elem ...string) string {
	return filepath.Join(append([]string{stacksDir, st.dir}, elem...)...)
}

func (st *stack) absPath(t *testing.T, elem ...string) string {
	p, err := filepath.Abs(st.path(elem...))
	require.NoError(t, err)
	return p
}

// apiHost is the authority every stack's checks use for the API.
const apiHost = "localhost:8000"

var stacks = []*stack{
	{name: "nginx", desc: "nginx 1.22 (Debian `nginx`): `add_header … always` + `map $http_origin`; no-preflight is a static location without an OPTIONS branch", dir: "nginx", start: startNginx},
	{name: "apache", desc: "Apache 2.4 (Debian `apache2`): `Header always set` + a mod_rewrite OPTIONS → 204 rule, in front of a CORS-unaware PHP app", dir: "apache", start: startApache},
	{name: "php", desc: "Apache 2.4 + mod_php 8.2 (`libapache2-mod-php`): the script sets every header with `header()`", dir: "php", start: startApache},
	{name: "flask", desc: "Flask 2.2 + flask-cors 3.0 (Debian): one `resources` entry per prefix; no-preflight sets ACAO by hand in the view", dir: "flask", start: startFlask},
	{
		name: "django", desc: "Django 3.2 + django-cors-headers 3.14 (Debian) under `runserver`: settings are global, so one process per scenario",
		dir: "django", start: startDjango,
		groups: prefixes(stackScenarios),
	},
	{name: "fastapi", desc: "FastAPI 0.92 / Starlette 0.26 `CORSMiddleware` under uvicorn 0.17 (Debian): one mounted sub-app per prefix", dir: "fastapi", start: startFastAPI},
	{name: "express", desc: "Express 5 + `cors` 2.8.5 (npm): one `cors()` per prefix; no-preflight has `cors()` on the GET/PUT routes only", dir: "express", start: startExpress},
	{name: "rscors", desc: "Go net/http + github.com/rs/cors v1.11.1: one `cors.Options` per prefix; no-preflight wraps method-specific routes", dir: "gocors/rscors", start: startGoCORS},
	{name: "jubcors", desc: "Go net/http + github.com/jub0bs/cors v0.8.0: one `cors.Config` per prefix; no-preflight wraps method-specific routes", dir: "gocors/jubcors", start: startGoCORS},
	{name: "vite", desc: "Vite 8 dev server (npm) whose `server.proxy` forwards `/api` to a backend that sends no CORS headers", dir: "vite", start: startVite},
}

// stackScenarios are the path prefixes every stack serves, one per CORS
// setup.
var stackScenarios = []string{
	"correct",
	"wildcard-credentials",
	"origin-not-allowed",
	"method-not-allowed",
	"header-not-allowed",
	"no-preflight",
	"no-expose",
	"no-credentials",
}

func prefixes(scenarios []string) []string {
	out := make([]string, len(scenarios))
	for i, s := range scenarios {
		out[i] = "/" + s + "/"
	}
	return out
}

func stackCassettePath(name string) string {
	return corpustest.In(filepath.Join(corpustest.StacksDir, name)).Cassette
}

func stackVerdictsPath(name string) string {
	return corpustest.In(filepath.Join(corpustest.StacksDir, name)).Verdicts
}

// TestStacks records every stack live, replays it offline and compares
// Chrome's verdicts: live == replayed == check file == golden.
// With -update it rewrites testdata/stacks/<stack>/{cassette.yaml,verdicts.json}.
func TestStacks(t *testing.T) {
	for _, st := range stacks {
		t.Run(st.name, func(t *testing.T) {
			// Each stack has its own ports, temp dir and browsers.
			t.Parallel()
			testStack(t, st)
		})
	}
}

func testStack(t *testing.T, st *stack) {
	file, err := checks.Load(st.path("checks.yaml"))
	require.NoError(t, err)

	live, cas := recordStack(t, st, file)

	decoded := viaFile(t, cas)

	if *update {
		require.NoError(t, os.MkdirAll(filepath.Dir(stackCassettePath(st.name)), 0o755))
		require.NoError(t, cassettes.Save(stackCassettePath(st.name), decoded))
		writeVerdicts(t, stackVerdictsPath(st.name), live)
	}

	replayed := replayChecks(t, file, decoded, vcr.Config{})
	// The order of a check file must not matter: the same recording
	// replayed in reverse, and to each check alone, gives each check its
	// own answers.
	reversed := replayChecks(t, reverseChecks(file), decoded, vcr.Config{})
	alone := replayEachAlone(t, file, decoded)
	var golden, goldenReplayed map[string]checks.Verdicts
	if !*update {
		golden = readVerdicts(t, stackVerdictsPath(st.name))
		gcas, err := cassettes.Load(stackCassettePath(st.name))
		require.NoError(t, err, "run 'make record-stacks' to create it")
		goldenReplayed = replayChecks(t, file, gcas, vcr.Config{})
	}
	for _, c := range file.Checks {
		t.Run(c.Name, func(t *testing.T) {
			assert.Empty(t, c.Mismatches(live[c.Name]), "live verdict vs %s expectation; live: %+v", st.path("checks.yaml"), live[c.Name])
			assert.Equal(t, live[c.Name], replayed[c.Name], "replay verdict vs live verdict")
			assert.Equal(t, live[c.Name], reversed[c.Name], "replay in reversed check order vs live verdict")
			assert.Equal(t, live[c.Name], alone[c.Name], "replay of this check alone vs live verdict")
			if golden != nil {
				assert.Equal(t, golden[c.Name], live[c.Name], "golden verdict (%s) vs live verdict", stackVerdictsPath(st.name))
				assert.Equal(t, golden[c.Name], goldenReplayed[c.Name], "golden verdict vs verdict replayed from %s", stackCassettePath(st.name))
			}
		})
	}
}

// recordStack runs the stack's checks live through the recording proxy, a
// server (group) at a time, and returns Chrome's verdicts and the cassette.
// Every server is stopped when it returns.
func recordStack(t *testing.T, st *stack, file *checks.File) (map[string]checks.Verdicts, *cassettes.Cassette) {
	t.Helper()
	groups := st.groups
	if groups == nil {
		groups = []string{""}
	}
	verdicts := map[string]checks.Verdicts{}
	var interactions []cassettes.Interaction
	var browser string
	ran := 0
	for _, g := range groups {
		var checks []checks.Check
		for _, c := range file.Checks {
			if g == "" || strings.Contains(c.Steps[0].Request.URL, apiHost+g) {
				checks = append(checks, c)
			}
		}
		require.NotEmpty(t, checks, "no check for group %q", g)
		ran += len(checks)
		ints, v := recordGroup(t, st, file, g, checks, verdicts)
		interactions = append(interactions, ints...)
		browser = v
	}
	require.Equal(t, len(file.Checks), ran, "checks outside every group of %q", st.name)
	return verdicts, &cassettes.Cassette{
		Version:      cassettes.FormatVersion,
		Meta:         cassettes.Meta{Corsvcr: "test", Browser: browser},
		Interactions: interactions,
	}
}

// recordGroup starts the server for group, records checks through it into
// verdicts, stops it and returns the interactions and the browser version.
func recordGroup(t *testing.T, st *stack, file *checks.File, group string, cs []checks.Check, verdicts map[string]checks.Verdicts) ([]cassettes.Interaction, string) {
	t.Helper()
	ctx := testContext(t)
	run := t.TempDir()
	t0 := time.Now()
	srv := st.start(t, st, run, group)
	// Cleanups run last-in first-out: the logs are read before the run
	// dir goes away.
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("%s%s server output:\n%s", st.name, group, srv.logs())
		}
	})
	t.Logf("%s%s: server ready in %v", st.name, group, time.Since(t0).Round(time.Millisecond))
	t0 = time.Now()
	r, err := vcr.New(vcr.Config{Upstreams: srv.ups, RecordHosts: file.Hosts()})
	require.NoError(t, err)
	rec, err := r.Record(ctx, &checks.File{Checks: cs})
	require.NoError(t, err)
	require.Zero(t, rec.NotRun)
	for _, res := range rec.Results {
		require.Empty(t, res.Error, "check %q; server output:\n%s", res.Name, srv.logs())
		verdicts[res.Name] = res.Verdicts
	}
	t.Logf("%s%s: %d checks recorded in %v", st.name, group, len(cs), time.Since(t0).Round(time.Millisecond))
	t0 = time.Now()
	require.NoError(t, srv.stop(), "stop %q; server output:\n%s", st.name, srv.logs())
	t.Logf("%s%s: server stopped in %v", st.name, group, time.Since(t0).Round(time.Millisecond))
	return rec.Cassette.Interactions, rec.Browser
}

// ---- starting real servers -------------------------------------------------

// stackProc is one server process, in its own process group, with its
// output in a log file of the run dir.
type stackProc struct {
	name     string
	cmd      *exec.Cmd
	out      string   // stdout+stderr file
	logFiles []string // the server's own log files, shown on failure
	done     chan struct{}
	waitErr  error
	stopped  bool
}

// startProc starts name with args in its own process group. extra are
// inherited as fd 3, 4, ...; they are closed in this process once the child
// has them. The process is stopped when the test ends.
func startProc(t *testing.T, run, name string, env []string, extra []*os.File, args ...string) *stackProc {
	t.Helper()
	out, err := os.Create(filepath.Join(run, filepath.Base(name)+".out"))
	require.NoError(t, err)
	defer out.Close()
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = out, out
	cmd.ExtraFiles = extra
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	err = cmd.Start()
	for _, f := range extra {
		f.Close()
	}
	require.NoError(t, err, "start %s (%s)", name, stackInstallHint)
	p := &stackProc{name: name, cmd: cmd, out: out.Name(), done: make(chan struct{})}
	go func() {
		p.waitErr = cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() { p.stop() })
	return p
}

// stop sends SIGTERM to the process group, waits up to 10 s for the
// process, then kills the group. Stopping a process that exited on its own
// reports how it exited.
func (p *stackProc) stop() error {
	if p.stopped {
		return nil
	}
	p.stopped = true
	pgid := p.cmd.Process.Pid
	select {
	case <-p.done:
		syscall.Kill(-pgid, syscall.SIGKILL) // children it may have left
		return fmt.Errorf("%s exited before it was stopped: %v", p.name, p.waitErr)
	default:
	}
	syscall.Kill(-pgid, syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		syscall.Kill(-pgid, syscall.SIGKILL)
		<-p.done
	}
	// Apache's children and the like leave with their group.
	syscall.Kill(-pgid, syscall.SIGKILL)
	return nil
}

func (p *stackProc) logs() string {
	var b strings.Builder
	for _, f := range append([]string{p.out}, p.logFiles...) {
		data, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		fmt.Fprintf(&b, "--- %s: %s\n%s\n", p.name, filepath.Base(f), tail(data, 4<<10))
	}
	return b.String()
}

func tail(b []byte, n int) []byte {
	if len(b) > n {
		return append([]byte("…"), b[len(b)-n:]...)
	}
	return b
}

// waitReady polls addr with an HTTP request until the server answers
// anything, the process exits or 30 s pass. Servers given a listening socket
// accept connections at once, so a TCP connect alone does not mean ready.
func waitReady(t *testing.T, srv *stackServer, addr string) {
	t.Helper()
	client := &http.Client{
		Timeout:   2 * time.Second,
		Transport: &http.Transport{Proxy: nil, DisableKeepAlives: true},
	}
	deadline := time.Now().Add(30 * time.Second)
	tick := time.NewTicker(25 * time.Millisecond)
	defer tick.Stop()
	var lastErr error
	for {
		for _, p := range srv.procs {
			select {
			case <-p.done:
				require.FailNowf(t, "server exited before it was ready",
					"%s: %v (%s)\n%s", p.name, p.waitErr, stackInstallHint, srv.logs())
			default:
			}
		}
		res, err := client.Get("http://" + addr + "/")
		if err == nil {
			io.Copy(io.Discard, res.Body)
			res.Body.Close()
			return
		}
		lastErr = err
		if time.Now().After(deadline) {
			require.FailNowf(t, "server not ready", "%s: no answer within 30 s: %v\n%s", addr, lastErr, srv.logs())
		}
		<-tick.C
	}
}

// listenFD returns a listening socket on an ephemeral loopback port, as a
// file for a child to inherit, and its address.
func listenFD(t *testing.T) (*os.File, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	f, err := ln.(*net.TCPListener).File()
	require.NoError(t, err)
	return f, ln.Addr().String()
}

// freePort returns a loopback port below 32768 (outside Linux's ephemeral
// range, so no outgoing connection takes it meanwhile) that was free a
// moment ago, for servers that cannot listen on port 0 or an inherited
// socket.
func freePort(t *testing.T) int {
	t.Helper()
	for range 100 {
		port := 20000 + rand.IntN(12000)
		ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err == nil {
			ln.Close()
			return port
		}
	}
	require.FailNow(t, "no free loopback port in 20000-31999")
	return 0
}

// lookPath finds a stack's program or fails naming the stack and the fix.
func lookPath(t *testing.T, st *stack, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		// Debian installs nginx and apache2 in /usr/sbin, which a non-root
		// PATH often lacks.
		if _, serr := os.Stat("/usr/sbin/" + name); serr == nil {
			return "/usr/sbin/" + name
		}
	}
	require.NoError(t, err, "stack %q: %s not found; %s", st.name, name, stackInstallHint)
	return p
}

// python3 is Debian's interpreter: the stacks' Python packages are Debian's,
// not those of a python3 earlier on PATH (pyenv).
func python3(t *testing.T, st *stack, modules ...string) string {
	t.Helper()
	const py = "/usr/bin/python3"
	_, err := os.Stat(py)
	require.NoError(t, err, "stack %q: %s", st.name, stackInstallHint)
	for _, m := range modules {
		out, err := exec.Command(py, "-c", "import "+m).CombinedOutput()
		require.NoError(t, err, "stack %q: %s cannot import %s: %s; %s", st.name, py, m, bytes.TrimSpace(out), stackInstallHint)
	}
	return py
}

// pythonEnv fixes Python's string hashing: Werkzeug builds the Allow header
// from a set, whose order otherwise changes from run to run.
var pythonEnv = []string{"PYTHONHASHSEED=0"}

// render copies a config template, replacing @PORT@, @RUN@ and @STACK@.
func render(t *testing.T, st *stack, tmpl, run string, port int) string {
	t.Helper()
	data, err := os.ReadFile(st.path(tmpl))
	require.NoError(t, err)
	s := strings.NewReplacer("@PORT@", fmt.Sprint(port), "@RUN@", run, "@STACK@", st.absPath(t)).Replace(string(data))
	out := filepath.Join(run, tmpl)
	require.NoError(t, os.WriteFile(out, []byte(s), 0o644))
	return out
}

func single(t *testing.T, p *stackProc, addr string) *stackServer {
	t.Helper()
	srv := &stackServer{ups: map[string]string{apiHost: addr}, procs: []*stackProc{p}}
	waitReady(t, srv, addr)
	return srv
}

func startNginx(t *testing.T, st *stack, run, _ string) *stackServer {
	bin := lookPath(t, st, "nginx")
	port := freePort(t)
	conf := render(t, st, "nginx.conf", run, port)
	p := startProc(t, run, "nginx", nil, nil, bin, "-p", run, "-c", conf)
	p.logFiles = []string{filepath.Join(run, "error.log")}
	return single(t, p, fmt.Sprintf("127.0.0.1:%d", port))
}

func startApache(t *testing.T, st *stack, run, _ string) *stackServer {
	bin := lookPath(t, st, "apache2")
	_, err := os.Stat("/usr/lib/apache2/modules/libphp8.2.so")
	require.NoError(t, err, "stack %q: mod_php missing; %s", st.name, stackInstallHint)
	// Apache's children run as www-data: they must reach @STACK@ and the
	// run dir must stay private to root, so only @STACK@ is read by them.
	port := freePort(t)
	conf := render(t, st, "httpd.conf", run, port)
	p := startProc(t, run, "apache2", nil, nil, bin, "-f", conf, "-DFOREGROUND")
	p.logFiles = []string{filepath.Join(run, "error.log")}
	return single(t, p, fmt.Sprintf("127.0.0.1:%d", port))
}

func startFlask(t *testing.T, st *stack, run, _ string) *stackServer {
	py := python3(t, st, "flask", "flask_cors")
	f, addr := listenFD(t)
	p := startProc(t, run, "flask", pythonEnv, []*os.File{f}, py, st.absPath(t, "app.py"), "--fd", "3")
	return single(t, p, addr)
}

func startFastAPI(t *testing.T, st *stack, run, _ string) *stackServer {
	py := python3(t, st, "fastapi", "uvicorn")
	f, addr := listenFD(t)
	p := startProc(t, run, "uvicorn", pythonEnv, []*os.File{f}, py, "-m", "uvicorn", "app:app",
		"--app-dir", st.absPath(t), "--fd", "3", "--no-server-header", "--no-date-header", "--log-level", "warning")
	return single(t, p, addr)
}

func startDjango(t *testing.T, st *stack, run, group string) *stackServer {
	py := python3(t, st, "django", "corsheaders")
	port := freePort(t)
	scenario := strings.Trim(group, "/")
	p := startProc(t, run, "django-"+scenario, append([]string{"CORS_SCENARIO=" + scenario}, pythonEnv...), nil,
		py, "-m", "django", "runserver", fmt.Sprintf("127.0.0.1:%d", port), "--noreload",
		"--settings=settings", "--pythonpath="+st.absPath(t))
	return single(t, p, fmt.Sprintf("127.0.0.1:%d", port))
}

func nodeModules(t *testing.T, st *stack) string {
	t.Helper()
	node := lookPath(t, st, "node")
	_, err := os.Stat(st.path("node_modules"))
	require.NoError(t, err, "stack %q: no node_modules; %s", st.name, stackInstallHint)
	return node
}

func startExpress(t *testing.T, st *stack, run, _ string) *stackServer {
	node := nodeModules(t, st)
	f, addr := listenFD(t)
	p := startProc(t, run, "express", nil, []*os.File{f}, node, st.absPath(t, "app.js"), "--fd", "3")
	return single(t, p, addr)
}

// goStacksDir is the nested Go module of the Go stacks
// (integration/stacks/gocors, module
// github.com/corsvcr/corsvcr/integration/stacks/gocors): it keeps rs/cors
// and jub0bs/cors out of corsvcr's own go.mod.
var goStacksDir = filepath.Join(stacksDir, "gocors")

// goStackBins builds the Go stacks' programs (rscors, jubcors and nocors,
// the Vite stack's backend) once per test binary, into a directory of the
// harness, and returns it.
var goStackBins = sync.OnceValues(func() (string, error) {
	bin := filepath.Join(harnessDir, "gocors")
	build := exec.Command("go", "build", "-o", bin+string(filepath.Separator), "./rscors", "./jubcors", "./nocors")
	build.Dir = goStacksDir
	// The nested module is a module of its own, never part of a workspace.
	build.Env = append(os.Environ(), "GOWORK=off")
	if out, err := build.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build in %s: %v\n%s", goStacksDir, err, out)
	}
	return bin, nil
})

// startGoProgram runs one of the Go stacks' programs (see goStackBins) on
// an inherited loopback listener and returns the process and its address;
// the caller waits until it is ready.
func startGoProgram(t *testing.T, st *stack, run, name string) (*stackProc, string) {
	t.Helper()
	dir, err := goStackBins()
	require.NoError(t, err, "stack %q: %s", st.name, stackInstallHint)
	f, addr := listenFD(t)
	return startProc(t, run, name, nil, []*os.File{f}, filepath.Join(dir, name), "-fd", "3"), addr
}

// startGoCORS runs the stack's Go program, a separate process like every
// other stack's server.
func startGoCORS(t *testing.T, st *stack, run, _ string) *stackServer {
	p, addr := startGoProgram(t, st, run, st.name)
	return single(t, p, addr)
}

// startVite starts the Vite dev server at the page origin, proxying /api to
// a backend that sends no CORS headers at all (nocors, a Go stack program),
// which the checks also call directly at localhost:8000.
func startVite(t *testing.T, st *stack, run, _ string) *stackServer {
	node := nodeModules(t, st)
	backend, backendAddr := startGoProgram(t, st, run, "nocors")

	port := freePort(t)
	p := startProc(t, run, "vite",
		[]string{fmt.Sprintf("CORSVCR_PORT=%d", port), "CORSVCR_API=http://" + backendAddr}, nil,
		node, st.absPath(t, "node_modules", "vite", "bin", "vite.js"), "--config", st.absPath(t, "vite.config.js"), st.absPath(t))
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	srv := &stackServer{ups: map[string]string{"localhost:8080": addr, apiHost: backendAddr}, procs: []*stackProc{backend, p}}
	waitReady(t, srv, backendAddr)
	waitReady(t, srv, addr)
	return srv
}

// ---- docs/stacks.md ----------------------------------------------------------

const stacksDoc = "../docs/stacks.md"

// TestStacksDoc renders docs/stacks.md from the golden verdicts and
// cassettes and the check files' notes. With -update it writes the file;
// otherwise it fails when the committed file is stale.
func TestStacksDoc(t *testing.T) {
	got := renderStacksDoc(t)
	if *update {
		require.NoError(t, os.MkdirAll(filepath.Dir(stacksDoc), 0o755))
		require.NoError(t, os.WriteFile(stacksDoc, got, 0o644))
		return
	}
	want, err := os.ReadFile(stacksDoc)
	require.NoError(t, err, "run 'make docs' to create it")
	assert.Equal(t, string(want), string(got), "%s is stale: run 'make docs'", stacksDoc)
}

// stackDoc is what the doc shows of one stack.
type stackDoc struct {
	st       *stack
	file     *checks.File
	notes    map[string]string // check name → the comment above it in checks.yaml
	verdicts map[string]checks.Verdicts
	cas      *cassettes.Cassette
}

func renderStacksDoc(t *testing.T) []byte {
	t.Helper()
	var docs []stackDoc
	for _, st := range stacks {
		file, err := checks.Load(st.path("checks.yaml"))
		require.NoError(t, err)
		cas, err := cassettes.Load(stackCassettePath(st.name))
		require.NoError(t, err, "run 'make record-stacks' to create it")
		docs = append(docs, stackDoc{
			st: st, file: file, notes: checkNotes(t, st.path("checks.yaml")),
			verdicts: readVerdicts(t, stackVerdictsPath(st.name)), cas: cas,
		})
	}

	var b strings.Builder
	b.WriteString("<!-- Generated by `make docs` (go test ./integration -run '^TestStacksDoc$' -update)\n" +
		"     from integration/testdata/stacks/*/ and integration/stacks/*/checks.yaml. Do not edit. -->\n\n")
	b.WriteString("# Real CORS servers: what Chrome says\n\n")
	b.WriteString("Each stack is an unmodified third-party CORS implementation, configured correctly and with\n" +
		"the misconfigurations people hit, one path prefix per scenario (`integration/stacks/<stack>/`).\n" +
		"A page at `http://localhost:8080` calls the API at `http://localhost:8000/<scenario>/…` in\n" +
		"headless Chrome through corsvcr's recorder; the verdicts below are Chrome's, live, and the\n" +
		"same verdicts come back from the offline replay (`TestStacks`).\n\n")

	// The verdict matrix: the scenarios every API stack shares.
	var api []stackDoc
	for _, d := range docs {
		if d.st.name != "vite" {
			api = append(api, d)
		}
	}
	b.WriteString("## Verdicts\n\n")
	b.WriteString("✅ allowed; otherwise Chrome's `CorsError` (failedParameter).\n\n")
	b.WriteString("| check |")
	for _, d := range api {
		fmt.Fprintf(&b, " %s |", d.st.name)
	}
	b.WriteString("\n|---|")
	for range api {
		b.WriteString("---|")
	}
	b.WriteString("\n")
	for _, c := range api[0].file.Checks {
		fmt.Fprintf(&b, "| %s |", c.Name)
		for _, d := range api {
			fmt.Fprintf(&b, " %s |", shortVerdict(d.verdicts[c.Name].Last()))
		}
		b.WriteString("\n")
	}

	for _, d := range docs {
		fmt.Fprintf(&b, "\n## %s\n\n%s.\n\n", d.st.name, d.st.desc)
		b.WriteString("| check | request | Chrome | preflight response | actual response |\n|---|---|---|---|---|\n")
		ex := exchangesByCheck(d.file, d.cas)
		for _, c := range d.file.Checks {
			method := c.Steps[0].Request.Method
			if method == "" {
				method = "GET"
			}
			req := fmt.Sprintf("`%s %s`", method, strings.TrimPrefix(strings.TrimPrefix(c.Steps[0].Request.URL, "http://"), apiHost))
			if c.Steps[0].Request.Credentials == "include" {
				req += " with credentials"
			}
			verdict := shortVerdict(d.verdicts[c.Name].Last())
			if v := d.verdicts[c.Name].Last(); v.Allowed {
				verdict += fmt.Sprintf(" %d, reads %s", v.Status, strings.Join(v.ReadableHeaders, ", "))
			}
			if n := d.notes[c.Name]; n != "" {
				verdict += "<br>*" + n + "*"
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", c.Name, req, verdict,
				corsHeaders(ex[c.Name].preflight), corsHeaders(ex[c.Name].actual))
		}
	}
	return []byte(b.String())
}

func shortVerdict(v checks.Verdict) string {
	if v.Allowed {
		return "✅"
	}
	s := "`" + v.CorsError + "`"
	if v.FailedParameter != "" {
		s += " (`" + v.FailedParameter + "`)"
	}
	return s
}

type exchange struct{ preflight, actual *cassettes.Interaction }

// exchangesByCheck pairs each check with its recorded preflight and actual
// request: the first unused interactions of each kind for the check's URL.
func exchangesByCheck(file *checks.File, cas *cassettes.Cassette) map[string]exchange {
	used := make([]bool, len(cas.Interactions))
	take := func(url string, kind cassettes.Kind) *cassettes.Interaction {
		for i := range cas.Interactions {
			in := &cas.Interactions[i]
			if !used[i] && in.Request.URL == url && in.Kind == kind {
				used[i] = true
				return in
			}
		}
		return nil
	}
	out := map[string]exchange{}
	for _, c := range file.Checks {
		v := exchange{preflight: take(c.Steps[0].Request.URL, cassettes.KindPreflight)}
		v.actual = take(c.Steps[0].Request.URL, cassettes.KindActual)
		out[c.Name] = v
	}
	return out
}

// corsHeaders renders the status and the CORS response headers (and Vary)
// of in, in recorded order.
func corsHeaders(in *cassettes.Interaction) string {
	if in == nil {
		return "—"
	}
	parts := []string{fmt.Sprint(in.Response.Status)}
	for _, h := range in.Response.Headers {
		if strings.HasPrefix(strings.ToLower(h.Name), "access-control-") || strings.EqualFold(h.Name, "Vary") {
			parts = append(parts, fmt.Sprintf("`%s: %s`", h.Name, h.Value))
		}
	}
	return strings.Join(parts, "<br>")
}

// checkNotes returns the comment block right above each "- name:" line of a
// check file, joined into one line.
func checkNotes(t *testing.T, path string) map[string]string {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	notes := map[string]string{}
	var comment []string
	for _, line := range strings.Split(string(data), "\n") {
		trimmed := strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(line, "  #"):
			comment = append(comment, strings.TrimSpace(strings.TrimPrefix(trimmed, "#")))
		case strings.HasPrefix(line, "  - name: "):
			if len(comment) > 0 {
				notes[strings.TrimPrefix(line, "  - name: ")] = strings.ReplaceAll(strings.Join(comment, " "), "|", "\\|")
			}
			comment = nil
		default:
			comment = nil
		}
	}
	return notes
}
