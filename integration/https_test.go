package integration

import (
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/corsvcr/corsvcr/browsercheck"
	"github.com/corsvcr/corsvcr/ca"
	"github.com/corsvcr/corsvcr/cassettes"
	"github.com/corsvcr/corsvcr/checks"
	"github.com/corsvcr/corsvcr/recorder"
	"github.com/corsvcr/corsvcr/replay"
	"github.com/corsvcr/corsvcr/vcr"
)

// httpsChecks run at https://app.example.com against https://api.example.net:
// real hostnames, which nothing resolves here, on different sites, so the
// credentialed requests are cross-site (SameSite=None; Secure cookies).
// Both are secure origins, so they behave as in production.
const httpsChecks = `version: 1
page: https://app.example.com
checks:
  - name: credentialed-get-allowed
    request: {url: "https://api.example.net/allowed", credentials: include}
    expect: {allowed: true, status: 200, preflight: false, readable_headers: [content-length, content-type, x-total], unreadable_headers: ["*"]}
  - name: credentialed-put-preflighted-allowed
    request:
      url: https://api.example.net/allowed
      method: PUT
      headers: {X-Token: t}
      body: '{"n":1}'
      credentials: include
    expect: {allowed: true, status: 200, preflight: true}
  - name: wildcard-with-credentials-blocked
    request: {url: "https://api.example.net/wildcard", credentials: include}
    expect: {allowed: false, cors_error: WildcardOriginNotAllowed, failed_parameter: ""}
  - name: missing-allow-credentials-blocked
    request: {url: "https://api.example.net/no-acac", credentials: include}
    expect: {allowed: false, cors_error: InvalidAllowCredentials, failed_parameter: ""}
  - name: secure-cookie-sent-back
    steps:
      - request: {url: "https://api.example.net/login", method: POST, body: ann, credentials: include}
        expect: {allowed: true, status: 204}
      - request: {url: "https://api.example.net/me", credentials: include}
        expect: {allowed: true, status: 200}
`

