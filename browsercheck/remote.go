package browsercheck

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"sync"

	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/remote"
)

// Attaching to a Chrome that runs already
//
// A Config with Remote (a DevTools address) or Parent (a running Browser)
// starts no Chrome. The Browser runs its checks in a tab of a new browser
// context of that Chrome, created with Target.createBrowserContext: a
// profile of its own in memory, so the user's tabs, cookies and caches are
// neither seen nor touched, and it is disposed of (tab, cookies, caches) by
// Close. Close never stops the Chrome: it closes the tab, disposes of the
// context and, for Remote, closes the DevTools connection.
//
// A running Chrome takes no command-line flags, so the proxy is set on the
// browser context (proxyServer, with proxyBypassList "<-loopback>" so that
// loopback goes through it too, as --proxy-bypass-list does for a started
// Chrome). The proxy must be reachable from that Chrome: a Chrome on
// another machine needs a proxy listening on an address it can reach.
//
// HTTPS is not supported when attached: Chrome trusts corsvcr's CA by its
// SPKI pin, a launch flag (--ignore-certificate-errors-spki-list) that a
// running Chrome cannot be given, and certificate errors are never ignored
// wholesale (Security.setIgnoreCertificateErrors would do that for the
// whole browser). A Config with SPKIPins and Remote or Parent is refused.

// ErrAttachedHTTPS is the error (wrapped) of an attached Browser asked to
// trust SPKI pins.
var ErrAttachedHTTPS = errors.New("https checks need corsvcr's CA pinned by a launch flag (--ignore-certificate-errors-spki-list), which a running Chrome cannot be given; run them in a Chrome corsvcr starts")

// attachment is what an attached Browser holds besides a started one's
// fields.
type attachment struct {
	remote string // the DevTools address, "" for a Parent
	proxy  string // Config.Proxy, set on every browser context b creates
	// contextID is the browser context the checks run in.
	contextID string
}

// attach returns a Browser that runs its checks in a new browser context of
// the Chrome at cfg.Remote, or of cfg.Parent's Chrome.
func attach(ctx context.Context, cfg Config) (*Browser, error) {
	if cfg.Remote != "" && cfg.Parent != nil {
		return nil, errors.New("browsercheck: config: Remote and Parent are exclusive")
	}
	what := "remote browser " + fmt.Sprintf("%q", cfg.Remote)
	if cfg.Parent != nil {
		what = "parent browser"
	}
	if cfg.Remote != "" {
		if err := checkRemote(cfg.Remote); err != nil {
			return nil, err
		}
	}
	if err := cfg.checkCommon(); err != nil {
		return nil, err
	}
	if len(cfg.SPKIPins) > 0 {
		return nil, fmt.Errorf("browsercheck: %s: %w", what, ErrAttachedHTTPS)
	}
	b := &Browser{timeout: cfg.Timeout, output: &tailBuffer{max: 8 << 10}, log: cfg.Logger, attached: &attachment{remote: cfg.Remote, proxy: cfg.Proxy}}
	if b.log == nil {
		b.log = slog.New(slog.DiscardHandler)
	}
	if b.timeout == 0 {
		b.timeout = DefaultTimeout
	}
	b.pool.init(max(cfg.Workers, 1))
	var parent context.Context
	if cfg.Parent != nil {
		if cfg.Parent.attached != nil && cfg.Parent.attached.contextID != "" {
			return nil, errors.New("browsercheck: parent browser: attached itself; give its Chrome's DevTools address as Remote")
		}
		parent = cfg.Parent.tabCtx
		b.execPath = cfg.Parent.execPath
	} else {
		var cancel context.CancelFunc
		// The connection must outlive ctx, which bounds the start only.
		parent, cancel = remote.NewAllocator(context.WithoutCancel(ctx), wsAddress(cfg.Remote))
		b.allocCancel = cancel
	}
	newContext := chromedp.WithNewBrowserContext(b.contextProxy)
	opts := []chromedp.ContextOption{newContext}
	if cfg.Parent == nil {
		// Browser options, for the connection this context opens; a
		// Parent's connection logs to the Parent's logger.
		opts = append(opts, chromedp.WithLogf(b.chromedpLogf), chromedp.WithErrorf(b.chromedpErrorf))
	}
	tabCtx, tabCancel := chromedp.NewContext(parent, opts...)
	b.tabCtx, b.tabCancel = tabCtx, sync.OnceFunc(tabCancel)
	if err := b.start(ctx); err != nil {
		closeErr := b.Close()
		return nil, errors.Join(fmt.Errorf("browsercheck: attach to %s: %w", what, err), closeErr)
	}
	if c := chromedp.FromContext(b.tabCtx); c != nil {
		b.attached.contextID = string(c.BrowserContextID)
	}
	if cfg.Parent != nil {
		b.version = cfg.Parent.version
	}
	return b, nil
}

// contextProxy sets the proxy of an attached Browser on the parameters of
// a browser context it creates (chromedp.WithNewBrowserContext): a running
// Chrome takes no --proxy-server flag, so every browser context of an
// attached Browser must carry it. It does nothing for a started Browser,
// whose Chrome has the flag.
func (b *Browser) contextProxy(p *target.CreateBrowserContextParams) {
	if b.attached == nil || b.attached.proxy == "" {
		return
	}
	p.ProxyServer = b.attached.proxy
	// Without it Chrome sends localhost and 127.0.0.0/8 directly.
	p.ProxyBypassList = "<-loopback>"
}

// CheckRemote reports whether raw is a DevTools address Config.Remote
// takes (ws://HOST:PORT/devtools/browser/ID or http://HOST:PORT), without
// connecting: for a command line to refuse a mistyped one up front.
func CheckRemote(raw string) error { return checkRemote(raw) }

// checkRemote validates a DevTools address.
func checkRemote(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.Port() == "" {
		return fmt.Errorf("browsercheck: remote browser %q: want ws://HOST:PORT/devtools/browser/ID or http://HOST:PORT (Chrome's --remote-debugging-port)", raw)
	}
	switch u.Scheme {
	case "ws", "wss", "http", "https":
		return nil
	}
	return fmt.Errorf("browsercheck: remote browser %q: scheme %q: want ws, wss, http or https", raw, u.Scheme)
}

// wsAddress returns a browser's DevTools websocket address written with
// http(s) (as /json/version's devtoolsFrontendUrl readers often copy it)
// as ws(s); other addresses unchanged (http://HOST:PORT is resolved through
// /json/version).
func wsAddress(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || !strings.Contains(u.Path, "/devtools/browser/") {
		return raw
	}
	switch u.Scheme {
	case "http":
		u.Scheme = "ws"
	case "https":
		u.Scheme = "wss"
	}
	return u.String()
}

// Remote returns the DevTools address of the Chrome b is attached to, ""
// when b started its Chrome or runs in a Parent's.
func (b *Browser) Remote() string {
	if b.attached == nil {
		return ""
	}
	return b.attached.remote
}

// detach closes b's tab and disposes of its browser context, then closes
// the DevTools connection b opened; the Chrome keeps running.
func (b *Browser) detach() error {
	b.closing.Store(true)
	b.pool.close() // the workers' tabs and browser contexts
	var err error
	if b.tabCtx != nil {
		// Closes the tab and disposes of the browser context, and reports
		// what failed.
		err = chromedp.Cancel(b.tabCtx)
		b.tabCancel()
	}
	if b.allocCancel != nil {
		b.allocCancel() // closes the DevTools connection
	}
	if err != nil && !errors.Is(err, context.Canceled) {
		return fmt.Errorf("browsercheck: close: %w", err)
	}
	return nil
}
