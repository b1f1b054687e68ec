package vcr_test

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/corsvcr/corsvcr/ca"
	"github.com/corsvcr/corsvcr/cassettes"
	"github.com/corsvcr/corsvcr/redact"
	"github.com/corsvcr/corsvcr/replay"
	"github.com/corsvcr/corsvcr/vcr"
)

// proxyAPI is the API the proxy tests record: CORS for
// https://app.shop.test, a preflight, and a request that reveals a token.
func proxyAPI() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Access-Control-Allow-Origin", "https://app.shop.test")
		h.Set("Vary", "Origin")
		switch {
		case r.Method == http.MethodOptions:
			h.Set("Access-Control-Allow-Methods", "GET, POST")
			h.Set("Access-Control-Allow-Headers", "Content-Type, Authorization")
			w.WriteHeader(http.StatusNoContent)
		case r.URL.Path == "/items":
			h.Set("Content-Type", "application/json")
			h.Set("X-Total-Count", "2")
			fmt.Fprint(w, `{"items":[1,2]}`)
		default:
			h.Set("Content-Type", "text/plain")
			fmt.Fprintf(w, "%s %s", r.Method, r.URL.Path)
		}
	})
}

// serveTLS serves h over TLS with a certificate for host signed by a test
// authority, on loopback, until the test ends; it returns the address and
// the authority's pool.
func serveTLS(t *testing.T, h http.Handler, host string) (string, *ca.CA) {
	t.Helper()
	upCA, err := ca.New()
	require.NoError(t, err)
	leaf, err := upCA.Leaf(host)
	require.NoError(t, err)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, TLSConfig: &tls.Config{Certificates: []tls.Certificate{*leaf}}}
	go srv.ServeTLS(ln, "", "")
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String(), upCA
}

// servePlain serves h over HTTP on loopback until the test ends.
func servePlain(t *testing.T, h http.Handler) (addr string, stop func()) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	stop = func() { srv.Close() }
	t.Cleanup(stop)
	return ln.Addr().String(), stop
}

// proxyClient is a plain Go client using the proxy: Transport.Proxy and
// the proxy's CA as root.
func proxyClient(t *testing.T, p *vcr.Proxy) *http.Client {
	t.Helper()
	pu, err := url.Parse(p.URL())
	require.NoError(t, err)
	tr := &http.Transport{Proxy: http.ProxyURL(pu), TLSClientConfig: &tls.Config{RootCAs: p.CA().Pool()}}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr}
}

// seen is what a client observes of one response.
type seen struct {
	Status int
	ACAO   string
	Total  string
	Body   string
}

func do(t *testing.T, c *http.Client, method, u string, hdr ...string) seen {
	t.Helper()
	req, err := http.NewRequest(method, u, nil)
	require.NoError(t, err)
	req.Header.Set("Origin", "https://app.shop.test")
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := c.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return seen{res.StatusCode, res.Header.Get("Access-Control-Allow-Origin"), res.Header.Get("X-Total-Count"), string(b)}
}

const proxyJWT = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJwcm94eS11c2VyIn0.c2lnbmF0dXJlLW9mLXByb3h5LXRva2Vu"

// exchanges are the requests of the proxy tests: a preflight and an actual
// request over HTTPS (with a bearer token), and a plain-HTTP one.
func exchanges(t *testing.T, c *http.Client) []seen {
	return []seen{
		do(t, c, http.MethodOptions, "https://api.shop.test/items", "Access-Control-Request-Method", "POST", "Access-Control-Request-Headers", "content-type,authorization"),
		do(t, c, http.MethodGet, "https://api.shop.test/items", "Authorization", "Bearer "+proxyJWT),
		do(t, c, http.MethodGet, "http://plain.shop.test/hello"),
	}
}

