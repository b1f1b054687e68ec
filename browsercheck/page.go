package browsercheck

import (
	"net/http"
	"strings"
)

// Intercept returns the handler that serves check pages for requests whose
// path starts with PagePrefix, and nil for every other request. Give it to
// recorder.Config.Intercept and replay.Config.Intercept.
//
// It serves PagePrefix+"page", a static HTML page with the harness script,
// as text/html with Cache-Control: no-store, at whatever origin the request
// names; other paths under PagePrefix get 404. The page sets no CORS-relevant
// headers and makes no request of its own.
func Intercept(r *http.Request) http.Handler {
	if r == nil || r.URL == nil || !strings.HasPrefix(r.URL.Path, PagePrefix) {
		return nil
	}
	return pageHandler
}

var pageHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	if r.URL.Path != pagePath {
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		h.Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	if r.Method == http.MethodGet {
		w.Write([]byte(pageHTML))
	}
})

// pageHTML is the check page. window.__corsvcr(spec) makes the request that
// spec describes and resolves (never rejects) with what the script saw:
//
//	{href, ok, status, type, error, headers}
//
// href is the URL as the browser resolved it (the URL of the Network events),
// ok is true when fetch resolved or XHR fired load, headers are the response
// header names the script could read, lower-cased.
const pageHTML = `<!doctype html>
<html><head><meta charset="utf-8"><title>corsvcr check page</title>
<link rel="icon" href="data:,">
<script>
"use strict";
window.__corsvcr = async function (s) {
  const res = {href: "", ok: false, status: 0, type: "", error: "", headers: []};
  try {
    res.href = new URL(s.url, location.href).href;
  } catch (e) {
    res.error = String(e);
    return res;
  }
  const names = new Set();
  if (s.api === "xhr") {
    return await new Promise((resolve) => {
      try {
        const x = new XMLHttpRequest();
        x.open(s.method, s.url, true);
        x.withCredentials = s.credentials === "include";
        for (const [n, v] of s.headers) x.setRequestHeader(n, v);
        x.onload = () => {
          res.ok = true;
          res.status = x.status;
          res.type = "xhr";
          for (const line of x.getAllResponseHeaders().split("\r\n")) {
            const i = line.indexOf(":");
            if (i > 0) names.add(line.slice(0, i).trim().toLowerCase());
          }
          res.headers = [...names].sort();
          resolve(res);
        };
        x.onerror = () => { res.error = "XMLHttpRequest: error event"; resolve(res); };
        x.onabort = () => { res.error = "XMLHttpRequest: abort event"; resolve(res); };
        x.ontimeout = () => { res.error = "XMLHttpRequest: timeout event"; resolve(res); };
        x.send(s.hasBody ? s.body : null);
      } catch (e) {
        res.error = String(e);
        resolve(res);
      }
    });
  }
  const init = {method: s.method, headers: s.headers, credentials: s.credentials, mode: s.mode, cache: s.cache || "default", redirect: s.redirect || "follow"};
  if (s.hasBody) init.body = s.body;
  try {
    const r = await fetch(s.url, init);
    res.ok = true;
    res.status = r.status;
    res.type = r.type;
    for (const [n] of r.headers) names.add(n.toLowerCase());
    res.headers = [...names].sort();
    try { await r.arrayBuffer(); } catch (e) {}
  } catch (e) {
    res.error = String(e);
  }
  return res;
};
</script></head><body>corsvcr</body></html>
`
