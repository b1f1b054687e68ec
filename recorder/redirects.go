package recorder

import (
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
)

// This file follows the Location chain of recorded exchanges. A check
// names the hosts to record (Config.Hosts), but a server may redirect the
// browser to a host no check names; the browser follows the redirect
// through the proxy, and a replay of a cassette without that hop would
// miss it. So the URL a recorded 3xx points to is recorded too, whatever
// its host: the request that the browser sends to it (a preflight, the
// redirected request, a retry) is recorded, and its own redirects are
// followed in turn. Requests to that host for other URLs stay unrecorded.

// maxRedirectTargets bounds the redirect targets remembered; past it the
// oldest is forgotten (a chain is followed at once, so only a proxy running
// for a long time forgets any).
const maxRedirectTargets = 4096

// redirectTargets is the set of URLs (redirectKey) that recorded responses
// redirected to.
type redirectTargets struct {
	n     atomic.Int64 // len(set): no lock when nothing was redirected
	mu    sync.Mutex
	set   map[string]struct{}
	order []string // insertion order, oldest first, for eviction
}

// add remembers key.
func (t *redirectTargets) add(key string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, ok := t.set[key]; ok {
		return
	}
	if t.set == nil {
		t.set = map[string]struct{}{}
	}
	if len(t.order) >= maxRedirectTargets {
		delete(t.set, t.order[0])
		t.order = t.order[1:]
	}
	t.set[key] = struct{}{}
	t.order = append(t.order, key)
	t.n.Store(int64(len(t.set)))
}

// has reports whether key was added.
func (t *redirectTargets) has(key string) bool {
	if t.n.Load() == 0 {
		return false
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	_, ok := t.set[key]
	return ok
}

// redirectKey identifies the resource an absolute http(s) URL names, as
// the recorder sees a browser request it: scheme and host lower-cased, the
// default port written out, dot segments resolved, the path escaped, no
// user information and no fragment (neither is sent). ok is false for
// other URLs.
func redirectKey(u *url.URL) (key string, ok bool) {
	scheme := strings.ToLower(u.Scheme)
	if scheme != "http" && scheme != "https" || u.Host == "" {
		return "", false
	}
	path := u.EscapedPath()
	if path == "" {
		path = "/"
	}
	key = scheme + "://" + normAuthority(scheme, u.Host) + path
	if u.RawQuery != "" || u.ForceQuery {
		key += "?" + u.RawQuery
	}
	return key, true
}

// isRedirectTarget reports whether rawURL, a request's URL as the client
// named it, is a URL a recorded response redirected to.
func (r *Recorder) isRedirectTarget(rawURL string) bool {
	if r.redirects.n.Load() == 0 {
		return false
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return false
	}
	u = u.ResolveReference(&url.URL{}) // dot segments, as in a Location
	key, ok := redirectKey(u)
	return ok && r.redirects.has(key)
}

// followRedirect remembers where a recorded response to the request for
// reqURL redirects, if it does: a 3xx with a Location, relative or
// absolute, resolved against reqURL.
func (r *Recorder) followRedirect(reqURL string, res *http.Response) {
	if res.StatusCode < 300 || res.StatusCode > 399 {
		return
	}
	loc := res.Header.Get("Location")
	if loc == "" {
		return
	}
	base, err := url.Parse(reqURL)
	if err != nil {
		return
	}
	target, err := base.Parse(loc)
	if err != nil {
		r.log.Debug("recorder: redirect Location is not a URL; not followed", "url", reqURL, "location", loc, "err", err)
		return
	}
	if key, ok := redirectKey(target); ok {
		r.redirects.add(key)
	}
}
