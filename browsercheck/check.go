package browsercheck

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/chromedp/cdproto/audits"
	"github.com/chromedp/cdproto/cdp"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/corsvcr/corsvcr/checks"
	"github.com/corsvcr/corsvcr/internal/fetch"
)

// graceWait bounds how long a check waits, once every event it needs has
// arrived, for events that may never come: Chrome's console message for a
// block (informative: the verdict stands without it) and the actual
// request's requestWillBeSentExtraInfo (the barrier behind which every
// preflight event has arrived; a response from the HTTP cache has none).
const graceWait = 2 * time.Second

// Check runs the steps of c, in order, in one isolated state and returns
// Chrome's verdict on each step. Checks are isolated from each other: no preflight cache,
// HTTP cache or cookies carry over from earlier checks. The steps of a check
// share their state: a cookie set by a step is sent by the next ones, and a
// preflight cached by a step spares a later identical request its preflight.
// A blocked request is a verdict; the error is only for harness and usage
// failures: c is invalid (checks.Check.Validate, e.g. a page origin that is
// not serialised as Chrome serialises it, or XHR in mode no-cors), Chrome
// died, the page did not load, or an expected DevTools event did not arrive
// within the timeout (which bounds each step).
//
// A page visit (c.Visit) loads the page instead, in a browser context of
// its own, and returns Chrome's verdict on each cross-origin fetch and XHR
// the page made (see visit.go); the timeout bounds the whole visit.
//
// A check runs in a worker (Config.Workers): a tab in a browser context of
// its own, so checks running at once share no state. Before the first step
// it clears the browser context's cache (which holds the preflight cache)
// and its cookies, and navigates the tab to c.Page+PagePrefix+"page" unless
// the tab already holds that page, loaded for an earlier check that
// finished cleanly (the page keeps no state of its own); between steps it
// waits Step.Wait, and nothing else. It never disables the cache
// (Network.setCacheDisabled would also disable the preflight cache that
// steps share).
func (b *Browser) Check(ctx context.Context, c checks.Check) (checks.Verdicts, error) {
	return b.CheckLane(ctx, c, "")
}

// CheckLane is Check for a caller that partitions its checks into lanes,
// such that no URL a check of one lane may request, redirect targets
// included, is ever requested by a check of another lane (the checks of a
// replay, whose redirects the cassette holds, for instance). The HTTP cache
// and the preflight cache hold their entries by URL, so a check can only
// find there what an earlier check of its own lane left: CheckLane clears
// them before a check only when its worker ran a check of the same lane (or
// a check without one) since it last cleared them. Cookies, which are kept
// by host, are cleared before every check. lane "" is Check: everything is
// cleared. A wrong partition breaks the isolation of checks; it is the
// caller's to guarantee.
func (b *Browser) CheckLane(ctx context.Context, c checks.Check, lane string) (checks.Verdicts, error) {
	if err := c.Validate(); err != nil {
		// A usage error, not a verdict: Chrome is not asked.
		return nil, fmt.Errorf("browsercheck: invalid check: %w", err)
	}
	if c.Visit != nil {
		return b.checkVisit(ctx, c) // in a tab of its own, not a worker's
	}
	name := c.Name
	if name == "" && len(c.Steps) > 0 {
		name = c.Steps[0].Request.URL
	}
	w, err := b.getWorker(ctx)
	if err != nil {
		return nil, fmt.Errorf("browsercheck: check %q: %w", name, err)
	}
	defer b.putWorker(w)
	vs, err := b.check(ctx, w, c, lane)
	if err != nil {
		return nil, fmt.Errorf("browsercheck: check %q: %w", name, err)
	}
	return vs, nil
}

// spec is what the page script receives.
type spec struct {
	URL         string      `json:"url"`
	Method      string      `json:"method"`
	Headers     [][2]string `json:"headers"`
	Body        string      `json:"body"`
	HasBody     bool        `json:"hasBody"`
	Credentials string      `json:"credentials"`
	Mode        string      `json:"mode"`
	API         string      `json:"api"`
	Cache       string      `json:"cache"`
	Redirect    string      `json:"redirect"`
}

