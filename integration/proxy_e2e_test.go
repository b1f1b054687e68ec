package integration

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/corsvcr/corsvcr/browsercheck"
	"github.com/corsvcr/corsvcr/ca"
	"github.com/corsvcr/corsvcr/cassettes"
)

// e2eDir holds the end-to-end shop: a static page (www/, served by nginx),
// its API (api.js: Express + cors) and the Playwright script (run.js).
const e2eDir = "e2e"

// proxyProc is a running `corsvcr proxy`.
type proxyProc struct {
	cmd    *exec.Cmd
	out    *lineLog
	stderr *lineWatcher
	done   chan error
	url    string
	pin    string
}

// lineLog is an io.Writer that keeps the lines written and wakes up whoever
// waits for one.
type lineLog struct {
	mu      sync.Mutex
	buf     strings.Builder
	lines   []string
	partial string
	next    int           // the first line waitLine has not looked at
	changed chan struct{} // closed, and replaced, when a line comes
}

func newLineLog() *lineLog { return &lineLog{changed: make(chan struct{})} }

func (l *lineLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf.Write(p)
	l.partial += string(p)
	for {
		i := strings.IndexByte(l.partial, '\n')
		if i < 0 {
			break
		}
		l.lines = append(l.lines, l.partial[:i])
		l.partial = l.partial[i+1:]
	}
	close(l.changed)
	l.changed = make(chan struct{})
	return len(p), nil
}

func (l *lineLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// startProxy starts `corsvcr proxy args...` and waits for its first two
// lines: the URL it listens at and the CA's pin.
func startProxy(t *testing.T, args ...string) *proxyProc {
	t.Helper()
	p := &proxyProc{
		cmd:    exec.Command(corsvcrBin, append([]string{"proxy"}, args...)...),
		out:    newLineLog(),
		stderr: newLineWatcher("\x00"),
		done:   make(chan error, 1),
	}
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.stderr
	require.NoError(t, p.cmd.Start())
	go func() { p.done <- p.cmd.Wait() }()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			p.cmd.Process.Kill()
			<-p.done
		}
	})
	first := p.waitLine(t, "listening at")
	p.url = regexp.MustCompile(`http://127\.0\.0\.1:\d+`).FindString(first)
	require.NotEmpty(t, p.url, first)
	second := p.waitLine(t, "SPKI pin")
	m := regexp.MustCompile(`SPKI pin ([A-Za-z0-9+/=]+)\)`).FindStringSubmatch(second)
	require.Len(t, m, 2, second)
	p.pin = m[1]
	return p
}

// stdout returns what the proxy printed so far.
func (p *proxyProc) stdout() string { return p.out.String() }

// waitLine waits for a stdout line containing want, after the lines
// already waited for, and returns it. It fails if corsvcr ends first or no
// such line comes within a minute.
func (p *proxyProc) waitLine(t *testing.T, want string) string {
	t.Helper()
	deadline := time.After(time.Minute)
	for {
		l := p.out
		l.mu.Lock()
		for l.next < len(l.lines) {
			line := l.lines[l.next]
			l.next++
			if strings.Contains(line, want) {
				l.mu.Unlock()
				return line
			}
		}
		changed := l.changed
		l.mu.Unlock()
		select {
		case <-changed:
		case err := <-p.done:
			p.done <- err // for exitCode and the cleanup
			l.mu.Lock()
			left := l.next < len(l.lines)
			l.mu.Unlock()
			if !left {
				t.Fatalf("corsvcr proxy ended (%v) before printing %q:\n%s%s", err, want, p.stdout(), p.stderr.String())
			}
		case <-deadline:
			t.Fatalf("corsvcr proxy printed no %q within a minute:\n%s%s", want, p.stdout(), p.stderr.String())
		}
	}
}

// stop interrupts the proxy (SIGINT, as Ctrl-C) and returns its exit code.
func (p *proxyProc) stop(t *testing.T) int {
	t.Helper()
	require.NoError(t, p.cmd.Process.Signal(syscall.SIGINT))
	return p.exitCode(t)
}