// TestProxyGoClient: a plain net/http client through the proxy records
// HTTP and HTTPS (MITM with the corsvcr CA, upstream verified against its
// own CA), the cassette holds the preflight and no secret, and the replay,
// with the servers stopped, answers the same; a request it lacks is a
// miss (599) counted in the summary.
func TestProxyGoClient(t *testing.T) {
	t.Parallel()
	tlsAddr, upCA := serveTLS(t, proxyAPI(), "api.shop.test")
	plainAddr, stopPlain := servePlain(t, proxyAPI())
	caDir := filepath.Join(t.TempDir(), "ca")
	path := filepath.Join(t.TempDir(), "proxy.yaml")
	r, err := vcr.New(vcr.Config{
		CADir:           caDir,
		Upstreams:       map[string]string{"api.shop.test": tlsAddr, "plain.shop.test": plainAddr},
		UpstreamRootCAs: upCA.Pool(),
		Version:         "test",
	})
	require.NoError(t, err)
	p, err := r.Proxy(vcr.ProxyOptions{Mode: vcr.ProxyRecord, Path: path, SaveEvery: -1})
	require.NoError(t, err)
	live := exchanges(t, proxyClient(t, p))
	sum, err := p.Close()
	require.NoError(t, err)
	assert.Equal(t, []vcr.HostCount{{Host: "api.shop.test:443", Count: 2}, {Host: "plain.shop.test:80", Count: 1}}, sum.Recorded)
	assert.Equal(t, 1, sum.Saves)
	assert.Equal(t, 3, sum.Interactions)
	assert.Empty(t, sum.Failures)
	assert.Equal(t, http.StatusNoContent, live[0].Status)
	assert.Equal(t, seen{200, "https://app.shop.test", "2", `{"items":[1,2]}`}, live[1])

	cas, err := cassettes.Load(path)
	require.NoError(t, err)
	require.Len(t, cas.Interactions, 3)
	assert.Equal(t, cassettes.KindPreflight, cas.Interactions[0].Kind)
	assert.Equal(t, "https://api.shop.test/items", cas.Interactions[1].Request.URL)
	auth, _ := cas.Interactions[1].Request.Headers.Get("Authorization")
	assert.Equal(t, "Bearer corsvcr-redacted-1", auth, "saves redact secrets")

	stopPlain() // the replay must not need any server
	p, err = r.Proxy(vcr.ProxyOptions{Mode: vcr.ProxyReplay, Cassette: cas})
	require.NoError(t, err)
	c := proxyClient(t, p)
	assert.Equal(t, live, exchanges(t, c))
	miss := do(t, c, http.MethodGet, "https://api.shop.test/nope")
	assert.Equal(t, 599, miss.Status)
	sum, err = p.Close()
	require.NoError(t, err)
	assert.Equal(t, 1, sum.Misses.Total)
	assert.Equal(t, []vcr.HostCount{{Host: "api.shop.test:443", Count: 2}, {Host: "plain.shop.test:80", Count: 1}}, sum.Replayed)
	assert.Zero(t, sum.Saves)
}

// TestProxyRecordMissing: the replay answers what the cassette holds and
// records what it lacks, appended to the cassette.
func TestProxyRecordMissing(t *testing.T) {
	t.Parallel()
	var hits []string
	addr, _ := servePlain(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits = append(hits, r.URL.Path) // one request at a time: the client waits
		fmt.Fprintf(w, "live %s", r.URL.Path)
	}))
	path := filepath.Join(t.TempDir(), "c.yaml")
	r, err := vcr.New(vcr.Config{CADir: filepath.Join(t.TempDir(), "ca"), Upstreams: map[string]string{"api.shop.test": addr}})
	require.NoError(t, err)
	old := &cassettes.Cassette{Version: cassettes.FormatVersion, Interactions: []cassettes.Interaction{{
		Kind:     cassettes.KindActual,
		Request:  cassettes.Request{Method: "GET", URL: "http://api.shop.test/old", Headers: cassettes.Headers{{Name: "Origin", Value: "https://app.shop.test"}}},
		Response: cassettes.Response{Status: 200, Body: cassettes.Body("recorded old")},
	}}}
	p, err := r.Proxy(vcr.ProxyOptions{Mode: vcr.ProxyRecordMissing, Cassette: old, Path: path, SaveEvery: -1})
	require.NoError(t, err)
	c := proxyClient(t, p)
	assert.Equal(t, "recorded old", do(t, c, "GET", "http://api.shop.test/old").Body)
	assert.Equal(t, "live /new", do(t, c, "GET", "http://api.shop.test/new").Body)
	sum, err := p.Close()
	require.NoError(t, err)
	assert.Equal(t, []string{"/new"}, hits)
	assert.Zero(t, sum.Misses.Total)
	assert.Equal(t, 2, sum.Interactions)
	cas, err := cassettes.Load(path)
	require.NoError(t, err)
	require.Len(t, cas.Interactions, 2)
	assert.Equal(t, "http://api.shop.test/new", cas.Interactions[1].Request.URL)
	assert.Len(t, old.Interactions, 1, "the replayed cassette is not modified")
}