// httpsAPI is the API behind https://api.example.net.
func httpsAPI(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	const app = "https://app.example.com"
	switch r.URL.Path {
	case "/allowed":
		if r.Header.Get("Origin") == app {
			h.Set("Access-Control-Allow-Origin", app)
			h.Set("Access-Control-Allow-Credentials", "true")
			h.Set("Access-Control-Expose-Headers", "X-Total")
			h.Set("Vary", "Origin")
		}
		if r.Method == http.MethodOptions {
			h.Set("Access-Control-Allow-Methods", "GET, PUT")
			h.Set("Access-Control-Allow-Headers", "x-token")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		h.Set("X-Total", "1")
	case "/wildcard":
		h.Set("Access-Control-Allow-Origin", "*")
		h.Set("Access-Control-Allow-Credentials", "true")
	case "/no-acac":
		h.Set("Access-Control-Allow-Origin", app)
	case "/login", "/me":
		h.Set("Access-Control-Allow-Origin", app)
		h.Set("Access-Control-Allow-Credentials", "true")
		if r.URL.Path == "/login" {
			// Secure: stored only from a secure (https) origin.
			h.Set("Set-Cookie", "sid=s1; Path=/; Secure; HttpOnly; SameSite=None")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		if c, err := r.Cookie("sid"); err != nil || c.Value != "s1" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
	default:
		http.NotFound(w, r)
		return
	}
	h.Set("Content-Type", "application/json")
	fmt.Fprintf(w, `{"path":%q,"tls":%v}`, r.URL.Path, r.TLS != nil)
}

// startHTTPSAPI serves httpsAPI over TLS on loopback with a certificate for
// api.example.net from an authority of its own, which the recorder is told
// to trust (UpstreamRootCAs): not the corsvcr CA, and not skipped.
func startHTTPSAPI(t *testing.T) (addr string, upCA *ca.CA, stop func()) {
	t.Helper()
	return startTLSHandler(t, http.HandlerFunc(httpsAPI))
}

// startTLSHandler serves h over TLS on loopback with a certificate for the
// name each client asks for, from an authority of its own (upCA).
func startTLSHandler(t *testing.T, h http.Handler) (addr string, upCA *ca.CA, stop func()) {
	t.Helper()
	upCA, err := ca.New()
	require.NoError(t, err)
	srv := httptest.NewUnstartedServer(h)
	srv.TLS = &tls.Config{GetCertificate: func(hi *tls.ClientHelloInfo) (*tls.Certificate, error) {
		return upCA.Leaf(hi.ServerName)
	}}
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "https://"), upCA, srv.Close
}

// TestHTTPSRealHostnamesLiveEqualsReplay records credentialed HTTPS checks
// between two real hostnames live through the MITM recorder (the per-user
// CA from a temporary config directory, trusted by SPKI pin), fills a gap in
// record-missing mode, then replays offline over HTTPS and requires the
// same verdicts: allowed, and blocked by wildcard-with-credentials and by a
// missing Access-Control-Allow-Credentials.
func TestHTTPSRealHostnamesLiveEqualsReplay(t *testing.T) {
	file, err := checks.Parse("https-checks.yaml", []byte(httpsChecks))
	require.NoError(t, err)
	caDir := filepath.Join(t.TempDir(), "corsvcr")
	addr, upCA, stopAPI := startHTTPSAPI(t)
	r, err := vcr.New(vcr.Config{
		Upstreams:       map[string]string{"api.example.net": addr}, // HOST alone: :443 for https
		UpstreamRootCAs: upCA.Pool(),
		CADir:           caDir,
		Version:         "test",
	})
	require.NoError(t, err)

	// 1. Live, recorded.
	start := time.Now()
	rec, err := r.Record(testContext(t), file)
	require.NoError(t, err)
	live := verdicts(t, rec)
	t.Logf("recorded live over HTTPS in %s", time.Since(start).Round(time.Millisecond))
	for _, c := range file.Checks {
		assert.Empty(t, c.Mismatches(live[c.Name]), "live verdict of %q vs expectation", c.Name)
	}
	cas := rec.Cassette
	var got []string
	for _, in := range cas.Interactions {
		origin, _ := in.Request.Headers.Get("Origin")
		got = append(got, fmt.Sprintf("%s %s %s %d", in.Kind, in.Request.Method, in.Request.URL, in.Response.Status))
		assert.Equal(t, "https://app.example.com", origin, "the page is a secure https origin")
	}
	assert.Equal(t, []string{
		"actual GET https://api.example.net/allowed 200",
		"preflight OPTIONS https://api.example.net/allowed 204",
		"actual PUT https://api.example.net/allowed 200",
		"actual GET https://api.example.net/wildcard 200",
		"actual GET https://api.example.net/no-acac 200",
		"actual POST https://api.example.net/login 204",
		"actual GET https://api.example.net/me 200",
	}, got, "every exchange recorded (HTTP/1.1 toward Chrome), check pages not")
	data, err := cassettes.Encode(cas)
	require.NoError(t, err)
	assert.NotContains(t, string(data), "PRIVATE KEY")
	decoded, err := cassettes.Decode("https.yaml", data)
	require.NoError(t, err)

	// 2. Record-missing: the wildcard exchange dropped from the cassette is
	//    forwarded over HTTPS through a recorder and recorded again.
	partial := *decoded
	partial.Interactions = slices.DeleteFunc(slices.Clone(decoded.Interactions), func(in cassettes.Interaction) bool {
		return strings.HasSuffix(in.Request.URL, "/wildcard")
	})
	fill, err := r.Replay(testContext(t), file, vcr.Replay{Cassette: &partial, RecordMissing: true})
	require.NoError(t, err)
	filled := verdicts(t, fill)
	for _, res := range fill.Results {
		assert.Empty(t, res.Misses, "miss in record-missing mode")
	}
	require.Equal(t, 1, fill.Added)
	added := fill.Cassette.Interactions[len(partial.Interactions):]
	require.Len(t, added, 1)
	assert.Equal(t, "https://api.example.net/wildcard", added[0].Request.URL)
	assert.Len(t, partial.Interactions, len(decoded.Interactions)-1, "the replayed cassette is left alone")
	for _, c := range file.Checks {
		assert.Equal(t, live[c.Name], filled[c.Name], "record-missing verdict of %q vs live", c.Name)
	}

	// 3. Offline: the API is gone; strict replay over HTTPS.
	stopAPI()
	start = time.Now()
	replayed := replayChecks(t, file, decoded, vcr.Config{CADir: caDir})
	t.Logf("replayed offline over HTTPS in %s", time.Since(start).Round(time.Millisecond))
	for _, c := range file.Checks {
		assert.Equal(t, live[c.Name], replayed[c.Name], "replay verdict of %q vs live", c.Name)
	}
}

// TestHTTPSUntrustedWithoutPin shows that Chrome verifies the proxies'
// certificates: without the CA's SPKI pin the check page at the https
// origin does not load, through the recorder and through the replay alike.
// The pin, not a blanket ignore-certificate-errors, is what makes HTTPS work.
func TestHTTPSUntrustedWithoutPin(t *testing.T) {
	authority, err := ca.New()
	require.NoError(t, err)
	rec, err := recorder.Start(recorder.Config{Intercept: browsercheck.Intercept, CA: authority})
	require.NoError(t, err)
	defer rec.Close()
	srv, err := replay.NewServer(replay.Config{Cassette: &cassettes.Cassette{Version: cassettes.FormatVersion}, Intercept: browsercheck.Intercept}, "", replay.WithCA(authority))
	require.NoError(t, err)
	defer srv.Close()
	file, err := checks.Parse("https-checks.yaml", []byte(httpsChecks))
	require.NoError(t, err)
	c := file.Checks[0]
	tests := []struct {
		name  string
		proxy string
	}{
		{name: "recorder", proxy: rec.URL()},
		{name: "replay", proxy: srv.URL()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := testContext(t)
			b, err := browsercheck.New(ctx, browsercheck.Config{Proxy: tt.proxy})
			require.NoError(t, err)
			defer b.Close()
			_, err = b.Check(ctx, c)
			require.Error(t, err, "the check page loaded from an untrusted certificate")
			assert.Contains(t, err.Error(), "CERT")
		})
	}
	require.NoError(t, srv.Close())
	require.NoError(t, rec.Close())
	assert.Empty(t, rec.Interactions())
	var misses []string
	for _, e := range srv.Journal() {
		if e.Miss != nil {
			misses = append(misses, e.Miss.Error())
		}
	}
	require.NotEmpty(t, misses)
	assert.Contains(t, misses[0], "the client must trust the corsvcr CA")
}

