package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"regexp"
	"strconv"
	"strings"
)

// clientSetup is how one kind of client uses a corsvcr proxy and trusts
// the corsvcr CA (`corsvcr ca`, for `corsvcr proxy` and `corsvcr serve`).
type clientSetup struct {
	Client  string `json:"client"`
	Snippet string `json:"snippet"`
}

// defaultProxyURL is the proxy address the snippets name without --proxy.
const defaultProxyURL = "http://127.0.0.1:8888"

// clientSetups returns, for every client corsvcr documents, how to point it
// at proxy and make it trust the CA whose certificate is certFile and whose
// SPKI pin is pin: the values are filled in, ready to paste.
func clientSetups(proxy, certFile, pin string) []clientSetup {
	host, port := "127.0.0.1", "8888"
	if u, err := url.Parse(proxy); err == nil && u.Hostname() != "" {
		host, port = u.Hostname(), u.Port()
	}
	// The certificate's path is quoted for the language of each snippet: it
	// may hold spaces (macOS: ~/Library/Application Support/corsvcr).
	certJSON, _ := json.Marshal(certFile)
	r := strings.NewReplacer("{PROXY}", proxy, "{CERT}", shellQuote(certFile), "{CERT_GO}", strconv.Quote(certFile),
		"{CERT_JSON}", string(certJSON), "{PIN}", pin, "{HOST}", host, "{PORT}", port)
	var out []clientSetup
	add := func(client, snippet string) {
		out = append(out, clientSetup{Client: client, Snippet: r.Replace(strings.TrimPrefix(snippet, "\n"))})
	}
	add("Chrome / Chromium", `
# the pin is honoured only with a profile of its own (--user-data-dir);
# <-loopback> makes Chrome send localhost and 127.0.0.1 through the proxy too
chromium --user-data-dir="$(mktemp -d)" --proxy-server={PROXY} \
  --proxy-bypass-list='<-loopback>' \
  --ignore-certificate-errors-spki-list={PIN}
`)
	add("Playwright (playwright.config.ts, or chromium.launch options)", `
// Playwright sends loopback through the proxy by itself, and gives every
// launch a profile of its own, so the pin is honoured
use: {
  launchOptions: {
    proxy: { server: '{PROXY}' },
    args: ['--ignore-certificate-errors-spki-list={PIN}'],
  },
},
`)
	add("Puppeteer", `
const browser = await puppeteer.launch({
  args: ['--proxy-server={PROXY}', '--proxy-bypass-list=<-loopback>',
         '--ignore-certificate-errors-spki-list={PIN}'],
});
`)
	add("Selenium / ChromeDriver (Python; the same arguments in every binding)", `
options = webdriver.ChromeOptions()
for arg in ["--proxy-server={PROXY}", "--proxy-bypass-list=<-loopback>",
            "--ignore-certificate-errors-spki-list={PIN}"]:
    options.add_argument(arg)
driver = webdriver.Chrome(options=options)
`)
	add("Cypress (its own proxy forwards to corsvcr; Node trusts the CA)", `
HTTP_PROXY={PROXY} HTTPS_PROXY={PROXY} NO_PROXY='<-loopback>' \
NODE_EXTRA_CA_CERTS={CERT} npx cypress run
`)
	add("Firefox (a separate profile: firefox -CreateProfile corsvcr, then -P corsvcr)", `
certutil -A -d sql:"$PROFILE" -n corsvcr -t C,, -i {CERT}
cat >> "$PROFILE/user.js" <<'EOF'
user_pref("network.proxy.type", 1);
user_pref("network.proxy.http", "{HOST}");
user_pref("network.proxy.http_port", {PORT});
user_pref("network.proxy.ssl", "{HOST}");
user_pref("network.proxy.ssl_port", {PORT});
user_pref("network.proxy.no_proxies_on", "");
user_pref("network.proxy.allow_hijacking_localhost", true);
EOF
# or, without certutil, in policies.json: {"policies": {"Certificates": {"Install": [{CERT_JSON}]}}}
`)
	add("Node (fetch and http; Node 24 or later reads the proxy from the environment)", `
NODE_EXTRA_CA_CERTS={CERT} NODE_USE_ENV_PROXY=1 \
HTTP_PROXY={PROXY} HTTPS_PROXY={PROXY} node app.js
`)
	add("curl", `
curl --proxy {PROXY} --cacert {CERT} https://api.example.com/
`)
	add("Go (net/http; http.ProxyFromEnvironment never proxies localhost, so name the proxy)", `
pem, _ := os.ReadFile({CERT_GO})
roots := x509.NewCertPool()
roots.AppendCertsFromPEM(pem)
proxy, _ := url.Parse("{PROXY}")
client := &http.Client{Transport: &http.Transport{
	Proxy:           http.ProxyURL(proxy),
	TLSClientConfig: &tls.Config{RootCAs: roots},
}}
`)
	return out
}

// shellSafe matches the words a POSIX shell reads as themselves.
var shellSafe = regexp.MustCompile(`^[A-Za-z0-9@%_+=:,./-]+$`)

// shellQuote returns s as one POSIX shell word: as is when that is safe,
// else in single quotes.
func shellQuote(s string) string {
	if shellSafe.MatchString(s) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// writeClientSetups prints setups as indented text.
func writeClientSetups(w io.Writer, setups []clientSetup) {
	for _, s := range setups {
		fmt.Fprintf(w, "\n  %s:\n", s.Client)
		for line := range strings.Lines(s.Snippet) {
			fmt.Fprint(w, "    ", line)
		}
	}
}