// exitCode waits for the proxy to end and returns its exit code.
func (p *proxyProc) exitCode(t *testing.T) int {
	t.Helper()
	select {
	case err := <-p.done:
		p.done <- err // for the cleanup
		t.Logf("corsvcr proxy stdout:\n%s\nstderr:\n%s", p.stdout(), p.stderr.String())
		if ee, ok := err.(*exec.ExitError); ok {
			return ee.ExitCode()
		}
		require.NoError(t, err)
		return 0
	case <-time.After(30 * time.Second):
		t.Fatalf("corsvcr proxy did not stop:\n%s%s", p.stdout(), p.stderr.String())
		return -1
	}
}

// e2eObserved is what the e2e page observed in Playwright's Chromium.
type e2eObserved struct {
	Results []struct {
		Name    string   `json:"name"`
		Status  int      `json:"status,omitempty"`
		Body    string   `json:"body,omitempty"`
		Headers []string `json:"headers,omitempty"`
		Error   string   `json:"error,omitempty"`
	} `json:"results"`
	Console []string `json:"console"`
}

// runPlaywright opens page in Chromium driven by Playwright through proxy
// (trusting the CA pin) and returns what the page observed.
func runPlaywright(t *testing.T, page, proxy, pin string) e2eObserved {
	t.Helper()
	chrome, err := browsercheck.FindChrome()
	require.NoError(t, err)
	cfg, err := json.Marshal(map[string]any{"chrome": chrome, "page": page, "proxy": proxy, "pin": pin})
	require.NoError(t, err)
	cfgPath := filepath.Join(t.TempDir(), "run.json")
	require.NoError(t, os.WriteFile(cfgPath, cfg, 0o644))
	cmd := exec.CommandContext(testContext(t), "node", filepath.Join(e2eDir, "run.js"), cfgPath)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(t, err, "run.js: %s", stderr.String())
	var seen e2eObserved
	require.NoError(t, json.Unmarshal(out, &seen), "run.js printed %q", out)
	return seen
}

// e2eCerts writes, into dir, certificates and keys for the e2e hosts
// (app.pem and app-key.pem for app.shop.example, api.pem and api-key.pem
// for api.shop.example) signed by a fresh test authority, and that
// authority's certificate (upstream-ca.pem), whose path it returns.
func e2eCerts(t *testing.T, dir string) (caFile string, upCA *ca.CA) {
	t.Helper()
	upCA, err := ca.New()
	require.NoError(t, err)
	for name, host := range map[string]string{"app": "app.shop.example", "api": "api.shop.example"} {
		l, err := upCA.Leaf(host)
		require.NoError(t, err)
		key, err := x509.MarshalPKCS8PrivateKey(l.PrivateKey)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dir, name+".pem"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: l.Certificate[0]}), 0o600))
		require.NoError(t, os.WriteFile(filepath.Join(dir, name+"-key.pem"), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: key}), 0o600))
	}
	caFile = filepath.Join(dir, "upstream-ca.pem")
	require.NoError(t, os.WriteFile(caFile, upCA.CertPEM(), 0o644))
	return caFile, upCA
}

// e2eShop is the running e2e shop: nginx serving the page over HTTP and
// HTTPS, and the API over HTTP or HTTPS.
type e2eShop struct {
	page, pageTLS, api string // loopback addresses
	procs              []*stackProc
}

func (s *e2eShop) stop(t *testing.T) {
	for _, p := range s.procs {
		assert.NoError(t, p.stop())
	}
}

