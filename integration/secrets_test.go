package integration

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/corsvcr/corsvcr/cassettes"
	"github.com/corsvcr/corsvcr/checks"
	"github.com/corsvcr/corsvcr/redact"
	"github.com/corsvcr/corsvcr/vcr"
)

const (
	// secretsJWT is the bearer token the checks send.
	secretsJWT = "eyJhbGciOiJSUzI1NiIsImtpZCI6InNob3AtMSJ9.eyJzdWIiOiJ1c2VyLTciLCJzY29wZSI6ImNhcnQifQ.bW9jay1zaWduYXR1cmUtZm9yLWNvcnN2Y3ItdGVzdHM"
	// secretsSession is the session cookie the API sets.
	secretsSession = "s7Kd92LmQx4Vb8Rt1Nz6Hp3Wc0Ya5Ue"
)

// secretsChecks log in (the API sets a session cookie), then call an API
// with the cookie and a bearer token; a third check is refused for sending
// credentials to a wildcard.
var secretsChecks = fmt.Sprintf(`version: 1
page: http://localhost:5173
checks:
  - name: login-then-me
    steps:
      - request: {url: "http://localhost:9200/login", method: POST, credentials: include}
      - request:
          url: http://localhost:9200/me
          headers: {Authorization: "Bearer %s"}
          credentials: include
        expect: {allowed: true, status: 200, preflight: true}
  - name: wildcard-with-credentials
    request: {url: "http://localhost:9200/wild", credentials: include}
    expect: {allowed: false, cors_error: WildcardOriginNotAllowed}
`, secretsJWT)

// leakChecks read a response that carries a JWT under a name no redaction
// rule knows.
const leakChecks = `version: 1
page: http://localhost:5173
checks:
  - name: leak
    request: {url: "http://localhost:9200/leak"}
`

// secretsAPI answers the checks above. /me answers 401 without the session
// cookie, so a verdict tells whether the cookie was sent.
func secretsAPI() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h["Date"] = nil
		if o := r.Header.Get("Origin"); o == "http://localhost:5173" && r.URL.Path != "/wild" {
			h.Set("Access-Control-Allow-Origin", o)
			h.Set("Access-Control-Allow-Credentials", "true")
			h.Set("Vary", "Origin")
		}
		if r.Method == http.MethodOptions {
			h.Set("Access-Control-Allow-Methods", "GET, POST")
			h.Set("Access-Control-Allow-Headers", "Authorization")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		h.Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/login":
			h.Add("Set-Cookie", "session="+secretsSession+"; Path=/; HttpOnly; SameSite=Lax")
			fmt.Fprintf(w, `{"user":"user-7","access_token":%q}`, secretsJWT)
		case "/me":
			c, err := r.Cookie("session")
			if err != nil || c.Value != secretsSession || r.Header.Get("Authorization") != "Bearer "+secretsJWT {
				w.WriteHeader(http.StatusUnauthorized)
				fmt.Fprint(w, `{"error":"no session"}`)
				return
			}
			fmt.Fprint(w, `{"user":"user-7"}`)
		case "/wild":
			h.Set("Access-Control-Allow-Origin", "*")
			fmt.Fprint(w, `{"public":true}`)
		case "/leak":
			fmt.Fprintf(w, `{"note":%q}`, secretsJWT)
		default:
			http.NotFound(w, r)
		}
	})
}

