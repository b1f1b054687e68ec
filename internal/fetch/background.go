package fetch

import "strings"

// BackgroundHosts are the hosts a browser contacts on its own, with no page
// asking for it, as suffixes: a host is background traffic when it equals
// one of them or ends with "." + one of them. A recording proxy that records
// every host (corsvcr proxy without --record-host) must leave them out, or
// they land in the cassette and, replayed, every run misses a different
// update check.
//
// Sources: full Chromium and Google Chrome call accounts.google.com,
// update.googleapis.com (component updater), clients1–6.google.com and
// clientservices.googleapis.com (variations, crash and metrics uploads),
// *.gvt1.com and *.gvt2.com (component downloads, edge caches),
// optimizationguide-pa.googleapis.com, safebrowsing.googleapis.com and
// sb-ssl.google.com (Safe Browsing), content-autofill.googleapis.com,
// android.clients.google.com and
// mtalk.google.com (GCM), and a time service, on every launch even with
// --disable-background-networking and --disable-component-update (measured
// with Chromium 156; chromium-headless-shell makes none of these calls).
// Firefox calls detectportal.firefox.com (captive portal),
// firefox.settings.services.mozilla.com (Remote Settings),
// incoming.telemetry.mozilla.org, push.services.mozilla.com,
// aus5.mozilla.org (updates), shavar.services.mozilla.com and
// safebrowsing.googleapis.com, content-signature-2.cdn.mozilla.net and
// location.services.mozilla.com. Microsoft Edge adds edge.microsoft.com,
// config.edge.skype.com and msedge.api.cdp.microsoft.com.
var BackgroundHosts = []string{
	// Chromium and Google Chrome.
	"accounts.google.com",
	"update.googleapis.com",
	"clientservices.googleapis.com",
	"optimizationguide-pa.googleapis.com",
	"safebrowsing.googleapis.com",
	"content-autofill.googleapis.com",
	"android.clients.google.com",
	"mtalk.google.com",
	"sb-ssl.google.com",
	"gvt1.com",
	"gvt2.com",
	"time.google.com",
	// Firefox.
	"detectportal.firefox.com",
	"firefox.settings.services.mozilla.com",
	"telemetry.mozilla.org",
	"push.services.mozilla.com",
	"aus5.mozilla.org",
	"shavar.services.mozilla.com",
	"content-signature-2.cdn.mozilla.net",
	"location.services.mozilla.com",
	// Microsoft Edge.
	"edge.microsoft.com",
	"config.edge.skype.com",
	"msedge.api.cdp.microsoft.com",
}

// IsBackgroundHost reports whether host (a host name, with or without a
// port, any case, a trailing dot allowed) is one a browser contacts on its
// own (BackgroundHosts), or one of Chrome's numbered update and metrics
// hosts clients1.google.com … clients6.google.com (clients<N>.google.com).
func IsBackgroundHost(host string) bool {
	host = strings.ToLower(stripPort(host))
	host = strings.TrimSuffix(host, ".")
	if host == "" {
		return false
	}
	if name, ok := strings.CutSuffix(host, ".google.com"); ok && strings.HasPrefix(name, "clients") && !strings.Contains(name, ".") {
		n := name[len("clients"):]
		return n == "" || isDigits(n)
	}
	for _, s := range BackgroundHosts {
		if host == s || strings.HasSuffix(host, "."+s) {
			return true
		}
	}
	return false
}

// stripPort drops a ":port" from host[:port] (and an IPv6 literal's
// brackets stay: no background host is an address).
func stripPort(h string) string {
	if strings.HasPrefix(h, "[") {
		return h
	}
	if i := strings.LastIndexByte(h, ':'); i >= 0 && isDigits(h[i+1:]) {
		return h[:i]
	}
	return h
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