// jsResult is what the page script saw.
type jsResult struct {
	Href    string   `json:"href"`
	OK      bool     `json:"ok"`
	Status  int      `json:"status"`
	Type    string   `json:"type"`
	Error   string   `json:"error"`
	Headers []string `json:"headers"`
}

// specOf fills in the defaults of r (checks.Request.WithDefaults).
func specOf(r checks.Request) spec {
	r = r.WithDefaults()
	s := spec{
		URL:         r.URL,
		Method:      r.Method,
		Headers:     [][2]string{},
		Body:        r.Body,
		HasBody:     r.Body != "",
		Credentials: string(r.Credentials),
		Mode:        string(r.Mode),
		API:         string(r.API),
		Cache:       string(r.Cache),
		Redirect:    string(r.Redirect),
	}
	for _, h := range r.Headers {
		s.Headers = append(s.Headers, [2]string{h.Name, h.Value})
	}
	return s
}

// check returns the verdict of each step of c, run in w.
func (b *Browser) check(ctx context.Context, w *worker, c checks.Check, lane string) (vs []checks.Verdict, err error) {
	clean := false
	var ids []network.RequestID
	defer func() {
		if err != nil || !clean {
			// Late events may follow, or the page is broken: the next
			// check loads a fresh page.
			w.page = ""
		}
		w.retire(ids, false)
	}()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	page := strings.TrimSuffix(c.Page, "/")
	if page == "" {
		return nil, errors.New("no page origin")
	}
	if len(c.Steps) == 0 {
		return nil, errors.New("no steps")
	}
	specs := make([]spec, len(c.Steps))
	for i, st := range c.Steps {
		if st.Wait < 0 {
			return nil, fmt.Errorf("step %d: negative wait %v", i+1, st.Wait)
		}
		specs[i] = specOf(st.Request)
	}
	stepErr := func(i int, err error) error {
		if len(c.Steps) == 1 {
			return err
		}
		return fmt.Errorf("step %d: %w", i+1, err)
	}

	// Request ids of earlier steps: their late events are not the next
	// step's.
	earlier := map[network.RequestID]bool{}
	out := make([]checks.Verdict, 0, len(c.Steps))
	clean = true
	for i, st := range c.Steps {
		if i > 0 && st.Wait > 0 {
			// The scenario under test (e.g. a preflight cache entry
			// expiring), not synchronisation.
			t := time.NewTimer(st.Wait)
			select {
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
				return nil, stepErr(i, fmt.Errorf("wait %v: %w", st.Wait, ctx.Err()))
			}
		}
		v, stepIDs, complete, err := b.step(ctx, w, page, i == 0, lane, specs[i], earlier)
		ids = append(ids, stepIDs...)
		if err != nil {
			return nil, stepErr(i, err)
		}
		clean = clean && complete
		// A collector reads its map while late events arrive: never modify
		// one that was handed out.
		earlier = maps.Clone(earlier)
		for _, id := range stepIDs {
			earlier[id] = true
		}
		out = append(out, v)
	}
	return out, nil
}

