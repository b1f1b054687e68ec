package browsercheck

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/chromedp/cdproto/audits"
	"github.com/chromedp/cdproto/cdp"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/corsvcr/corsvcr/checks"
	"github.com/corsvcr/corsvcr/internal/fetch"
)

// A page visit (checks.Visit) loads a real page in a browser context and
// tab of its own, created for the visit and disposed after it: no cookie,
// HTTP cache or preflight cache comes from or goes to another check. The
// page goes through the proxy like check pages (loopback included). The
// visit waits until no request has been in flight for Visit.Idle, runs
// Visit.AfterLoad and waits again, then reads, from the DevTools events
// alone, Chrome's verdict on every cross-origin fetch() and XMLHttpRequest
// the page made, in the order the page made them. A verdict of a page
// visit names its request (Verdict.Method, Verdict.URL); the script's view
// (readable headers, its error text) is not known and left empty.

// visitMeta is what a visit needs of a request beyond reqState: its
// resource type, the document that made it, and its place among the
// requests the page made (the order of their first requestWillBeSent,
// which is the page's: a request's other events, such as the
// requestWillBeSentExtraInfo of the network service, may come before the
// requestWillBeSent of a request the page made earlier).
type visitMeta struct {
	typ    network.ResourceType
	docURL string
	seq    int
}

// visitCollector feeds a collector (the Network, Audits and Log events of
// the visit's tab, correlated as for checks) and keeps the visitMeta of
// each request and a count of the requests started, for the idle wait.
type visitCollector struct {
	col *collector

	mu      sync.Mutex
	meta    map[network.RequestID]visitMeta
	started int    // requests started (first requestWillBeSent of an id)
	last    string // the last request started: "GET http://…"
}

// add is the tab's listener: it runs on chromedp's reader goroutine, so it
// only records and never blocks.
func (vc *visitCollector) add(ev any) {
	if e, ok := ev.(*network.EventRequestWillBeSent); ok {
		vc.mu.Lock()
		if _, seen := vc.meta[e.RequestID]; !seen {
			vc.meta[e.RequestID] = visitMeta{typ: e.Type, docURL: e.DocumentURL, seq: vc.started}
			vc.started++
			if e.Request != nil {
				vc.last = e.Request.Method + " " + e.Request.URL
			}
		}
		vc.mu.Unlock()
	}
	if debugEvent != nil {
		debugEvent(ev)
	}
	vc.col.add(ev) // wakes the waiter after the meta is in place
}

// inFlight returns the requests that started and have neither a response
// nor a terminal event yet, and the number of requests started so far. A
// request with its response counts as settled: Chrome decides CORS on the
// response head, and it never finishes some loads whose body the page does
// not read (measured: a fetch whose body is never read stays without
// loadingFinished).
func (vc *visitCollector) inFlight() (pending []*reqState, started int) {
	vc.col.mu.Lock()
	for _, id := range vc.col.order {
		if r := vc.col.reqs[id]; r.url != "" && !r.terminal() && r.status == 0 {
			pending = append(pending, r)
		}
	}
	vc.col.mu.Unlock()
	vc.mu.Lock()
	started = vc.started
	vc.mu.Unlock()
	return pending, started
}

// waitIdle waits until no request has been in flight for idle: event by
// event, restarting the idle timer whenever a request starts. It fails,
// naming the requests still in flight, when ctx ends first.
func (vc *visitCollector) waitIdle(ctx context.Context, idle time.Duration) error {
	var timer *time.Timer
	var timerC <-chan time.Time
	stopTimer := func() {
		if timer != nil {
			timer.Stop()
			timer, timerC = nil, nil
		}
	}
	defer stopTimer()
	armedAt := -1 // started when the timer was armed
	for {
		pending, started := vc.inFlight()
		switch {
		case len(pending) > 0:
			stopTimer()
		case timer == nil || started != armedAt:
			stopTimer()
			timer = time.NewTimer(idle)
			timerC, armedAt = timer.C, started
		}
		select {
		case <-vc.col.wake:
		case <-timerC:
			if p, s := vc.inFlight(); len(p) == 0 && s == armedAt {
				return nil
			}
			timer, timerC = nil, nil
		case <-ctx.Done():
			var names []string
			for _, r := range pending {
				names = append(names, r.describe())
			}
			if len(names) == 0 {
				// Requests kept starting (a page that polls): name the
				// last one.
				vc.mu.Lock()
				n, last := vc.started, vc.last
				vc.mu.Unlock()
				if n == 0 {
					return fmt.Errorf("network not idle: %w", ctx.Err())
				}
				return fmt.Errorf("network not idle for %v: requests kept starting (%d started, the last %s): %w", idle, n, last, ctx.Err())
			}
			return fmt.Errorf("network not idle for %v, still in flight: %s: %w", idle, strings.Join(names, ", "), ctx.Err())
		}
	}
}