// TestProxyBackground: without --record-host, a browser's background
// traffic is answered locally in every mode: not forwarded (no server
// exists for it), not recorded, not a miss.
func TestProxyBackground(t *testing.T) {
	t.Parallel()
	addr, _ := servePlain(t, proxyAPI())
	path := filepath.Join(t.TempDir(), "c.yaml")
	r, err := vcr.New(vcr.Config{CADir: filepath.Join(t.TempDir(), "ca"), Upstreams: map[string]string{"api.shop.test": addr}})
	require.NoError(t, err)
	bg := []string{"https://update.googleapis.com/service/update2/json", "http://clients2.google.com/time/1/current", "http://detectportal.firefox.com/canonical.html"}
	for _, mode := range []vcr.ProxyMode{vcr.ProxyRecord, vcr.ProxyReplay, vcr.ProxyRecordMissing} {
		opts := vcr.ProxyOptions{Mode: mode, SaveEvery: -1}
		if mode != vcr.ProxyRecord {
			opts.Cassette = &cassettes.Cassette{Version: cassettes.FormatVersion}
		}
		if mode != vcr.ProxyReplay {
			opts.Path = path
		}
		p, err := r.Proxy(opts)
		require.NoError(t, err, mode)
		c := proxyClient(t, p)
		for _, u := range bg {
			assert.Equal(t, vcr.BackgroundAnswer, do(t, c, "GET", u).Status, "%s %s", mode, u)
		}
		sum, err := p.Close()
		require.NoError(t, err)
		assert.Equal(t, len(bg), sum.Background, mode)
		assert.Empty(t, sum.Recorded, mode)
		assert.Zero(t, sum.Misses.Total, mode)
		assert.Empty(t, sum.Failures, mode)
		assert.NoFileExists(t, path, "%s: nothing recorded, nothing written", mode)
	}

	// A background host listed in RecordHosts is an ordinary host.
	r, err = vcr.New(vcr.Config{CADir: filepath.Join(t.TempDir(), "ca"), RecordHosts: []string{"detectportal.firefox.com:80"},
		Upstreams: map[string]string{"detectportal.firefox.com": addr}})
	require.NoError(t, err)
	p, err := r.Proxy(vcr.ProxyOptions{Mode: vcr.ProxyRecord})
	require.NoError(t, err)
	assert.Equal(t, 200, do(t, proxyClient(t, p), "GET", "http://detectportal.firefox.com/x").Status)
	sum, err := p.Close()
	require.NoError(t, err)
	assert.Equal(t, []vcr.HostCount{{Host: "detectportal.firefox.com:80", Count: 1}}, sum.Recorded)
}

// TestProxyAutosave: a recording proxy saves while it runs, when something
// was recorded since its last save: each save holds everything recorded
// before it.
func TestProxyAutosave(t *testing.T) {
	t.Parallel()
	addr, _ := servePlain(t, proxyAPI())
	path := filepath.Join(t.TempDir(), "c.yaml")
	r, err := vcr.New(vcr.Config{CADir: filepath.Join(t.TempDir(), "ca"), Upstreams: map[string]string{"api.shop.test": addr}})
	require.NoError(t, err)
	saved := make(chan vcr.SaveEvent, 16)
	p, err := r.Proxy(vcr.ProxyOptions{Mode: vcr.ProxyRecord, Path: path, SaveEvery: 5 * time.Millisecond, OnSave: func(e vcr.SaveEvent) { saved <- e }})
	require.NoError(t, err)
	c := proxyClient(t, p)
	for n := 1; n <= 2; n++ {
		do(t, c, "GET", fmt.Sprintf("http://api.shop.test/%d", n))
		var e vcr.SaveEvent
		select {
		case e = <-saved:
		case <-time.After(10 * time.Second):
			t.Fatalf("no save after request %d", n)
		}
		require.NoError(t, e.Err)
		assert.Equal(t, n, e.Interactions)
		assert.False(t, e.Final)
		cas, err := cassettes.Load(path)
		require.NoError(t, err)
		assert.Len(t, cas.Interactions, n)
	}
	sum, err := p.Close()
	require.NoError(t, err)
	assert.Equal(t, 2, sum.Saves, "no save when nothing changed, the final one included")
	assert.Empty(t, saved)
}

