package vcr

import (
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"

	"github.com/corsvcr/corsvcr/browsercheck"
	"github.com/corsvcr/corsvcr/ca"
	"github.com/corsvcr/corsvcr/replay"
)

// browserConfig returns the configuration of the Browser that runs the
// checks of one run through proxyURL, trusting auth: a Chrome of its own,
// the one at Config.Browser (attached), or Config.SharedBrowser's (in a
// browser context of its own) when the run needs no CA pin.
func (r *Runner) browserConfig(proxyURL string, auth *ca.CA) browsercheck.Config {
	cfg := browsercheck.Config{ExecPath: r.cfg.Chrome, Proxy: proxyURL, Timeout: r.cfg.Timeout, SPKIPins: pins(auth), Logger: r.log}
	switch {
	case r.cfg.Browser != "":
		cfg.Remote = r.cfg.Browser
	case r.cfg.SharedBrowser != nil && auth == nil:
		// The CA pin is a launch flag: a run that needs it gets a Chrome
		// of its own.
		cfg.Parent = r.cfg.SharedBrowser
	}
	return cfg
}

// ErrListenAddr is the error (wrapped) of a Config.Listen that names no
// address a browser can be given.
var ErrListenAddr = errors.New("want HOST:PORT with the address the browser reaches this machine at (port 0 for any free port)")

// checkListen validates Config.Listen.
func checkListen(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("vcr: config: listen %q: %w", addr, ErrListenAddr)
	}
	if ip := net.ParseIP(strings.Trim(host, "[]")); host == "" || ip != nil && ip.IsUnspecified() {
		// The browser is told the proxy's address: 0.0.0.0 is none.
		return fmt.Errorf("vcr: config: listen %q: an unspecified host is no address to give the browser: %w", addr, ErrListenAddr)
	}
	return nil
}

// IsLoopback reports whether the listen address addr (Config.Listen) is on
// loopback ("" is): a proxy listening elsewhere answers anyone who reaches
// it, and callers warn about it.
func IsLoopback(addr string) bool {
	if addr == "" {
		return true
	}
	_, err := replay.ListenAddr(addr)
	return err == nil
}

// relay accepts connections on an address of the caller's choice
// (Config.Listen) and pipes each to the proxy at target: the recording and
// replay proxies listen on loopback only, and a browser elsewhere (attached
// with Config.Browser) reaches them through it. It is a byte pipe, so
// CONNECT tunnels and TLS pass unchanged.
type relay struct {
	ln     net.Listener
	target string

	mu    sync.Mutex
	conns map[net.Conn]struct{}
	wg    sync.WaitGroup
}

// startRelay listens on addr and relays to target ("127.0.0.1:PORT").
func startRelay(addr, target string) (*relay, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("vcr: listen %q: %w", addr, err)
	}
	rl := &relay{ln: ln, target: target, conns: map[net.Conn]struct{}{}}
	rl.wg.Go(rl.serve)
	return rl, nil
}

// URL is the proxy URL to give the browser.
func (rl *relay) URL() string { return "http://" + rl.ln.Addr().String() }

func (rl *relay) serve() {
	for {
		c, err := rl.ln.Accept()
		if err != nil {
			return // closed
		}
		if !rl.track(c) {
			c.Close()
			return
		}
		rl.wg.Go(func() { rl.pipe(c) })
	}
}

// track adds c to the open connections; false once Close has begun.
func (rl *relay) track(c net.Conn) bool {
	rl.mu.Lock()
	defer rl.mu.Unlock()
	if rl.conns == nil {
		return false
	}
	rl.conns[c] = struct{}{}
	return true
}

func (rl *relay) pipe(c net.Conn) {
	defer func() {
		c.Close()
		rl.mu.Lock()
		delete(rl.conns, c)
		rl.mu.Unlock()
	}()
	up, err := net.Dial("tcp", rl.target)
	if err != nil {
		return
	}
	if !rl.track(up) {
		up.Close()
		return
	}
	defer func() {
		up.Close()
		rl.mu.Lock()
		delete(rl.conns, up)
		rl.mu.Unlock()
	}()
	// Either side ending ends the exchange: close both, which ends the
	// other copy too.
	var once sync.Once
	closeBoth := func() { c.Close(); up.Close() }
	done := make(chan struct{})
	go func() {
		io.Copy(up, c)
		once.Do(closeBoth)
		close(done)
	}()
	io.Copy(c, up)
	once.Do(closeBoth)
	<-done
}

// Close stops accepting, closes every relayed connection and waits for the
// relay's goroutines.
func (rl *relay) Close() {
	rl.ln.Close()
	rl.mu.Lock()
	for c := range rl.conns {
		c.Close()
	}
	rl.conns = nil
	rl.mu.Unlock()
	rl.wg.Wait()
}
