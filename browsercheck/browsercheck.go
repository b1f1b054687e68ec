// Package browsercheck runs CORS checks in real headless Chrome and reports
// Chrome's own verdict, read from the DevTools protocol.
//
// A check is one fetch() or XMLHttpRequest made by a tiny page script at a
// page origin. The page is served by a proxy (see Intercept) at any origin,
// so Chrome believes it runs on, say, http://localhost:8080. JavaScript only
// learns "TypeError: Failed to fetch"; the reason (the CorsError and its
// failedParameter) comes from the DevTools protocol events of the request:
// Network.loadingFailed, Audits.issueAdded and Log.entryAdded, correlated by
// request id.
package browsercheck

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/chromedp"

	"github.com/corsvcr/corsvcr/internal/fetch"
)

// PagePrefix is the reserved path under which check pages are served at any
// origin (fetch.CheckPagePrefix). Proxies serve requests under it with
// Intercept.
const PagePrefix = fetch.CheckPagePrefix

// pagePath is the path of the check page below the page origin.
const pagePath = fetch.CheckPagePath

// Config configures a Browser. The zero value finds Chrome itself, uses no
// proxy and a 15 s check timeout.
type Config struct {
	// ExecPath is the browser binary; "" looks up $CORSVCR_CHROME, then
	// chromium-headless-shell, chromium, google-chrome on PATH.
	ExecPath string
	// Proxy is the proxy every request goes through, loopback included,
	// e.g. "http://127.0.0.1:41234".
	Proxy string
	// Timeout bounds one check; 0 means 15 s.
	Timeout time.Duration
	// SPKIPins are base64 SHA-256 hashes of SubjectPublicKeyInfos (e.g.
	// ca.CA.SPKIPin) that Chrome trusts: a certificate chain containing one
	// of these keys is accepted, so the HTTPS proxies' certificates are
	// trusted (--ignore-certificate-errors-spki-list). Nothing else is:
	// certificate errors are never ignored wholesale.
	SPKIPins []string
	// Remote is the DevTools address of a Chrome that runs already, to
	// attach to instead of starting one: ws://HOST:PORT/devtools/browser/ID,
	// or http://HOST:PORT (resolved through /json/version). See remote.go.
	Remote string
	// Parent is a running Browser whose Chrome runs the checks instead of a
	// new one, in a browser context of their own (see remote.go).
	Parent *Browser
	// Workers is how many checks may run at once, each in a tab of its own
	// browser context (created on first need, then reused); 0 means 1.
	// Check blocks while every worker is busy.
	Workers int
	// Logger receives chromedp's messages, which chromedp would otherwise
	// print to the standard logger (stderr): its errors at level Warn, but
	// at level Debug once Close has begun, when writes to the Chrome it is
	// stopping are expected to fail ("writing message: write |1: broken
	// pipe"); its other messages at level Debug. nil discards them.
	Logger *slog.Logger
}

// DefaultTimeout is the check timeout of a Config whose Timeout is 0.
const DefaultTimeout = 15 * time.Second

// startTimeout bounds the start of Chrome in New.
const startTimeout = 30 * time.Second

// Browser is one running headless Chrome that runs checks in up to
// Config.Workers workers, each one tab in a browser context of its own,
// reused from check to check. Check may be called from several goroutines:
// up to Config.Workers calls run at once, the others wait for a free worker.
// Close stops Chrome and removes every temporary file.
type Browser struct {
	execPath string
	version  string
	timeout  time.Duration
	tempDir  string // holds profile/ (user-data-dir) and tmp/ (Chrome's TMPDIR)
	profile  string
	output   *tailBuffer

	allocCancel context.CancelFunc
	tabCtx      context.Context // the first tab: it owns the browser and runs no check
	tabCancel   context.CancelFunc

	pool workerPool

	log     *slog.Logger
	closing atomic.Bool // Close has begun: chromedp's write errors are expected
	mainPID int         // the browser process, which chromedp's os/exec waits for

	closeOnce sync.Once
	closeErr  error

	attached *attachment // set when attached to a Chrome it did not start (remote.go)
}