func TestProxyOptionsInvalid(t *testing.T) {
	t.Parallel()
	r, err := vcr.New(vcr.Config{CADir: filepath.Join(t.TempDir(), "ca")})
	require.NoError(t, err)
	cas := &cassettes.Cassette{Version: cassettes.FormatVersion}
	for _, tc := range []struct {
		name string
		opts vcr.ProxyOptions
		want string
	}{
		{name: "no mode", want: `mode "" is not one of`},
		{name: "replay without cassette", opts: vcr.ProxyOptions{Mode: vcr.ProxyReplay}, want: "replay mode: nil cassette"},
		{name: "record with cassette", opts: vcr.ProxyOptions{Mode: vcr.ProxyRecord, Cassette: cas}, want: "Cassette must be nil"},
		{name: "replay writes nothing", opts: vcr.ProxyOptions{Mode: vcr.ProxyReplay, Cassette: cas, Path: "x.yaml"}, want: "Path must be empty"},
		{name: "not loopback", opts: vcr.ProxyOptions{Mode: vcr.ProxyRecord, Addr: "0.0.0.0:0"}, want: "not a loopback address"},
		{name: "not loopback replay", opts: vcr.ProxyOptions{Mode: vcr.ProxyReplay, Cassette: cas, Addr: "0.0.0.0:0"}, want: "not a loopback address"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := r.Proxy(tc.opts)
			require.Error(t, err)
			assert.True(t, strings.Contains(err.Error(), tc.want), err.Error())
		})
	}
}

// TestProxySecretsRefused: a save goes through the secrets policy of Save:
// what redaction cannot remove (a JWT in an HTML body) makes every save
// refuse, reported to OnSave and by Close, and nothing is written.
func TestProxySecretsRefused(t *testing.T) {
	t.Parallel()
	addr, _ := servePlain(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprintf(w, "<p>token: %s</p>", proxyJWT)
	}))
	path := filepath.Join(t.TempDir(), "c.yaml")
	r, err := vcr.New(vcr.Config{CADir: filepath.Join(t.TempDir(), "ca"), Upstreams: map[string]string{"api.shop.test": addr}})
	require.NoError(t, err)
	var events []vcr.SaveEvent
	p, err := r.Proxy(vcr.ProxyOptions{Mode: vcr.ProxyRecord, Path: path, SaveEvery: -1, OnSave: func(e vcr.SaveEvent) { events = append(events, e) }})
	require.NoError(t, err)
	do(t, proxyClient(t, p), "GET", "http://api.shop.test/page")
	sum, err := p.Close()
	var se *redact.SecretsError
	require.ErrorAs(t, err, &se)
	require.Len(t, events, 1)
	assert.True(t, events[0].Final)
	assert.ErrorAs(t, events[0].Err, &se)
	assert.Zero(t, sum.Saves)
	assert.NoFileExists(t, path)
}

// TestProxyLeaksNothing must not run in parallel: it counts goroutines.
// A record-missing proxy (a replay server, a recorder and the autosave
// loop) leaves no goroutine behind once closed.
func TestProxyLeaksNothing(t *testing.T) {
	base := runtime.NumGoroutine()
	func() {
		addr, stop := servePlain(t, proxyAPI())
		defer stop()
		r, err := vcr.New(vcr.Config{CADir: filepath.Join(t.TempDir(), "ca"), Upstreams: map[string]string{"api.shop.test": addr}})
		require.NoError(t, err)
		p, err := r.Proxy(vcr.ProxyOptions{Mode: vcr.ProxyRecordMissing, Cassette: &cassettes.Cassette{Version: cassettes.FormatVersion},
			Path: filepath.Join(t.TempDir(), "c.yaml"), SaveEvery: time.Millisecond})
		require.NoError(t, err)
		pu, err := url.Parse(p.URL())
		require.NoError(t, err)
		tr := &http.Transport{Proxy: http.ProxyURL(pu), TLSClientConfig: &tls.Config{RootCAs: p.CA().Pool()}}
		c := &http.Client{Transport: tr}
		do(t, c, "GET", "http://api.shop.test/items")
		do(t, c, "GET", "https://update.googleapis.com/x")
		tr.CloseIdleConnections()
		_, err = p.Close()
		require.NoError(t, err)
	}()
	deadline := time.Now().Add(10 * time.Second)
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for runtime.NumGoroutine() > base {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Fatalf("goroutines: %d after Close, %d before\n%s", runtime.NumGoroutine(), base, buf[:runtime.Stack(buf, true)])
		}
		<-tick.C
	}
}