// TestSecretsRedactedOnRecord: a cassette recorded with an Authorization:
// Bearer header and a session cookie holds neither secret, keeps their
// presence, and replays offline to the same verdicts.
func TestSecretsRedactedOnRecord(t *testing.T) {
	dir := t.TempDir()
	chk := filepath.Join(dir, "checks.yaml")
	require.NoError(t, os.WriteFile(chk, []byte(secretsChecks), 0o644))
	cas := filepath.Join(dir, "cassette.yaml")
	addr, stop := harServe(t, secretsAPI())

	rec := corsvcr(t, "record", "--checks", chk, "--cassette", cas, "--json", "--upstream", "localhost:9200="+addr)
	stop()
	require.Equal(t, 0, rec.code, "record: %s%s", rec.stdout, rec.stderr)
	live := verdictsByName(t, rec)
	require.Equal(t, 200, live["login-then-me"].Last().Status, "the cookie and the token reached the API")

	data, err := os.ReadFile(cas)
	require.NoError(t, err)
	text := string(data)
	assert.NotContains(t, text, secretsJWT)
	assert.NotContains(t, text, secretsSession)
	assert.Empty(t, redact.Scan(mustLoad(t, cas)))
	// Presence kept, values replaced; the session has one placeholder in
	// Set-Cookie and in the Cookie sent back.
	assert.Contains(t, text, "{name: Authorization, value: Bearer "+cassettes.RedactedPrefix)
	setCookie := between(t, text, "{name: Set-Cookie, value: session=", ";")
	assert.True(t, strings.HasPrefix(setCookie, cassettes.RedactedPrefix), setCookie)
	assert.Contains(t, text, "; Path=/; HttpOnly; SameSite=Lax}", "Set-Cookie attributes kept")
	assert.Contains(t, text, "{name: Cookie, value: session="+setCookie+"}")
	assert.Contains(t, text, `"access_token":"`+cassettes.RedactedPrefix)
	assert.Contains(t, text, `{name: Origin, value: "http://localhost:5173"}`, "Origin never altered")

	off := corsvcr(t, "check", "--checks", chk, "--cassette", cas, "--json")
	require.Equal(t, 0, off.code, "offline: %s%s", off.stdout, off.stderr)
	assert.Equal(t, live, verdictsByName(t, off), "offline verdicts equal live ones")
}

// TestSecretsScannerBlocksPlantedJWT: a JWT under a name no redaction rule
// knows stops the save, naming where it is; --redact-names or
// --keep-secrets (with a warning) let it through.
func TestSecretsScannerBlocksPlantedJWT(t *testing.T) {
	dir := t.TempDir()
	chk := filepath.Join(dir, "checks.yaml")
	require.NoError(t, os.WriteFile(chk, []byte(leakChecks), 0o644))
	addr, _ := harServe(t, secretsAPI())
	up := "localhost:9200=" + addr

	cas := filepath.Join(dir, "blocked.yaml")
	r := corsvcr(t, "record", "--checks", chk, "--cassette", cas, "--upstream", up)
	assert.Equal(t, 1, r.code, r.stdout+r.stderr)
	assert.Contains(t, r.stderr, `refusing to write "`+cas+`": it still holds what looks like secrets`)
	assert.Contains(t, r.stderr, "interaction 0 response body $.note: JWT")
	assert.NotContains(t, r.stderr, secretsJWT, "the finding never prints the secret")
	assert.NoFileExists(t, cas)

	named := filepath.Join(dir, "named.yaml")
	r = corsvcr(t, "record", "--checks", chk, "--cassette", named, "--upstream", up, "--redact-names", "note")
	require.Equal(t, 0, r.code, r.stdout+r.stderr)
	data, err := os.ReadFile(named)
	require.NoError(t, err)
	assert.NotContains(t, string(data), secretsJWT)

	kept := filepath.Join(dir, "kept.yaml")
	r = corsvcr(t, "record", "--checks", chk, "--cassette", kept, "--upstream", up, "--keep-secrets")
	require.Equal(t, 0, r.code, r.stdout+r.stderr)
	assert.Contains(t, r.stderr, "--keep-secrets: writing secrets as recorded")
	data, err = os.ReadFile(kept)
	require.NoError(t, err)
	assert.Contains(t, string(data), secretsJWT)
}

func mustLoad(t *testing.T, path string) *cassettes.Cassette {
	t.Helper()
	c, err := cassettes.Load(path)
	require.NoError(t, err)
	return c
}

// between returns the text of s between the first start and the next end.
func between(t *testing.T, s, start, end string) string {
	t.Helper()
	_, rest, ok := strings.Cut(s, start)
	require.True(t, ok, "no %q in:\n%s", start, s)
	v, _, ok := strings.Cut(rest, end)
	require.True(t, ok, "no %q after %q", end, start)
	return v
}

