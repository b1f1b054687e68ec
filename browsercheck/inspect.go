package browsercheck

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"

	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// Page is what Inspect saw of a page: what a script made of it, what it
// logged, and how it looks.
type Page struct {
	// Value is what the expression returned, as JSON.
	Value json.RawMessage
	// Console holds the page's console messages, uncaught exceptions and
	// browser log entries (a Content-Security-Policy violation, a failed
	// load), in arrival order, up to the expression's evaluation.
	Console []ConsoleMessage
	// Screenshot is a PNG of the whole page.
	Screenshot []byte
}

// ConsoleMessage is one console message of a page.
type ConsoleMessage struct {
	// Level is "error", "warning", "info", "log", "debug" or "verbose";
	// an uncaught exception is an "error".
	Level string
	// Source says where it came from: "console-api" (a script's console
	// call), "exception", or a Log.entryAdded source ("security" for a
	// Content-Security-Policy violation, "network", "javascript", …).
	Source string
	Text   string
}

// Errors returns the messages of level "error".
func (p *Page) Errors() []ConsoleMessage {
	var out []ConsoleMessage
	for _, m := range p.Console {
		if m.Level == "error" {
			out = append(out, m)
		}
	}
	return out
}

// Inspect opens url (http, https or file) in a new tab of a new browser
// context of b, so it shares no state with the checks, waits for its load
// event, evaluates the JavaScript expression expr and decodes nothing: the
// result is returned as JSON in Page.Value. It also returns the page's
// console messages up to then and a PNG screenshot of the whole page. It is
// meant for tests of what corsvcr writes for people to look at, such as an
// HTML report. The tab is closed before Inspect returns; ctx bounds it all,
// and b's timeout bounds it when ctx has no deadline.
func (b *Browser) Inspect(ctx context.Context, url, expr string) (*Page, error) {
	if b.closing.Load() {
		return nil, fmt.Errorf("browsercheck: inspect %q: browser closed", url)
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, b.timeout)
		defer cancel()
	}
	tab, closeTab := chromedp.NewContext(b.tabCtx, chromedp.WithNewBrowserContext())
	defer closeTab()
	stop := context.AfterFunc(ctx, closeTab)
	defer stop()

	var (
		mu      sync.Mutex
		console []ConsoleMessage
	)
	add := func(m ConsoleMessage) {
		mu.Lock()
		console = append(console, m)
		mu.Unlock()
	}
	err := chromedp.Listen(tab, func(ev any) {
		switch ev := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			var parts []string
			for _, a := range ev.Args {
				parts = append(parts, remoteText(a))
			}
			level := string(ev.Type)
			switch ev.Type {
			case runtime.ConsoleAPICalledTypeError, runtime.ConsoleAPICalledTypeAssert:
				level = "error"
			}
			add(ConsoleMessage{Level: level, Source: "console-api", Text: strings.Join(parts, " ")})
		case *runtime.EventExceptionThrown:
			add(ConsoleMessage{Level: "error", Source: "exception", Text: exceptionText(ev.ExceptionDetails)})
		case *cdplog.EventEntryAdded:
			add(ConsoleMessage{Level: string(ev.Entry.Level), Source: string(ev.Entry.Source), Text: ev.Entry.Text})
		}
	})
	var value json.RawMessage
	var shot []byte
	if err == nil {
		err = chromedp.Do(tab, chromedp.Navigate(url))
	}
	if err == nil {
		value, err = chromedp.Run(tab, chromedp.Evaluate[json.RawMessage](expr, chromedp.EvalAwaitPromise))
	}
	if err == nil {
		shot, err = chromedp.Run(tab, chromedp.FullScreenshot(100))
	}
	if err != nil {
		if ctx.Err() != nil {
			err = fmt.Errorf("%w (%w)", err, ctx.Err())
		}
		return nil, fmt.Errorf("browsercheck: inspect %q: %w", url, err)
	}
	if err := chromedp.Cancel(tab); err != nil {
		return nil, fmt.Errorf("browsercheck: inspect %q: close tab: %w", url, err)
	}
	mu.Lock()
	defer mu.Unlock()
	return &Page{Value: value, Console: console, Screenshot: shot}, nil
}

// remoteText renders a console argument: a string as itself, anything
// else by its JSON value or its description.
func remoteText(o *runtime.RemoteObject) string {
	if o.Type == runtime.RemoteObjectTypeString {
		var s string
		if json.Unmarshal(o.Value, &s) == nil {
			return s
		}
	}
	if len(o.Value) > 0 {
		return string(o.Value)
	}
	return o.Description
}

func exceptionText(exc *runtime.ExceptionDetails) string {
	if exc.Exception != nil && exc.Exception.Description != "" {
		return exc.Exception.Description
	}
	return exc.Text
}
