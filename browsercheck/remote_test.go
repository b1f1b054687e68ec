package browsercheck_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/remote"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/corsvcr/corsvcr/browsercheck"
	"github.com/corsvcr/corsvcr/checks"
	"github.com/corsvcr/corsvcr/internal/chrometest"
)

// externalChrome is a Chrome the test starts itself, as a user would start
// one for corsvcr to attach to.
type externalChrome struct{ *chrometest.External }

func startExternalChrome(t *testing.T) externalChrome {
	return externalChrome{chrometest.Start(t)}
}

func (e externalChrome) alive() bool { return e.Alive() }

// state returns the external Chrome's browser contexts besides the
// default one and its page targets, read over a DevTools connection of its
// own.
func (e externalChrome) state(t *testing.T) (contexts []cdp.BrowserContextID, pages []string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	actx, acancel := remote.NewAllocator(ctx, e.WS)
	defer acancel()
	cctx, ccancel := chromedp.NewContext(actx)
	defer ccancel()
	res, err := chromedp.CallBrowser(cctx, target.GetBrowserContexts, cdp.Empty{})
	require.NoError(t, err)
	resp, err := http.Get(e.HTTP + "/json/list")
	require.NoError(t, err)
	defer resp.Body.Close()
	var list []struct{ Type, URL string }
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&list))
	for _, tg := range list {
		if tg.Type == "page" {
			pages = append(pages, tg.URL)
		}
	}
	return res.BrowserContextIDs, pages
}

// TestRemoteAttach runs checks in a Chrome started separately (attached by
// its ws:// and by its http:// DevTools address) and requires the same
// verdicts as the Chrome browsercheck starts itself; the external Chrome
// still runs afterwards, with no context or tab left behind.
func TestRemoteAttach(t *testing.T) {
	local := needChrome(t)
	ext := startExternalChrome(t)
	contextsBefore, pagesBefore := ext.state(t)

	cases := []checks.Check{
		{Name: "allowed", Page: pageOrigin, Steps: []checks.Step{{Request: checks.Request{URL: apiOrigin + "/simple"}}}},
		{Name: "blocked", Page: pageOrigin, Steps: []checks.Step{{Request: checks.Request{URL: apiOrigin + "/wildcard", Credentials: "include"}}}},
		{Name: "preflighted", Page: pageOrigin, Steps: []checks.Step{{Request: checks.Request{URL: apiOrigin + "/json", Method: "POST", Headers: jsonHeaders, Body: `{"a":1}`}}}},
		{Name: "preflight refused", Page: pageOrigin, Steps: []checks.Step{{Request: checks.Request{URL: apiOrigin + "/methods", Method: "PUT", Body: "x"}}}},
	}
	for name, addr := range map[string]string{"ws": ext.WS, "http": ext.HTTP, "http with path": "http" + strings.TrimPrefix(ext.WS, "ws")} {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			rb, err := browsercheck.New(ctx, browsercheck.Config{Remote: addr, Proxy: proxy.URL, Timeout: 10 * time.Second})
			require.NoError(t, err)
			assert.Equal(t, addr, rb.Remote())
			assert.Contains(t, rb.Version(), "156")
			for _, c := range cases {
				want, err := local.Check(ctx, c)
				require.NoError(t, err, c.Name)
				got, err := rb.Check(ctx, c)
				require.NoError(t, err, c.Name)
				assert.Equal(t, want, got, "check %q: remote verdict differs from local", c.Name)
			}
			// The cases hold each kind of verdict.
			v, _ := only(rb.Check(ctx, cases[1]))
			assert.Equal(t, "WildcardOriginNotAllowed", v.CorsError)
			v, _ = only(rb.Check(ctx, cases[2]))
			assert.True(t, v.Allowed && v.Preflight, "preflighted: %+v", v)

			require.NoError(t, rb.Close())
			assert.True(t, ext.alive(), "Close stopped the Chrome it attached to")
			contexts, pages := ext.state(t)
			assert.Equal(t, contextsBefore, contexts, "browser contexts left behind")
			assert.Equal(t, pagesBefore, pages, "tabs left behind")
		})
	}
}

// TestRemoteVisitThroughProxy: a page visit in an attached Chrome, which
// takes no --proxy-server flag, goes through the proxy like a check: its
// browser context carries Config.Proxy. Without it the visit would load
// the live page (or none), never the recording or the replay.
func TestRemoteVisitThroughProxy(t *testing.T) {
	needChrome(t)
	ext := startExternalChrome(t)
	visitServers(t) // localhost:5173 and :9100 exist through the proxy only
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	rb, err := browsercheck.New(ctx, browsercheck.Config{Remote: ext.WS, Proxy: proxy.URL, Timeout: 10 * time.Second})
	require.NoError(t, err)
	defer rb.Close()
	vs, err := rb.Check(ctx, checks.Check{Name: "home", Visit: &checks.Visit{URL: "http://localhost:5173/", Idle: 300 * time.Millisecond}})
	require.NoError(t, err)
	require.NotEmpty(t, vs)
	assert.Equal(t, "http://localhost:9100/ok", vs[0].URL)
	assert.True(t, vs[0].Allowed, "%+v", vs[0])
}

func TestRemoteErrors(t *testing.T) {
	t.Parallel()
	pin := "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
	tests := []struct {
		name string
		cfg  browsercheck.Config
		want string
	}{
		{name: "no port", cfg: browsercheck.Config{Remote: "ws://127.0.0.1/devtools/browser/x"}, want: `browsercheck: remote browser "ws://127.0.0.1/devtools/browser/x": want ws://HOST:PORT/devtools/browser/ID or http://HOST:PORT`},
		{name: "scheme", cfg: browsercheck.Config{Remote: "ftp://127.0.0.1:9222"}, want: `scheme "ftp": want ws, wss, http or https`},
		{name: "https pins", cfg: browsercheck.Config{Remote: "http://127.0.0.1:9", SPKIPins: []string{pin}}, want: "https checks need corsvcr's CA pinned by a launch flag"},
		{name: "nobody listening", cfg: browsercheck.Config{Remote: "http://127.0.0.1:9", Timeout: time.Second}, want: `browsercheck: attach to remote browser "http://127.0.0.1:9"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			b, err := browsercheck.New(ctx, tt.cfg)
			if b != nil {
				b.Close()
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}