// startE2EShop starts nginx (page) and the Express API allowing origin;
// with tls, the API speaks HTTPS with the certificate in dir (e2eCerts).
func startE2EShop(t *testing.T, dir, origin string, tls bool, upCA *ca.CA) *e2eShop {
	t.Helper()
	st := &stack{name: "e2e", dir: "../" + e2eDir}
	run := filepath.Join(dir, "run-"+strings.NewReplacer(":", "", "/", "").Replace(origin))
	require.NoError(t, os.Mkdir(run, 0o700))
	shop := &e2eShop{}

	nginx := lookPath(t, st, "nginx")
	port, tlsPort := freePort(t), freePort(t)
	for tlsPort == port {
		tlsPort = freePort(t)
	}
	root, err := filepath.Abs(filepath.Join(e2eDir, "www"))
	require.NoError(t, err)
	data, err := os.ReadFile(filepath.Join(e2eDir, "nginx.conf"))
	require.NoError(t, err)
	conf := strings.NewReplacer("@PORT@", fmt.Sprint(port), "@TLSPORT@", fmt.Sprint(tlsPort), "@RUN@", run, "@ROOT@", root,
		"@CERT@", filepath.Join(dir, "app.pem"), "@KEY@", filepath.Join(dir, "app-key.pem")).Replace(string(data))
	confPath := filepath.Join(run, "nginx.conf")
	require.NoError(t, os.WriteFile(confPath, []byte(conf), 0o644))
	np := startProc(t, run, "nginx", nil, nil, nginx, "-p", run, "-c", confPath)
	np.logFiles = []string{filepath.Join(run, "error.log")}
	shop.page, shop.pageTLS = fmt.Sprintf("127.0.0.1:%d", port), fmt.Sprintf("127.0.0.1:%d", tlsPort)
	waitReady(t, &stackServer{procs: []*stackProc{np}}, shop.page)
	shop.procs = append(shop.procs, np)

	node := lookPath(t, st, "node")
	_, err = os.Stat(filepath.Join(stacksDir, "express", "node_modules", "cors"))
	require.NoError(t, err, "the e2e API uses the Express stack's node_modules; %s", stackInstallHint)
	f, addr := listenFD(t)
	args := []string{node, filepath.Join(e2eDir, "api.js"), "--fd", "3", "--origin", origin}
	if tls {
		args = append(args, "--cert", filepath.Join(dir, "api.pem"), "--key", filepath.Join(dir, "api-key.pem"))
	}
	ap := startProc(t, run, "api.js", nil, []*os.File{f}, args...)
	shop.api = addr
	shop.procs = append(shop.procs, ap)
	if tls {
		waitReadyTLS(t, ap, addr, "api.shop.example", upCA)
	} else {
		waitReady(t, &stackServer{procs: []*stackProc{ap}}, addr)
	}
	return shop
}

// waitReadyTLS waits until the HTTPS server at addr answers for host, with
// a certificate upCA signed, or its process ends, or 30 s pass.
func waitReadyTLS(t *testing.T, p *stackProc, addr, host string, upCA *ca.CA) {
	t.Helper()
	tr := &http.Transport{
		Proxy:             nil,
		DisableKeepAlives: true,
		TLSClientConfig:   &tls.Config{RootCAs: upCA.Pool(), ServerName: host},
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, network, addr)
		},
	}
	client := &http.Client{Timeout: 2 * time.Second, Transport: tr}
	deadline := time.Now().Add(30 * time.Second)
	tick := time.NewTicker(25 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-p.done:
			require.FailNowf(t, "server exited before it was ready", "%s: %v\n%s", p.name, p.waitErr, p.logs())
		default:
		}
		res, err := client.Get("https://" + host + "/")
		if err == nil {
			io.Copy(io.Discard, res.Body)
			res.Body.Close()
			return
		}
		if time.Now().After(deadline) {
			require.FailNowf(t, "server not ready", "%s: %v\n%s", addr, err, p.logs())
		}
		<-tick.C
	}
}

