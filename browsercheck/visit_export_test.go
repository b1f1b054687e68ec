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