// New starts Chrome. It fails with a message saying how to install a
// browser when none is found. ctx bounds the start only; the browser lives
// until Close.
func New(ctx context.Context, cfg Config) (*Browser, error) {
	if cfg.Remote != "" || cfg.Parent != nil {
		return attach(ctx, cfg) // remote.go
	}
	execPath := cfg.ExecPath
	if execPath == "" {
		p, err := FindChrome()
		if err != nil {
			return nil, err
		}
		execPath = p
	}
	if err := cfg.checkCommon(); err != nil {
		return nil, err
	}
	for _, p := range cfg.SPKIPins {
		if b, err := base64.StdEncoding.DecodeString(p); err != nil || len(b) != sha256.Size {
			return nil, fmt.Errorf("browsercheck: SPKI pin %q: want the base64 SHA-256 of a SubjectPublicKeyInfo (44 characters)", p)
		}
	}
	b := &Browser{execPath: execPath, timeout: cfg.Timeout, output: &tailBuffer{max: 8 << 10}, log: cfg.Logger}
	if b.log == nil {
		b.log = slog.New(slog.DiscardHandler)
	}
	if b.timeout == 0 {
		b.timeout = DefaultTimeout
	}
	b.pool.init(max(cfg.Workers, 1))

	removeStaleTempDirs()
	dir, err := makeTempDir()
	if err != nil {
		return nil, fmt.Errorf("browsercheck: %w", err)
	}
	b.tempDir = dir
	b.profile = filepath.Join(dir, "profile")
	chromeTmp := filepath.Join(dir, "tmp")
	for _, d := range []string{b.profile, chromeTmp} {
		if err := os.Mkdir(d, 0o700); err != nil {
			os.RemoveAll(dir)
			return nil, fmt.Errorf("browsercheck: %w", err)
		}
	}
	openBrowsers.add(b) // Close removes it

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(execPath),
		chromedp.NoSandbox,
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(b.profile),
		// Chromium leaves org.chromium.Chromium.* in $TMPDIR: keep it ours.
		chromedp.Env("TMPDIR="+chromeTmp),
		chromedp.CombinedOutput(b.output),
		// Chrome in a process group of its own: a terminal's Ctrl-C, sent
		// to the foreground group, reaches corsvcr only, which then stops
		// the run cleanly and closes Chrome itself.
		chromedp.ModifyCmdFunc(ownProcessGroup),
	)
	if cfg.Proxy != "" {
		opts = append(opts,
			chromedp.ProxyServer(cfg.Proxy),
			// Without it Chrome sends localhost and 127.0.0.0/8 directly.
			chromedp.Flag("proxy-bypass-list", "<-loopback>"),
		)
	}
	if len(cfg.SPKIPins) > 0 {
		// Honoured because chromedp always passes --user-data-dir.
		opts = append(opts, chromedp.Flag("ignore-certificate-errors-spki-list", strings.Join(cfg.SPKIPins, ",")))
	}
	// The browser must outlive ctx, which bounds the start only.
	allocCtx, allocCancel := chromedp.NewExecAllocator(context.WithoutCancel(ctx), opts...)
	b.allocCancel = allocCancel
	tabCtx, tabCancel := chromedp.NewContext(allocCtx, chromedp.WithLogf(b.chromedpLogf), chromedp.WithErrorf(b.chromedpErrorf))
	// chromedp's cancel func blocks when called a second time on a browser
	// whose start was cancelled: call it once only.
	b.tabCtx, b.tabCancel = tabCtx, sync.OnceFunc(tabCancel)

	if err := b.start(ctx); err != nil {
		closeErr := b.Close()
		return nil, errors.Join(fmt.Errorf("browsercheck: start %s: %w%s", execPath, err, b.output.suffix()), closeErr)
	}
	return b, nil
}