// TestProxyRecordsRedirectHops: without --record-host every hop of a
// redirect chain is recorded, whatever its host, and replays offline.
func TestProxyRecordsRedirectHops(t *testing.T) {
	t.Parallel()
	final, stopFinal := servePlain(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Access-Control-Allow-Origin", "*")
		fmt.Fprint(w, "moved here")
	}))
	first, stopFirst := servePlain(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://cdn.shop.test:9000/final", http.StatusTemporaryRedirect)
	}))
	path := filepath.Join(t.TempDir(), "c.yaml")
	r, err := vcr.New(vcr.Config{CADir: filepath.Join(t.TempDir(), "ca"),
		Upstreams: map[string]string{"api.shop.test": first, "cdn.shop.test:9000": final}})
	require.NoError(t, err)
	p, err := r.Proxy(vcr.ProxyOptions{Mode: vcr.ProxyRecord, Path: path, SaveEvery: -1})
	require.NoError(t, err)
	live := do(t, proxyClient(t, p), "GET", "http://api.shop.test/start")
	sum, err := p.Close()
	require.NoError(t, err)
	assert.Equal(t, "moved here", live.Body)
	assert.Equal(t, []vcr.HostCount{{Host: "api.shop.test:80", Count: 1}, {Host: "cdn.shop.test:9000", Count: 1}}, sum.Recorded)

	stopFirst()
	stopFinal()
	cas, err := cassettes.Load(path)
	require.NoError(t, err)
	p, err = r.Proxy(vcr.ProxyOptions{Mode: vcr.ProxyReplay, Cassette: cas})
	require.NoError(t, err)
	assert.Equal(t, live, do(t, proxyClient(t, p), "GET", "http://api.shop.test/start"))
	sum, err = p.Close()
	require.NoError(t, err)
	assert.Zero(t, sum.Misses.Total)
}

// TestProxyRecordMissingFailedForward: in record-missing mode a request the
// cassette lacks whose live server cannot be reached is a failed exchange,
// as in record mode, listed once in Failures, not a replay miss (which
// would make the command exit 4, "replay miss", instead of 1) — for a
// recorded host and for one --record-host does not name.
func TestProxyRecordMissingFailedForward(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	dead := ln.Addr().String()
	require.NoError(t, ln.Close()) // nothing listens there any more
	old := &cassettes.Cassette{Version: cassettes.FormatVersion}
	for _, hosts := range [][]string{nil, {"other.shop.test:80"}} {
		t.Run(fmt.Sprint("record-host=", hosts), func(t *testing.T) {
			r, err := vcr.New(vcr.Config{CADir: filepath.Join(t.TempDir(), "ca"), RecordHosts: hosts,
				Upstreams: map[string]string{"api.shop.test": dead}})
			require.NoError(t, err)
			p, err := r.Proxy(vcr.ProxyOptions{Mode: vcr.ProxyRecordMissing, Cassette: old,
				Path: filepath.Join(t.TempDir(), "c.yaml"), SaveEvery: -1, ExchangeTimeout: 5 * time.Second})
			require.NoError(t, err)
			c := proxyClient(t, p)
			req, err := http.NewRequest(http.MethodGet, "http://api.shop.test/new?x=1", nil)
			require.NoError(t, err)
			if res, err := c.Do(req); err == nil {
				io.Copy(io.Discard, res.Body)
				res.Body.Close()
			}
			sum, err := p.Close()
			require.NoError(t, err)
			assert.Zero(t, sum.Misses.Total, "a failed forward is not a replay miss: %+v", sum.Misses)
			require.Len(t, sum.Failures, 1)
			assert.Equal(t, "GET", sum.Failures[0].Method)
			assert.Contains(t, sum.Failures[0].URL, "http://api.shop.test/new?x=1")
			assert.Zero(t, sum.Saves)
		})
	}
}