// TestProxyPlaywright: a real Playwright run (Chromium driven by
// playwright-core) of a real app — a static page served by nginx calling an
// Express + cors API at another origin — goes through `corsvcr proxy --mode
// record`; the servers are stopped; the same run goes through `--mode
// replay`. What the page observes (each fetch's status, body and readable
// headers or its error, and the console errors, CORS ones included) is the
// same live and replayed, the replay has no miss, and the cassette holds the
// preflights. Over HTTP on localhost ports, and over HTTPS with real-looking
// hostnames (mapped with --upstream, verified with --upstream-ca).
func TestProxyPlaywright(t *testing.T) {
	install := exec.CommandContext(testContext(t), "har/install.sh")
	out, err := install.CombinedOutput()
	require.NoError(t, err, "integration/har/install.sh: %s", out)

	for _, tc := range []struct {
		name, page, origin string
		tls                bool
		upstreams          func(s *e2eShop) []string
	}{
		{
			name: "http", page: "http://localhost:8080/", origin: "http://localhost:8080",
			upstreams: func(s *e2eShop) []string {
				return []string{"--upstream", "localhost:8080=" + s.page, "--upstream", "localhost:8000=" + s.api}
			},
		},
		{
			name: "https", page: "https://app.shop.example/", origin: "https://app.shop.example", tls: true,
			upstreams: func(s *e2eShop) []string {
				return []string{"--upstream", "app.shop.example=" + s.pageTLS, "--upstream", "api.shop.example=" + s.api}
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			caFile, upCA := e2eCerts(t, dir)
			caDir := filepath.Join(dir, "corsvcr-ca")
			cas := filepath.Join(dir, "e2e.yaml")
			shop := startE2EShop(t, dir, tc.origin, tc.tls, upCA)

			args := append([]string{"--mode", "record", "--cassette", cas, "--ca-dir", caDir, "--upstream-ca", caFile}, tc.upstreams(shop)...)
			rec := startProxy(t, args...)
			live := runPlaywright(t, tc.page, rec.url, rec.pin)
			require.Equal(t, 0, rec.stop(t), "record proxy")
			shop.stop(t)

			// What the page saw live: the app works, two requests fail CORS.
			byName := map[string]int{}
			for i, r := range live.Results {
				byName[r.Name] = i
			}
			require.Len(t, live.Results, 5, "%+v", live)
			assert.Equal(t, 200, live.Results[byName["login"]].Status)
			assert.Equal(t, 200, live.Results[byName["me"]].Status, "the session cookie was sent with credentials: include")
			assert.JSONEq(t, `{"user":"alice"}`, live.Results[byName["me"]].Body)
			assert.Equal(t, 201, live.Results[byName["create"]].Status)
			assert.Contains(t, live.Results[byName["create"]].Headers, "x-total-count", "an exposed header is readable")
			assert.Equal(t, "TypeError: Failed to fetch", live.Results[byName["rename"]].Error)
			assert.Equal(t, "TypeError: Failed to fetch", live.Results[byName["admin"]].Error)
			cors := strings.Join(live.Console, "\n")
			assert.Contains(t, cors, "Method PUT is not allowed by Access-Control-Allow-Methods in preflight response.")
			assert.Contains(t, cors, "The 'Access-Control-Allow-Origin' header has a value 'https://admin.shop.example' that is not equal to the supplied origin.")

			c, err := cassettes.Load(cas)
			require.NoError(t, err)
			preflights := 0
			for _, in := range c.Interactions {
				if in.Kind == cassettes.KindPreflight {
					preflights++
				}
			}
			assert.Equal(t, 2, preflights, "the JSON POST's and the PUT's preflights")
			assert.Contains(t, rec.stdout(), "wrote "+cas)

			// Offline: the servers are stopped.
			rp := startProxy(t, "--mode", "replay", "--cassette", cas, "--ca-dir", caDir)
			replayed := runPlaywright(t, tc.page, rp.url, rp.pin)
			assert.Equal(t, 0, rp.stop(t), "replay proxy: no miss")
			assert.Equal(t, live, replayed, "live == replay")
			assert.Contains(t, rp.stdout(), "replay misses: 0")
		})
	}
}
