package browsercheck

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/chromedp/cdproto/audits"
	"github.com/chromedp/cdproto/cdp"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// worker is one tab in a browser context of its own, which runs one check
// at a time. Its browser context keeps its caches and cookies apart from
// the other workers', so that clearing them for one check (Check) never
// touches a check running in another worker; it is created once, with the
// worker, not per check.
type worker struct {
	ctx    context.Context // the tab
	cancel context.CancelFunc

	// page is the origin whose check page the tab holds, reused by the next
	// check at that origin; "" after a failure or an unfinished check,
	// which make the next check load the page again.
	page string

	// lanes are the lanes (CheckLane) of the checks run since the HTTP and
	// preflight caches were last cleared; anyLane is set when one of them
	// had none.
	lanes   map[string]bool
	anyLane bool

	evMu sync.Mutex
	col  *collector // events of the running check; nil between checks
	// old holds the request ids of the earlier checks since the page was
	// loaded: their late events are nobody's.
	old map[network.RequestID]bool
}

// mustClearCache reports whether a check of lane may find entries of
// another check in the HTTP or preflight cache.
func (w *worker) mustClearCache(lane string) bool {
	return lane == "" || w.anyLane || w.lanes[lane]
}

// cacheCleared records that the caches are empty.
func (w *worker) cacheCleared() {
	w.lanes, w.anyLane = map[string]bool{}, false
}

// cacheUsedBy records that a check of lane runs.
func (w *worker) cacheUsedBy(lane string) {
	if lane == "" {
		w.anyLane = true
		return
	}
	if w.lanes == nil {
		w.lanes = map[string]bool{}
	}
	w.lanes[lane] = true
}

// onEvent is the tab's chromedp listener. It runs on the goroutine that
// reads the browser's messages, so it only records and never blocks.
func (w *worker) onEvent(ev any) {
	if debugEvent != nil {
		debugEvent(ev)
	}
	w.evMu.Lock()
	col := w.col
	if id := requestOf(ev); id != "" && w.old[id] {
		col = nil
	}
	w.evMu.Unlock()
	if col != nil {
		col.add(ev)
	}
}

// setCollector makes col receive the tab's events (nil: none).
func (w *worker) setCollector(col *collector) {
	w.evMu.Lock()
	w.col = col
	w.evMu.Unlock()
}

// retire marks the request ids of a finished check as old; reset (a new
// page) forgets them.
func (w *worker) retire(ids []network.RequestID, reset bool) {
	w.evMu.Lock()
	defer w.evMu.Unlock()
	if reset || w.old == nil {
		w.old = map[network.RequestID]bool{}
	}
	for _, id := range ids {
		w.old[id] = true
	}
}

// workerPool hands out workers, creating them on demand up to max.
type workerPool struct {
	max  int
	free chan *worker

	mu      sync.Mutex
	all     []*worker
	created int
	closed  bool
}

func (p *workerPool) init(max int) {
	p.max = max
	p.free = make(chan *worker, max)
}

// get returns a free worker, a new one when every worker is busy and fewer
// than max exist, or waits for one.
func (b *Browser) getWorker(ctx context.Context) (*worker, error) {
	p := &b.pool
	select {
	case w := <-p.free:
		return w, nil
	default:
	}
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil, errClosed
	}
	if p.created < p.max {
		p.created++
		p.mu.Unlock()
		w, err := b.newWorker(ctx)
		p.mu.Lock()
		defer p.mu.Unlock()
		if err != nil {
			p.created--
			return nil, err
		}
		if p.closed {
			// Close ran meanwhile and did not see it.
			w.cancel()
			return nil, errClosed
		}
		p.all = append(p.all, w)
		return w, nil
	}
	p.mu.Unlock()
	select {
	case w := <-p.free:
		return w, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// putWorker returns w to the pool.
func (b *Browser) putWorker(w *worker) { b.pool.free <- w }

var errClosed = errors.New("browsercheck: browser closed")

// newWorker opens a tab in a new browser context and enables the domains
// that are off by default. ctx bounds the opening only.
func (b *Browser) newWorker(ctx context.Context) (*worker, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	wctx, cancel := chromedp.NewContext(b.tabCtx, chromedp.WithNewBrowserContext(b.contextProxy))
	w := &worker{ctx: wctx, cancel: sync.OnceFunc(cancel)}
	// The first use of wctx opens the tab and binds it to wctx, which must
	// have no deadline: ctx and the timeout close the tab instead.
	tctx, tcancel := context.WithTimeout(ctx, b.timeout)
	defer tcancel()
	stop := context.AfterFunc(tctx, w.cancel)
	defer stop()
	fail := func(what string, err error) (*worker, error) {
		w.cancel()
		if cerr := ctx.Err(); cerr != nil {
			err = cerr
		} else if tctx.Err() != nil {
			err = fmt.Errorf("timeout after %v: %w", b.timeout, tctx.Err())
		}
		return nil, fmt.Errorf("open a tab: %s: %w%s", what, err, b.output.suffix())
	}
	if err := chromedp.Do(wctx); err != nil {
		return fail("Target.createTarget", err)
	}
	if err := chromedp.Listen(wctx, w.onEvent); err != nil {
		return fail("listen", err)
	}
	if _, err := chromedp.Call(wctx, audits.Enable, cdp.Empty{}); err != nil {
		return fail("Audits.enable", err)
	}
	if _, err := chromedp.Call(wctx, cdplog.Enable, cdp.Empty{}); err != nil {
		return fail("Log.enable", err)
	}
	// Chrome makes a browser context's network context on first use: here,
	// not in the first check's time.
	if _, err := chromedp.Call(wctx, network.ClearBrowserCache, cdp.Empty{}); err != nil {
		return fail("Network.clearBrowserCache", err)
	}
	if !stop() {
		return fail("open", tctx.Err())
	}
	return w, nil
}

// close closes every worker's tab and browser context, at once, and waits.
func (p *workerPool) close() {
	p.mu.Lock()
	p.closed = true
	all := p.all
	p.all = nil
	p.mu.Unlock()
	var wg sync.WaitGroup
	for _, w := range all {
		wg.Go(w.cancel)
	}
	wg.Wait()
}

// Workers returns how many checks may run at once (Config.Workers).
func (b *Browser) Workers() int { return b.pool.max }

// OpenWorkers returns how many workers (tabs, each in its own browser
// context) are open: at most Workers, however many checks ran.
func (b *Browser) OpenWorkers() int {
	b.pool.mu.Lock()
	defer b.pool.mu.Unlock()
	return len(b.pool.all)
}