// TestProxyRecordMissingFailureAfterManyForwards: a failed forward to a
// host no --record-host names is listed even after more successful
// forwards than the replay's default journal keeps (1024).
func TestProxyRecordMissingFailureAfterManyForwards(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	dead := ln.Addr().String()
	require.NoError(t, ln.Close())
	live, _ := servePlain(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "ok") }))
	r, err := vcr.New(vcr.Config{CADir: filepath.Join(t.TempDir(), "ca"), RecordHosts: []string{"other.shop.test:80"},
		Upstreams: map[string]string{"api.shop.test": dead, "live.shop.test": live}})
	require.NoError(t, err)
	p, err := r.Proxy(vcr.ProxyOptions{Mode: vcr.ProxyRecordMissing, Cassette: &cassettes.Cassette{Version: cassettes.FormatVersion},
		Path: filepath.Join(t.TempDir(), "c.yaml"), SaveEvery: -1, ExchangeTimeout: 5 * time.Second})
	require.NoError(t, err)
	c := proxyClient(t, p)
	for i := range replay.DefaultJournalLimit + 100 {
		assert.Equal(t, "ok", do(t, c, "GET", fmt.Sprintf("http://live.shop.test/%d", i)).Body)
	}
	if res, err := c.Get("http://api.shop.test/new"); err == nil {
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
	}
	sum, err := p.Close()
	require.NoError(t, err)
	require.Len(t, sum.Failures, 1, "the failed forward after %d others", replay.DefaultJournalLimit+100)
	assert.Contains(t, sum.Failures[0].URL, "http://api.shop.test/new")
}

// TestProxyFinalSaveRefusedCountsUnsaved: when the saves succeed and then
// the last one is refused (a secret recorded after them), the summary
// says the file holds only what the earlier saves wrote and how many
// recorded exchanges are not in it.
func TestProxyFinalSaveRefusedCountsUnsaved(t *testing.T) {
	t.Parallel()
	addr, _ := servePlain(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		if r.URL.Path == "/page" {
			fmt.Fprintf(w, "<p>token: %s</p>", proxyJWT)
			return
		}
		fmt.Fprint(w, "<p>fine</p>")
	}))
	path := filepath.Join(t.TempDir(), "c.yaml")
	r, err := vcr.New(vcr.Config{CADir: filepath.Join(t.TempDir(), "ca"), Upstreams: map[string]string{"api.shop.test": addr}})
	require.NoError(t, err)
	p, err := r.Proxy(vcr.ProxyOptions{Mode: vcr.ProxyRecord, Path: path, SaveEvery: -1})
	require.NoError(t, err)
	c := proxyClient(t, p)
	do(t, c, "GET", "http://api.shop.test/fine")
	wrote, err := p.Save()
	require.NoError(t, err)
	require.True(t, wrote)
	do(t, c, "GET", "http://api.shop.test/page")
	sum, err := p.Close()
	var se *redact.SecretsError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, 1, sum.Saves)
	assert.Equal(t, 1, sum.Interactions)
	assert.Equal(t, 1, sum.Unsaved)
	cas, err := cassettes.Load(path)
	require.NoError(t, err)
	assert.Len(t, cas.Interactions, 1)
}