// checkVisit runs the page visit c and names it in its error.
func (b *Browser) checkVisit(ctx context.Context, c checks.Check) (checks.Verdicts, error) {
	vs, err := b.visit(ctx, c)
	if err != nil {
		return nil, fmt.Errorf("browsercheck: check %q: %w", cmp.Or(c.Name, c.Visit.URL), err)
	}
	return vs, nil
}

// visit runs the page visit c (c.Visit set, c valid).
func (b *Browser) visit(ctx context.Context, c checks.Check) (checks.Verdicts, error) {
	v := *c.Visit
	idle := cmp.Or(v.Idle, checks.DefaultIdle)
	vc := &visitCollector{col: newCollector(nil), meta: map[network.RequestID]visitMeta{}}

	// A browser context of its own, disposed when tabCancel returns: the
	// visit's cookies and caches die with it. An attached Browser's
	// contexts carry the proxy (contextProxy): its Chrome has no flag.
	tabCtx, tabCancel := chromedp.NewContext(b.tabCtx, chromedp.WithNewBrowserContext(b.contextProxy), chromedp.WithListener(vc.add))
	defer tabCancel()
	// The timeout bounds the whole visit; the caller's cancellation too,
	// once the tab exists: chromedp disposes of the browser context with
	// the tab, and a cancellation while it creates them would leave the
	// browser context behind.
	cctx, cancel := context.WithTimeout(tabCtx, b.timeout)
	defer cancel()
	fail := func(what string, err error) error {
		if cerr := ctx.Err(); cerr != nil {
			return fmt.Errorf("%s: %w", what, cerr)
		}
		if errors.Is(err, context.DeadlineExceeded) {
			return fmt.Errorf("%s: timeout after %v: %w", what, b.timeout, err)
		}
		return fmt.Errorf("%s: %w%s", what, err, b.output.suffix())
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	// The first command creates the browser context and the tab.
	if _, err := chromedp.Call(cctx, audits.Enable, cdp.Empty{}); err != nil {
		return nil, fail("Audits.enable", err)
	}
	stop := context.AfterFunc(ctx, cancel)
	defer stop()
	if _, err := chromedp.Call(cctx, cdplog.Enable, cdp.Empty{}); err != nil {
		return nil, fail("Log.enable", err)
	}
	resp, err := chromedp.Run(cctx, chromedp.NavigateResponse(v.URL))
	if err != nil {
		if errors.Is(err, chromedp.ErrPageLoad) && ctx.Err() == nil {
			// Chrome's net error for the page (its server is down, say):
			// the page's failure, not Chrome's, so without Chrome's
			// output; the recorder names the cause.
			return nil, fmt.Errorf("load page %s: %w", v.URL, err)
		}
		return nil, fail("load page "+v.URL, err)
	}
	if resp == nil || resp.Status < 200 || resp.Status > 299 {
		st := int64(0)
		if resp != nil {
			st = resp.Status
		}
		return nil, fmt.Errorf("load page %s: status %d", v.URL, st)
	}
	if err := vc.waitIdle(cctx, idle); err != nil {
		return nil, fail("after loading "+v.URL, err)
	}
	if v.AfterLoad != "" {
		if err := runAfterLoad(cctx, v.AfterLoad); err != nil {
			var ee *chromedp.ExceptionError
			if errors.As(err, &ee) {
				return nil, fmt.Errorf("after_load script: %w", err)
			}
			return nil, fail("after_load script", err)
		}
		if err := vc.waitIdle(cctx, idle); err != nil {
			return nil, fail("after the after_load script", err)
		}
	}
	if c.Requests != nil {
		// The page settled; a request it lists and has yet to make may
		// still come (on a timer: offline, the replay answers at once
		// and the page settles sooner than it did live). Wait for them,
		// then for the page to settle again; when the visit's time is
		// up first, the requests never made are the check's mismatches,
		// not an error.
		switch err := vc.waitMade(cctx, c); {
		case err == nil:
			if err := vc.waitIdle(cctx, idle); err != nil {
				return nil, fail("after the requests the check lists", err)
			}
		case ctx.Err() != nil:
			return nil, fail("waiting for the requests the check lists", err)
		}
	}
	return vc.verdicts(), nil
}

// runAfterLoad runs the after_load script src in the page as the DevTools
// console does: a top-level await is allowed (REPL mode), and a promise it
// evaluates to is awaited. An exception, or a rejection of that promise, is
// a *chromedp.ExceptionError.
func runAfterLoad(ctx context.Context, src string) error {
	on := true
	res, err := chromedp.Call(ctx, runtime.Evaluate, runtime.EvaluateParams{Expression: src, ReplMode: &on, AwaitPromise: &on})
	if err != nil {
		return err
	}
	if res.ExceptionDetails != nil {
		return &chromedp.ExceptionError{ExceptionDetails: res.ExceptionDetails}
	}
	// REPL mode awaits the script's top-level awaits, not the promise it
	// evaluates to ("window.save()").
	if r := res.Result; r != nil && r.Subtype == runtime.RemoteObjectSubtypePromise && r.ObjectID != "" {
		ares, err := chromedp.Call(ctx, runtime.AwaitPromise, runtime.AwaitPromiseParams{PromiseObjectID: r.ObjectID})
		if err != nil {
			return err
		}
		if ares.ExceptionDetails != nil {
			return &chromedp.ExceptionError{ExceptionDetails: ares.ExceptionDetails}
		}
	}
	return nil
}

// waitMade waits, event by event, until the page has made every request
// the page visit c lists (checks.Check.RequestsNotMade), or ctx ends.
func (vc *visitCollector) waitMade(ctx context.Context, c checks.Check) error {
	for len(c.RequestsNotMade(vc.verdicts())) > 0 {
		select {
		case <-vc.col.wake:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// verdicts returns Chrome's verdict on each cross-origin fetch or XHR of
// the visit, in the order the page made them.
func (vc *visitCollector) verdicts() checks.Verdicts {
	vc.mu.Lock()
	meta := make(map[network.RequestID]visitMeta, len(vc.meta))
	for id, m := range vc.meta {
		meta[id] = m
	}
	vc.mu.Unlock()
	c := vc.col
	c.mu.Lock()
	defer c.mu.Unlock()
	// In the order of their first requestWillBeSent, not of their first
	// event (c.order).
	var ids []network.RequestID
	for _, id := range c.order {
		if _, ok := meta[id]; ok {
			ids = append(ids, id)
		}
	}
	slices.SortFunc(ids, func(a, b network.RequestID) int { return meta[a].seq - meta[b].seq })
	out := checks.Verdicts{}
	for _, id := range ids {
		r := c.reqs[id]
		m := meta[id]
		if r.preflightOf != "" || (m.typ != network.ResourceTypeFetch && m.typ != network.ResourceTypeXHR) {
			continue
		}
		if !crossOrigin(r.url, m.docURL) && (r.failed == nil || r.failed.CorsErrorStatus == nil) {
			continue
		}
		out = append(out, c.pageVerdict(r))
	}
	return out
}

// crossOrigin reports whether raw is not same-origin with the document
// docURL (a document without a URL counts as another origin).
func crossOrigin(raw, docURL string) bool {
	u, err1 := url.Parse(raw)
	d, err2 := url.Parse(docURL)
	return err1 != nil || err2 != nil || !fetch.SameOrigin(u, d)
}

// pageVerdict is Chrome's verdict on the request r of a page, from its
// DevTools events (the rules of state, without the script's view). c.mu is
// held.
func (c *collector) pageVerdict(r *reqState) checks.Verdict {
	v := checks.Verdict{Method: r.method, URL: r.url, ReadableHeaders: []string{}}
	var preflights []*reqState
	for _, id := range c.order {
		if p := c.reqs[id]; p.preflightOf == r.id {
			preflights = append(preflights, p)
		}
	}
	v.Preflights = len(preflights)
	v.Preflight = v.Preflights > 0
	var cors *network.CorsErrorStatus
	if r.failed != nil && r.failed.CorsErrorStatus != nil {
		cors = r.failed.CorsErrorStatus
	}
	if cors == nil {
		cors = c.corsIssue(r, r.url)
	}
	if cors != nil {
		v.CorsError = string(cors.CorsError)
		v.FailedParameter = cors.FailedParameter
		v.Console = c.console(r.url)
	}
	v.ORB = c.orb(r, r.url)
	if cors == nil && !v.ORB {
		v.NetworkError = networkError(r, preflights)
	}
	switch {
	case cors != nil || r.status == 0:
		// Blocked, or no response: status 0.
	case v.NetworkError != "", r.failed == nil, v.ORB:
		// A response, complete or not (a body that broke off is a
		// network error after the status, as for checks).
		v.Allowed, v.Status = true, int(r.status)
	}
	return v
}