// start launches Chrome. The workers' tabs are opened by the checks that
// need them (newWorker).
// checkCommon checks the fields of cfg that a started and an attached
// browser share.
func (cfg Config) checkCommon() error {
	if cfg.Proxy != "" {
		u, err := url.Parse(cfg.Proxy)
		if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https" && u.Scheme != "socks5") {
			return fmt.Errorf("browsercheck: proxy %q: want scheme://host:port, e.g. http://127.0.0.1:41234", cfg.Proxy)
		}
	}
	if cfg.Timeout < 0 {
		return fmt.Errorf("browsercheck: negative timeout %v", cfg.Timeout)
	}
	if cfg.Workers < 0 {
		return fmt.Errorf("browsercheck: negative workers %d", cfg.Workers)
	}
	return nil
}

func (b *Browser) start(ctx context.Context) error {
	// The first use of tabCtx starts Chrome and binds it to tabCtx, so it
	// must not carry a deadline; a cancelled ctx kills it through tabCancel.
	if err := ctx.Err(); err != nil {
		return err
	}
	stop := context.AfterFunc(ctx, b.tabCancel)
	defer stop()
	if err := chromedp.Do(b.tabCtx); err != nil {
		return err
	}
	sctx, cancel := context.WithTimeout(b.tabCtx, startTimeout)
	defer cancel()
	v, err := chromedp.CallBrowser(sctx, cdpbrowser.GetVersion, cdp.Empty{})
	if err != nil {
		return fmt.Errorf("Browser.getVersion: %w", err)
	}
	b.version = productName(b.execPath, v.Product)
	if c := chromedp.FromContext(b.tabCtx); c != nil && c.Browser != nil {
		if p := c.Browser.Process(); p != nil {
			b.mainPID = p.Pid
		}
	}
	return ctx.Err()
}

// productName renders Browser.getVersion's product ("HeadlessChrome/156.0.1",
// "Chrome/156.0.1") as a readable name and version, naming Chromium when the
// binary is a Chromium build: "Chromium Headless Shell 156.0.8078.79".
func productName(execPath, product string) string {
	name, ver, ok := strings.Cut(product, "/")
	if !ok {
		return product
	}
	base := strings.ToLower(filepath.Base(execPath))
	brand := "Chrome"
	if strings.Contains(base, "chromium") {
		brand = "Chromium"
	}
	switch {
	case name == "HeadlessChrome" && strings.Contains(base, "headless-shell"):
		name = brand + " Headless Shell"
	case name == "HeadlessChrome":
		name = brand + " (headless)"
	case name == "Chrome":
		name = brand
	}
	return name + " " + ver
}

// Version returns the browser product, e.g. "Chromium Headless Shell
// 156.0.8078.79" for Debian's chromium-headless-shell, "Chromium
// 156.0.8078.79" style for others.
func (b *Browser) Version() string { return b.version }

// ExecPath returns the browser binary that runs.
func (b *Browser) ExecPath() string { return b.execPath }

// Close stops Chrome and removes its temporary directories. It kills every
// process that still uses the browser's profile and waits for them, and
// reaps those of Chrome's processes that were reparented to this process
// (a child subreaper, see reapOrphans) so that none is left a zombie. It is
// safe to call more than once and while a check runs (the check then fails).
func (b *Browser) Close() error {
	b.closeOnce.Do(func() {
		if b.attached != nil {
			b.closeErr = b.detach() // never kills a browser it did not start
			return
		}
		defer openBrowsers.remove(b)
		b.closing.Store(true)
		// Debian's /usr/bin/chromium* are shell scripts: chromedp kills the
		// shell, and the real browser and its children must be found by
		// their profile and their parent chain.
		tree := chromeTree(b.profile)
		b.pool.close()
		if b.tabCancel != nil {
			b.tabCancel() // the first tab owns the browser: this kills Chrome
		}
		if b.allocCancel != nil {
			b.allocCancel() // waits for the browser process
		}
		if err := b.kill(tree, b.mainPID); err != nil {
			b.closeErr = fmt.Errorf("browsercheck: close: %w", err)
		}
	})
	return b.closeErr
}