// step runs one request in w's tab, after resetting the browser state (see
// CheckLane) and loading the page (unless the tab holds it) when first is
// set. It returns
// the verdict, the request ids the step saw and whether every event the
// verdict waited for arrived (else some may still come).
func (b *Browser) step(ctx context.Context, w *worker, page string, first bool, lane string, s spec, earlier map[network.RequestID]bool) (checks.Verdict, []network.RequestID, bool, error) {
	arg, err := json.Marshal(s)
	if err != nil {
		return checks.Verdict{}, nil, false, err
	}

	// The tab context carries chromedp's state; the step's own deadline
	// and the caller's cancellation are layered on top.
	cctx, cancel := context.WithTimeout(w.ctx, b.timeout)
	defer cancel()
	stop := context.AfterFunc(ctx, cancel)
	defer stop()
	fail := func(what string, err error) (checks.Verdict, []network.RequestID, bool, error) {
		if cerr := ctx.Err(); cerr != nil {
			return checks.Verdict{}, nil, false, fmt.Errorf("%s: %w", what, cerr)
		}
		if errors.Is(err, context.DeadlineExceeded) {
			return checks.Verdict{}, nil, false, fmt.Errorf("%s: timeout after %v: %w", what, b.timeout, err)
		}
		return checks.Verdict{}, nil, false, fmt.Errorf("%s: %w%s", what, err, b.output.suffix())
	}

	pageURL := page + pagePath
	if first {
		if w.mustClearCache(lane) {
			if _, err := chromedp.Call(cctx, network.ClearBrowserCache, cdp.Empty{}); err != nil {
				return fail("Network.clearBrowserCache", err)
			}
			w.cacheCleared()
		}
		w.cacheUsedBy(lane)
		if _, err := chromedp.Call(cctx, network.ClearBrowserCookies, cdp.Empty{}); err != nil {
			return fail("Network.clearBrowserCookies", err)
		}
		if w.page != page {
			w.page = ""
			resp, err := chromedp.Run(cctx, chromedp.NavigateResponse(pageURL))
			if err != nil {
				return fail("load page "+pageURL, err)
			}
			if resp == nil || resp.Status != http.StatusOK {
				st := int64(0)
				if resp != nil {
					st = resp.Status
				}
				return checks.Verdict{}, nil, false, fmt.Errorf("load page %s: status %d (does the proxy serve browsercheck.Intercept?)", pageURL, st)
			}
			w.retire(nil, true) // a new document: the old requests are gone
			w.page = page
		}
	}

	col := newCollector(earlier)
	w.setCollector(col)
	defer w.setCollector(nil)

	js, err := chromedp.Run(cctx, chromedp.Evaluate[jsResult]("window.__corsvcr("+string(arg)+")", chromedp.EvalAwaitPromise))
	if err != nil {
		var ee *chromedp.ExceptionError
		if errors.As(err, &ee) {
			return checks.Verdict{}, nil, false, fmt.Errorf("page %s did not run the corsvcr harness (does the proxy serve browsercheck.Intercept?): %w", pageURL, err)
		}
		return fail("run request in page", err)
	}
	v, complete, err := col.settle(cctx, ctx, b.timeout, s, js)
	if err != nil {
		return checks.Verdict{}, col.ids(), false, err
	}
	return v, col.ids(), complete, nil
}

// reqState is what the Network events told about one request id.
type reqState struct {
	id          network.RequestID
	url, method string            // of the first requestWillBeSent (before redirects)
	preflightOf network.RequestID // set for a CORS preflight
	status      int64             // of the last responseReceived
	extraInfo   bool              // requestWillBeSentExtraInfo: the request went on the network
	finished    bool              // loadingFinished
	failed      *network.EventLoadingFailed
}

func (r *reqState) terminal() bool { return r.finished || r.failed != nil }

func (r *reqState) describe() string {
	kind := "request"
	if r.preflightOf != "" {
		kind = "preflight"
	}
	return fmt.Sprintf("%s %s %s (request id %s)", kind, r.method, r.url, r.id)
}

// collector gathers the DevTools events of one check. The listener adds to
// it on chromedp's reader goroutine; the check reads it under mu and sleeps
// on wake between events.
type collector struct {
	mu      sync.Mutex
	wake    chan struct{}
	earlier map[network.RequestID]bool // requests of earlier steps: ignored; read-only
	reqs    map[network.RequestID]*reqState
	order   []network.RequestID
	issues  []*audits.InspectorIssue
	logs    []*cdplog.Entry
}

// newCollector returns a collector that ignores the events of the requests
// in earlier (nil for none), which it never modifies.
func newCollector(earlier map[network.RequestID]bool) *collector {
	return &collector{wake: make(chan struct{}, 1), earlier: earlier, reqs: map[network.RequestID]*reqState{}}
}

