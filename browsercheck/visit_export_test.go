package browsercheck

import (
	"context"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"
)

// BrowserContextsOf returns the browser contexts of b's Chrome other than
// the default one: what page visits create and must dispose of.
func BrowserContextsOf(b *Browser) ([]cdp.BrowserContextID, error) {
	ctx, cancel := context.WithTimeout(b.tabCtx, 10*time.Second)
	defer cancel()
	res, err := chromedp.CallBrowser(ctx, target.GetBrowserContexts, cdp.Empty{})
	return res.BrowserContextIDs, err
}

// SetTimeout sets b's check timeout to d until restore is called; no check
// may run meanwhile on another goroutine.
func SetTimeout(b *Browser, d time.Duration) (restore func()) {
	old := b.timeout
	b.timeout = d
	return func() { b.timeout = old }
}