// kill kills the processes of tree and every process still using the
// profile, reaps the ones reparented here (except the process except) and
// removes the temporary directory.
func (b *Browser) kill(tree map[int]string, except int) error {
	if tree == nil {
		tree = map[int]string{}
	}
	var errs []error
	if err := killTree(tree); err != nil {
		errs = append(errs, err)
	}
	if b.profile != "" {
		if err := killLeftovers(b.profile, tree); err != nil {
			errs = append(errs, err)
		}
	}
	reapOrphans(tree, except)
	if b.tempDir != "" {
		if err := removeAll(b.tempDir); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Abort kills every Chrome of this process that is not closed yet, with
// all its processes, reaps them and removes their temporary directories,
// at once: without waiting for chromedp, for a check in progress or for a
// Close already running. It is for a program about to exit immediately (a
// second Ctrl-C); the Browsers must not be used afterwards, and Close
// then only reports what Abort left.
func Abort() error {
	var errs []error
	for _, b := range openBrowsers.list() {
		b.closing.Store(true)
		if err := b.kill(chromeTree(b.profile), 0); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("browsercheck: abort: %w", err)
	}
	return nil
}

// openBrowsers are the Browsers of this process that are not closed: what
// Abort kills.
var openBrowsers browserSet

type browserSet struct {
	mu sync.Mutex
	m  map[*Browser]struct{}
}

func (s *browserSet) add(b *Browser) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = map[*Browser]struct{}{}
	}
	s.m[b] = struct{}{}
}

func (s *browserSet) remove(b *Browser) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, b)
}

func (s *browserSet) list() []*Browser {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*Browser, 0, len(s.m))
	for b := range s.m {
		out = append(out, b)
	}
	return out
}

// chromedpErrorf is chromedp's error logger (chromedp.WithErrorf), which
// by default prints "ERROR: …" to the standard logger.
func (b *Browser) chromedpErrorf(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if b.closing.Load() {
		// Close kills Chrome while chromedp may still write to it.
		b.log.Debug("chromedp error while closing Chrome (expected)", "err", msg)
		return
	}
	b.log.Warn("chromedp error", "err", msg)
}

// chromedpLogf is chromedp's logger (chromedp.WithLogf).
func (b *Browser) chromedpLogf(format string, args ...any) {
	b.log.Debug("chromedp", "msg", fmt.Sprintf(format, args...))
}

// FindChrome returns the browser binary Config.ExecPath "" would use:
// $CORSVCR_CHROME if set, else the first of chromium-headless-shell,
// chromium, google-chrome on PATH.
func FindChrome() (string, error) {
	if p := os.Getenv("CORSVCR_CHROME"); p != "" {
		found, err := exec.LookPath(p)
		if err != nil {
			return "", fmt.Errorf("browsercheck: CORSVCR_CHROME=%q: %w", p, err)
		}
		return found, nil
	}
	for _, name := range []string{"chromium-headless-shell", "chromium", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", errors.New("browsercheck: no Chrome or Chromium found (set CORSVCR_CHROME or install one: sudo apt-get install chromium-headless-shell)")
}

// removeAll removes dir, retrying briefly: a dying Chrome child can still
// create files in it.
func removeAll(dir string) error {
	var err error
	for range 50 {
		if err = os.RemoveAll(dir); err == nil {
			return nil
		}
		time.Sleep(10 * time.Millisecond)
	}
	return err
}

// tailBuffer keeps the last max bytes written to it: Chrome's output for
// error messages.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	b   []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if over := len(t.b) - t.max; over > 0 {
		t.b = slices.Delete(t.b, 0, over)
	}
	return len(p), nil
}

// suffix returns "; chrome output: …" or "".
func (t *tailBuffer) suffix() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := strings.TrimSpace(string(t.b))
	if s == "" {
		return ""
	}
	return "; chrome output:\n" + s
}