// ids returns the request ids the collector saw.
func (c *collector) ids() []network.RequestID {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.order)
}

// requestOf returns the request id an event is about, or "".
func requestOf(ev any) network.RequestID {
	switch ev := ev.(type) {
	case *network.EventRequestWillBeSent:
		return ev.RequestID
	case *network.EventResponseReceived:
		return ev.RequestID
	case *network.EventRequestWillBeSentExtraInfo:
		return ev.RequestID
	case *network.EventLoadingFinished:
		return ev.RequestID
	case *network.EventLoadingFailed:
		return ev.RequestID
	case *audits.EventIssueAdded:
		if is := ev.Issue; is != nil && is.Details != nil {
			if d := is.Details.CorsIssueDetails; d != nil && d.Request != nil {
				return d.Request.RequestID
			}
			if d := is.Details.GenericIssueDetails; d != nil && d.Request != nil {
				return d.Request.RequestID
			}
		}
	}
	return ""
}

// debugEvent, when set by a test, sees every event of a check.
var debugEvent func(ev any)

func (c *collector) req(id network.RequestID) *reqState {
	r := c.reqs[id]
	if r == nil {
		r = &reqState{id: id}
		c.reqs[id] = r
		c.order = append(c.order, id)
	}
	return r
}

func (c *collector) add(ev any) {
	if id := requestOf(ev); id != "" && c.earlier[id] {
		return
	}
	c.mu.Lock()
	switch ev := ev.(type) {
	case *network.EventRequestWillBeSent:
		r := c.req(ev.RequestID)
		if r.url == "" && ev.Request != nil {
			r.url, r.method = ev.Request.URL, ev.Request.Method
		}
		if ev.Initiator != nil && ev.Initiator.Type == network.InitiatorTypePreflight {
			r.preflightOf = ev.Initiator.RequestID
		}
	case *network.EventResponseReceived:
		if ev.Response != nil {
			c.req(ev.RequestID).status = ev.Response.Status
		}
	case *network.EventRequestWillBeSentExtraInfo:
		c.req(ev.RequestID).extraInfo = true
	case *network.EventLoadingFinished:
		c.req(ev.RequestID).finished = true
	case *network.EventLoadingFailed:
		c.req(ev.RequestID).failed = ev
	case *audits.EventIssueAdded:
		if ev.Issue != nil {
			c.issues = append(c.issues, ev.Issue)
		}
	case *cdplog.EventEntryAdded:
		if ev.Entry != nil {
			c.logs = append(c.logs, ev.Entry)
		}
	default:
		c.mu.Unlock()
		return
	}
	c.mu.Unlock()
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// state is the verdict the events support so far, and what is still missing.
type state struct {
	v           checks.Verdict
	missing     string // a required event that has not arrived; "" when complete
	wantConsole bool   // blocked, and the console message has not arrived
	wantExtra   bool   // the actual request's requestWillBeSentExtraInfo has not arrived
	// wantTerminal: an answered no-cors request has no terminal event yet.
	wantTerminal bool
}

// waiting reports whether an event the verdict may still need is missing:
// a required one (missing) or one waited for up to graceWait (wantConsole,
// wantExtra, wantTerminal).
func (st state) waiting() bool {
	return st.missing != "" || st.wantConsole || st.wantExtra || st.wantTerminal
}

// settle waits, event by event, until the verdict is complete: the actual
// request (matched by URL and method, never by arrival order) and each of its
// preflights (matched by initiator.requestId) have their terminal event; a
// renderer-side block has its Audits issue; then, bounded by graceWait, a
// CORS block has its console message and a request that went on the network
// its requestWillBeSentExtraInfo. A missing required event is an error when
// cctx ends. complete is false when the verdict was given without an event
// waited for up to graceWait, which may still arrive.
func (c *collector) settle(cctx, ctx context.Context, timeout time.Duration, s spec, js jsResult) (v checks.Verdict, complete bool, err error) {
	var grace <-chan time.Time
	for {
		c.mu.Lock()
		st := c.state(s, js)
		c.mu.Unlock()
		if !st.waiting() {
			return st.v, true, nil
		}
		if st.missing == "" && grace == nil {
			t := time.NewTimer(graceWait)
			defer t.Stop()
			grace = t.C
		}
		select {
		case <-c.wake:
		case <-grace:
			return st.v, false, nil
		case <-cctx.Done():
			if err := ctx.Err(); err != nil {
				return checks.Verdict{}, false, err
			}
			if st.missing == "" { // only a grace event is late
				return st.v, false, nil
			}
			return checks.Verdict{}, false, fmt.Errorf("no %s within %v", st.missing, timeout)
		}
	}
}

// jsNetworkError reports whether the script's error is the generic network
// error by which fetch and XHR report a blocked or failed request, as opposed
// to an exception thrown before any request (bad header, no-cors PUT, …).
func jsNetworkError(s spec, js jsResult) bool {
	if s.API == string(checks.APIXHR) {
		return js.Error == "XMLHttpRequest: error event"
	}
	return js.Error == "TypeError: Failed to fetch"
}

// state computes the verdict from the events so far. c.mu is held.
func (c *collector) state(s spec, js jsResult) state {
	st := state{v: checks.Verdict{JSError: js.Error, ReadableHeaders: []string{}}}
	v := &st.v
	if js.Href == "" { // the URL did not parse: no request
		return st
	}

	var actual *reqState
	var preflights []*reqState
	for _, id := range c.order {
		r := c.reqs[id]
		if actual == nil && r.preflightOf == "" && r.url == js.Href && strings.EqualFold(r.method, s.Method) {
			actual = r
		}
	}
	if actual != nil {
		for _, id := range c.order {
			if r := c.reqs[id]; r.preflightOf == actual.id {
				preflights = append(preflights, r)
			}
		}
	}
	v.Preflights = len(preflights)
	v.Preflight = v.Preflights > 0

	// The CORS error: the actual request's loadingFailed, else a CorsIssue
	// for it (renderer-side errors such as DisallowedByMode have only that).
	var cors *network.CorsErrorStatus
	if actual != nil && actual.failed != nil && actual.failed.CorsErrorStatus != nil {
		cors = actual.failed.CorsErrorStatus
	}
	if cors == nil {
		cors = c.corsIssue(actual, js.Href)
	}
	if cors != nil {
		v.CorsError = string(cors.CorsError) // verbatim, also for values newer than cdproto
		v.FailedParameter = cors.FailedParameter
	}
	v.ORB = c.orb(actual, js.Href)
	if cors == nil && !v.ORB {
		v.NetworkError = networkError(actual, preflights)
	}

	v.Allowed = js.OK && v.CorsError == ""
	if v.Allowed {
		v.Status = js.Status
		v.ReadableHeaders = normHeaders(js.Headers)
		// An opaque-redirect response (redirect mode manual) is opaque
		// too: status 0, nothing readable (see checks.Verdict).
		v.Opaque = js.Type == "opaque" || js.Type == "opaqueredirect"
	}

	switch {
	case actual == nil && js.OK:
		st.missing = fmt.Sprintf("Network.requestWillBeSent for %s %s", s.Method, js.Href)
	case actual == nil && cors == nil && jsNetworkError(s, js):
		st.missing = fmt.Sprintf("Network.requestWillBeSent or Audits CorsIssue for %s %s", s.Method, js.Href)
	case actual != nil:
		for _, r := range append([]*reqState{actual}, preflights...) {
			if r.terminal() {
				continue
			}
			if r == actual && opaqueAnswered(s, js, actual) {
				// Chrome 156 never finishes some no-cors loads it has
				// answered (no Content-Type and Cache-Control: no-store):
				// the script has its opaque response, so the terminal
				// event is waited for only up to graceWait.
				st.wantTerminal = true
				continue
			}
			st.missing = "Network.loadingFinished or Network.loadingFailed for " + r.describe()
			break
		}
		if st.missing == "" && cors != nil && preflightError(string(cors.CorsError)) && len(preflights) == 0 {
			st.missing = "Network.requestWillBeSent for the preflight of " + actual.describe()
		}
		// A preflight's events come from the browser process and may arrive
		// after the renderer's events for the actual request (measured: ~1
		// in 400 checks under load). The actual request's
		// requestWillBeSentExtraInfo comes from the same network-service
		// observer as the preflight's events, after them: once it is here,
		// every preflight of the request has been seen.
		// A response served from the HTTP cache (a cached redirect, say)
		// has no ExtraInfo at all, and nothing tells it from a late one:
		// so the wait for it is bounded, like the console message's.
		st.wantExtra = st.missing == "" && wentOnNetwork(actual, cors) && !actual.extraInfo
	}
	if cors != nil {
		v.Console = c.console(js.Href)
		st.wantConsole = v.Console == ""
	}
	return st
}

// opaqueAnswered reports whether a no-cors request has been answered: the
// script holds its opaque response and Chrome reported the response.
func opaqueAnswered(s spec, js jsResult, actual *reqState) bool {
	return s.Mode == string(checks.ModeNoCORS) && js.OK && js.Type == "opaque" && actual.status != 0
}

// wentOnNetwork reports whether the actual request was sent to the server:
// it has a response, or Chrome blocked the response it got for one of the
// reasons it checks on a received response. An unknown CorsError does not
// count: waiting for an event it may never have would fail the check.
func wentOnNetwork(actual *reqState, cors *network.CorsErrorStatus) bool {
	if actual.status != 0 {
		return true
	}
	if cors == nil || actual.failed == nil || actual.failed.CorsErrorStatus == nil {
		return false
	}
	switch cors.CorsError {
	case network.CorsErrorMissingAllowOriginHeader, network.CorsErrorMultipleAllowOriginValues,
		network.CorsErrorInvalidAllowOriginValue, network.CorsErrorAllowOriginMismatch,
		network.CorsErrorWildcardOriginNotAllowed, network.CorsErrorInvalidAllowCredentials:
		return true
	}
	return false
}

// networkError returns Chrome's net error text (loadingFailed's errorText)
// for a request that failed on the network, the actual request's first,
// then its preflights': the origin could not be reached, or its connection
// broke (transportErrors). A CORS block also fails with a net error,
// net::ERR_FAILED, and an ORB block with net::ERR_ABORTED; neither is one
// here, nor is a load the page cancelled, nor a failure Chrome decides
// from a complete, recordable response (net::ERR_TOO_MANY_REDIRECTS,
// net::ERR_CONTENT_DECODING_FAILED, …): those are verdicts that replay.
func networkError(actual *reqState, preflights []*reqState) string {
	if actual == nil {
		return ""
	}
	for _, r := range append([]*reqState{actual}, preflights...) {
		f := r.failed
		if f == nil || f.Canceled || f.CorsErrorStatus != nil || f.BlockedReason != "" {
			continue
		}
		if transportError(f.ErrorText) {
			return f.ErrorText
		}
	}
	return ""
}

// transportErrors are Chrome's net errors for a connection that could not
// be made or that broke: no complete response exists to record or replay.
var transportErrors = map[string]bool{
	"net::ERR_CONNECTION_CLOSED":           true,
	"net::ERR_CONNECTION_RESET":            true,
	"net::ERR_CONNECTION_REFUSED":          true,
	"net::ERR_CONNECTION_ABORTED":          true,
	"net::ERR_CONNECTION_FAILED":           true,
	"net::ERR_CONNECTION_TIMED_OUT":        true,
	"net::ERR_TIMED_OUT":                   true,
	"net::ERR_NAME_NOT_RESOLVED":           true,
	"net::ERR_NAME_RESOLUTION_FAILED":      true,
	"net::ERR_ADDRESS_INVALID":             true,
	"net::ERR_ADDRESS_UNREACHABLE":         true,
	"net::ERR_INTERNET_DISCONNECTED":       true,
	"net::ERR_NETWORK_CHANGED":             true,
	"net::ERR_SOCKET_NOT_CONNECTED":        true,
	"net::ERR_EMPTY_RESPONSE":              true,
	"net::ERR_CONTENT_LENGTH_MISMATCH":     true,
	"net::ERR_INCOMPLETE_CHUNKED_ENCODING": true,
	"net::ERR_INVALID_CHUNKED_ENCODING":    true,
	"net::ERR_INVALID_HTTP_RESPONSE":       true,
	"net::ERR_RESPONSE_HEADERS_TRUNCATED":  true,
	"net::ERR_TUNNEL_CONNECTION_FAILED":    true,
	"net::ERR_PROXY_CONNECTION_FAILED":     true,
	"net::ERR_HTTP2_PROTOCOL_ERROR":        true,
	"net::ERR_QUIC_PROTOCOL_ERROR":         true,
}

// transportError reports whether a net error text is a transport failure:
// one of transportErrors, or a TLS or certificate error.
func transportError(text string) bool {
	return transportErrors[text] || strings.HasPrefix(text, "net::ERR_SSL_") || strings.HasPrefix(text, "net::ERR_CERT_")
}

// preflightError reports whether a CorsError can only come from a preflight.
func preflightError(e string) bool {
	return strings.HasPrefix(e, "Preflight") || strings.HasSuffix(e, "PreflightResponse")
}

// corsIssue returns the CORS error of a non-warning CorsIssue for the
// request (by id) or, when the issue names no request id, for the URL.
func (c *collector) corsIssue(actual *reqState, href string) *network.CorsErrorStatus {
	for _, is := range c.issues {
		if is.Details == nil || is.Details.CorsIssueDetails == nil {
			continue
		}
		d := is.Details.CorsIssueDetails
		if d.IsWarning || d.CorsErrorStatus == nil || d.Request == nil {
			continue
		}
		if (actual != nil && d.Request.RequestID == actual.id) ||
			(d.Request.RequestID == "" || actual == nil) && d.Request.URL == href {
			return d.CorsErrorStatus
		}
	}
	return nil
}

// orb reports whether Chrome blocked the response by Opaque Response
// Blocking: a ResponseWasBlockedByORB issue for the request or URL.
func (c *collector) orb(actual *reqState, href string) bool {
	for _, is := range c.issues {
		if is.Details == nil || is.Details.GenericIssueDetails == nil {
			continue
		}
		d := is.Details.GenericIssueDetails
		if d.ErrorType != audits.GenericIssueErrorTypeResponseWasBlockedByORB || d.Request == nil {
			continue
		}
		if (actual != nil && d.Request.RequestID == actual.id) || d.Request.URL == href {
			return true
		}
	}
	return false
}

// console returns Chrome's CORS console message naming href, or the only
// CORS message of the check when none names it (after a redirect the message
// can name another URL).
func (c *collector) console(href string) string {
	var cors []string
	for _, e := range c.logs {
		// Chrome also logs "Failed to load resource: net::ERR_FAILED" with
		// source network and category cors: not the message we want.
		if e.Source != cdplog.EntrySourceJavascript {
			continue
		}
		if e.Category != cdplog.EntryCategoryCors && !strings.Contains(e.Text, "CORS policy") && !strings.HasPrefix(e.Text, "Fetch API cannot load") {
			continue
		}
		if strings.Contains(e.Text, "'"+href+"'") || strings.Contains(e.Text, " "+href+".") || strings.Contains(e.Text, " "+href+" ") {
			return e.Text
		}
		cors = append(cors, e.Text)
	}
	if len(cors) == 1 {
		return cors[0]
	}
	return ""
}

// normHeaders lower-cases, de-duplicates and sorts header names, leaving out
// connection-level headers (fetch.IsConnectionHeader: they describe the
// connection to the nearest hop, a proxy when there is one, not the
// server's response); never nil.
func normHeaders(names []string) []string {
	out := make([]string, 0, len(names))
	for _, n := range names {
		if n = strings.ToLower(n); !fetch.IsConnectionHeader(n) {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}