// TestProxyAutosaveFailureReportedOnce: a save that fails while running
// is reported once, to OnSave (which the CLI prints), not also logged at
// every interval.
func TestProxyAutosaveFailureReportedOnce(t *testing.T) {
	t.Parallel()
	addr, _ := servePlain(t, proxyAPI())
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	require.NoError(t, os.WriteFile(file, []byte("x"), 0o644))
	var logged strings.Builder
	var mu sync.Mutex
	log := slog.New(slog.NewTextHandler(writerFunc(func(b []byte) (int, error) {
		mu.Lock()
		defer mu.Unlock()
		return logged.Write(b)
	}), nil))
	r, err := vcr.New(vcr.Config{CADir: filepath.Join(dir, "ca"), Upstreams: map[string]string{"api.shop.test": addr}, Logger: log})
	require.NoError(t, err)
	saved := make(chan vcr.SaveEvent, 64)
	p, err := r.Proxy(vcr.ProxyOptions{Mode: vcr.ProxyRecord, Path: filepath.Join(file, "c.yaml"), SaveEvery: 5 * time.Millisecond,
		OnSave: func(e vcr.SaveEvent) { saved <- e }})
	require.NoError(t, err)
	do(t, proxyClient(t, p), "GET", "http://api.shop.test/1")
	select {
	case e := <-saved:
		require.Error(t, e.Err)
	case <-time.After(10 * time.Second):
		t.Fatal("no save attempt")
	}
	_, err = p.Close()
	require.Error(t, err)
	mu.Lock()
	defer mu.Unlock()
	assert.NotContains(t, logged.String(), "save failed")
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(b []byte) (int, error) { return f(b) }

// TestProxyWebSocketRefused: a WebSocket handshake (a dev server's hot
// reload socket) is answered by the proxy itself with UpgradeAnswer, in
// record and replay modes alike, and counted. Forwarded, the upgraded
// connection never ended: the client never got its answer and Close
// waited for it forever, so Ctrl-C never stopped corsvcr proxy.
func TestProxyWebSocketRefused(t *testing.T) {
	t.Parallel()
	// The upstream switches protocols and holds the connection open, as a
	// WebSocket server does.
	addr, _ := servePlain(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Sec-Websocket-Key") == "" {
			fmt.Fprint(w, "plain")
			return
		}
		conn, buf, err := http.NewResponseController(w).Hijack()
		if err != nil {
			return
		}
		defer conn.Close()
		buf.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n\x81\x02hi")
		buf.Flush()
		io.Copy(io.Discard, conn) // until the client goes away
	}))
	caDir := filepath.Join(t.TempDir(), "ca")
	r, err := vcr.New(vcr.Config{CADir: caDir, Upstreams: map[string]string{"hmr.shop.test": addr}})
	require.NoError(t, err)
	handshake := func(c *http.Client) *http.Response {
		// Bounded: forwarded, the handshake's answer never came.
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		t.Cleanup(cancel)
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://hmr.shop.test/socket", nil)
		require.NoError(t, err)
		req.Header.Set("Origin", "http://app.shop.test")
		req.Header.Set("Connection", "Upgrade")
		req.Header.Set("Upgrade", "websocket")
		req.Header.Set("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")
		req.Header.Set("Sec-WebSocket-Version", "13")
		res, err := c.Do(req)
		require.NoError(t, err)
		t.Cleanup(func() { res.Body.Close() })
		return res
	}
	closed := func(p *vcr.Proxy) *vcr.ProxySummary {
		done := make(chan *vcr.ProxySummary, 1)
		go func() {
			sum, err := p.Close()
			assert.NoError(t, err)
			done <- sum
		}()
		select {
		case sum := <-done:
			return sum
		case <-time.After(30 * time.Second): // a bound on a failure, not a synchronisation
			t.Fatal("Close did not return: the upgraded connection holds it")
			return nil
		}
	}

	path := filepath.Join(t.TempDir(), "c.yaml")
	p, err := r.Proxy(vcr.ProxyOptions{Mode: vcr.ProxyRecord, Path: path, SaveEvery: -1, ExchangeTimeout: 5 * time.Second})
	require.NoError(t, err)
	c := proxyClient(t, p)
	res := handshake(c)
	assert.Equal(t, vcr.UpgradeAnswer, res.StatusCode)
	assert.NotEmpty(t, res.Header.Get("X-Corsvcr-Upgrade"))
	assert.Equal(t, "plain", do(t, c, "GET", "http://hmr.shop.test/plain").Body)
	// Another Upgrade (h2c) is no WebSocket: the server answers it as usual.
	h2c, err := http.NewRequest(http.MethodGet, "http://hmr.shop.test/h2c", nil)
	require.NoError(t, err)
	h2c.Header.Set("Connection", "Upgrade, HTTP2-Settings")
	h2c.Header.Set("Upgrade", "h2c")
	h2c.Header.Set("HTTP2-Settings", "AAMAAABkAARAAAAAAAIAAAAA")
	hres, err := c.Do(h2c)
	require.NoError(t, err)
	hbody, _ := io.ReadAll(hres.Body)
	hres.Body.Close()
	assert.Equal(t, http.StatusOK, hres.StatusCode)
	assert.Equal(t, "plain", string(hbody))
	sum := closed(p)
	assert.Equal(t, 1, sum.Upgrades)
	assert.Empty(t, sum.Failures)
	cas, err := cassettes.Load(path)
	require.NoError(t, err)
	require.Len(t, cas.Interactions, 2, "the handshake is not recorded, the h2c request is")

	p, err = r.Proxy(vcr.ProxyOptions{Mode: vcr.ProxyReplay, Cassette: cas})
	require.NoError(t, err)
	res = handshake(proxyClient(t, p))
	assert.Equal(t, vcr.UpgradeAnswer, res.StatusCode, "replayed as recorded: refused alike")
	sum = closed(p)
	assert.Equal(t, 1, sum.Upgrades)
	assert.Zero(t, sum.Misses.Total)
}