// Secrets of a form login: the password and API key the page posts, and
// the access token the login's redirect carries in its Location.
const (
	formPassword = "hunter2-Quantum"
	formAPIKey   = "sk_live_51HqLyjWDarjtT1zdp7dcXa9"
)

// formLoginChecks post a form login that answers 303 to a URL carrying an
// access token, which fetch follows; a wrong password is refused.
var formLoginChecks = fmt.Sprintf(`version: 1
page: http://localhost:5173
checks:
  - name: form-login-redirect
    request:
      url: http://localhost:9200/login
      method: POST
      headers: {Content-Type: application/x-www-form-urlencoded}
      body: "username=bob&password=%s&api_key=%s"
    expect: {allowed: true, status: 200}
  - name: form-login-wrong-password
    request:
      url: http://localhost:9200/login
      method: POST
      headers: {Content-Type: application/x-www-form-urlencoded}
      body: "username=bob&password=nope&api_key=%s"
    expect: {allowed: true, status: 401}
`, formPassword, formAPIKey, formAPIKey)

// formLoginAPI checks the form and redirects to /welcome with the access
// token, which answers 200 only with that token.
func formLoginAPI() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h["Date"] = nil
		h.Set("Access-Control-Allow-Origin", "http://localhost:5173")
		h.Set("Vary", "Origin")
		h.Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/login":
			if r.PostFormValue("password") != formPassword || r.PostFormValue("api_key") != formAPIKey {
				w.WriteHeader(http.StatusUnauthorized)
				fmt.Fprint(w, `{"error":"bad credentials"}`)
				return
			}
			h.Set("Location", "http://localhost:9200/welcome?access_token="+secretsJWT+"&state=s1")
			w.WriteHeader(http.StatusSeeOther)
		case "/welcome":
			if r.URL.Query().Get("access_token") != secretsJWT {
				w.WriteHeader(http.StatusUnauthorized)
				return
			}
			fmt.Fprint(w, `{"user":"bob"}`)
		default:
			http.NotFound(w, r)
		}
	})
}

// TestSecretsFormLoginRedirect: a form login posting a password and an
// API key, answered by a redirect whose Location carries an access token,
// is recorded in real Chrome and saved (vcr.Save) with none of the three
// secrets in the file; the Location and the next hop's URL share one
// placeholder; and a strict offline replay gives the live verdicts with no
// miss.
func TestSecretsFormLoginRedirect(t *testing.T) {
	file, err := checks.Parse("form-login.yaml", []byte(formLoginChecks))
	require.NoError(t, err)
	live, cas := recordChecks(t, file, vcr.Config{Upstreams: serveLoopback(t, formLoginAPI(), file.Hosts())})
	require.Equal(t, 200, live["form-login-redirect"].Last().Status, "the login and the token reached the API")
	require.Equal(t, 401, live["form-login-wrong-password"].Last().Status)

	path := filepath.Join(t.TempDir(), "cassette.yaml")
	require.NoError(t, vcr.Save(path, cas, vcr.SaveOptions{}))
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	text := string(data)
	for _, secret := range []string{formPassword, formAPIKey, secretsJWT} {
		assert.NotContains(t, text, secret)
	}
	saved := mustLoad(t, path)
	assert.Empty(t, redact.Scan(saved))
	var loc, hop string
	for _, it := range saved.Interactions {
		if v, ok := it.Response.Headers.Get("Location"); ok {
			loc = v
		}
		if strings.Contains(it.Request.URL, "/welcome") {
			hop = it.Request.URL
		}
	}
	assert.Contains(t, loc, "access_token="+cassettes.RedactedPrefix)
	assert.Equal(t, loc, hop, "the Location and the next hop share the placeholder")
	assert.Contains(t, text, "password="+cassettes.RedactedPrefix, "the form keeps its fields")

	replayed := replayChecks(t, file, saved, vcr.Config{})
	assert.Equal(t, live, replayed, "offline verdicts equal live ones")
}
