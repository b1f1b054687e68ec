package browsercheck

import (
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"
)

// Internals for the external tests.

// TempDirOf returns the directory that holds b's profile and TMPDIR.
func TempDirOf(b *Browser) string { return b.tempDir }

// ProfileOf returns b's --user-data-dir.
func ProfileOf(b *Browser) string { return b.profile }

// ProcessesUsing returns the processes running with --user-data-dir=dir.
var ProcessesUsing = processesUsing

// ChromedpErrorf returns the error logger b gives chromedp.
func ChromedpErrorf(b *Browser) func(string, ...any) { return b.chromedpErrorf }

// Targets returns the page targets and the browser contexts Chrome has
// open, other than the default context's first tab.
func Targets(b *Browser) (pages, contexts int, err error) {
	ts, err := chromedp.Targets(b.tabCtx)
	if err != nil {
		return 0, 0, err
	}
	for _, t := range ts {
		if t.Type == "page" {
			pages++
		}
	}
	cs, err := chromedp.CallBrowser(b.tabCtx, target.GetBrowserContexts, cdp.Empty{})
	if err != nil {
		return 0, 0, err
	}
	return pages - 1, len(cs.BrowserContextIDs), nil
}