// TestCLIHTTPS: `corsvcr ca` creates and shows the per-user CA (here in a
// temporary directory, never the real config directory); `corsvcr record`
// maps a real hostname to a loopback TLS server with --upstream HOST=ADDR
// and trusts its CA with --upstream-ca; `corsvcr check`, with the server
// stopped, replays over HTTPS with the same verdicts, finding the CA
// through $CORSVCR_CA_DIR.
func TestCLIHTTPS(t *testing.T) {
	dir := t.TempDir()
	caDir := filepath.Join(dir, "config", "corsvcr")

	type info struct {
		CertFile string `json:"cert_file"`
		KeyFile  string `json:"key_file"`
		SPKIPin  string `json:"spki_pin"`
		Created  bool   `json:"created"`
	}
	show := func() info {
		r := corsvcr(t, "ca", "--dir", caDir, "--json")
		require.Equal(t, 0, r.code, r.stdout+r.stderr)
		var i info
		require.NoError(t, json.Unmarshal([]byte(r.stdout), &i))
		return i
	}
	first := show()
	assert.True(t, first.Created)
	assert.Equal(t, filepath.Join(caDir, "ca.pem"), first.CertFile)
	st, err := os.Stat(first.KeyFile)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), st.Mode().Perm())
	again := show()
	assert.False(t, again.Created)
	assert.Equal(t, first.SPKIPin, again.SPKIPin)
	text := corsvcr(t, "ca", "--dir", caDir)
	require.Equal(t, 0, text.code)
	assert.Contains(t, text.stdout, "--ignore-certificate-errors-spki-list="+first.SPKIPin)
	assert.Contains(t, text.stdout, first.CertFile)

	checksPath := filepath.Join(dir, "checks.yaml")
	require.NoError(t, os.WriteFile(checksPath, []byte(httpsChecks), 0o644))
	cas := filepath.Join(dir, "https.yaml")
	addr, upCA, stopAPI := startHTTPSAPI(t)
	upPEM := filepath.Join(dir, "upstream-ca.pem")
	require.NoError(t, os.WriteFile(upPEM, upCA.CertPEM(), 0o644))

	rec := corsvcr(t, "record", "--checks", checksPath, "--cassette", cas, "--json", "--ca-dir", caDir,
		"--upstream", "api.example.net="+addr, "--upstream-ca", upPEM)
	stopAPI()
	require.Equal(t, 0, rec.code, "record: %s%s", rec.stdout, rec.stderr)
	live := parseReport(t, rec)
	data, err := os.ReadFile(cas)
	require.NoError(t, err)
	assert.Contains(t, string(data), "url: https://api.example.net/allowed")
	assert.NotContains(t, string(data), "PRIVATE KEY")

	cmd := exec.CommandContext(testContext(t), corsvcrBin, "check", "--checks", checksPath, "--cassette", cas, "--json", "--strict")
	cmd.Env = append(os.Environ(), "CORSVCR_CA_DIR="+caDir)
	var out, errOut strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errOut
	require.NoError(t, cmd.Run(), "check: %s%s", out.String(), errOut.String())
	replayed := parseReport(t, cliRun{stdout: out.String(), stderr: errOut.String()})
	require.Len(t, replayed.Checks, len(live.Checks))
	for i, c := range live.Checks {
		assert.Equal(t, c.Verdicts, replayed.Checks[i].Verdicts, "check %q", c.Name)
		assert.Empty(t, replayed.Checks[i].Misses)
	}

	t.Run("a CA key readable by others is refused", func(t *testing.T) {
		require.NoError(t, os.Chmod(first.KeyFile, 0o644))
		defer os.Chmod(first.KeyFile, 0o600)
		r := corsvcr(t, "check", "--checks", checksPath, "--cassette", cas, "--ca-dir", caDir)
		assert.Equal(t, 1, r.code, r.stdout+r.stderr)
		assert.Contains(t, r.stderr, fmt.Sprintf("ca: key file %q has mode 0644", first.KeyFile))
	})
}
