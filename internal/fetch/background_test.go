package fetch

import "testing"

func TestIsBackgroundHost(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		host string
		want bool
	}{
		{name: "chrome update", host: "update.googleapis.com", want: true},
		{name: "with port", host: "update.googleapis.com:443", want: true},
		{name: "upper case and trailing dot", host: "Accounts.Google.COM.", want: true},
		{name: "gvt1 subdomain", host: "r3---sn-4g5e6nzz.gvt1.com", want: true},
		{name: "gvt1 itself", host: "gvt1.com", want: true},
		{name: "clients numbered", host: "clients2.google.com", want: true},
		{name: "clients plain", host: "clients.google.com", want: true},
		{name: "optimization guide", host: "optimizationguide-pa.googleapis.com", want: true},
		{name: "safe browsing", host: "safebrowsing.googleapis.com:443", want: true},
		{name: "firefox portal", host: "detectportal.firefox.com", want: true},
		{name: "firefox telemetry", host: "incoming.telemetry.mozilla.org", want: true},
		{name: "firefox settings", host: "firefox.settings.services.mozilla.com", want: true},
		{name: "app on google", host: "www.google.com"},
		{name: "clients with letters", host: "clientsx.google.com"},
		{name: "nested clients", host: "a.clients2.google.com"},
		{name: "suffix without dot", host: "notgvt1.com"},
		{name: "googleapis of an app", host: "www.googleapis.com"},
		{name: "api", host: "api.example.com"},
		{name: "loopback", host: "127.0.0.1:8000"},
		{name: "empty", host: ""},
		{name: "ipv6", host: "[::1]:443"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := IsBackgroundHost(tc.host); got != tc.want {
				t.Errorf("IsBackgroundHost(%q) = %v, want %v", tc.host, got, tc.want)
			}
		})
	}
}
