package har_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/corsvcr/corsvcr/cassettes"
	"github.com/corsvcr/corsvcr/checks"
	"github.com/corsvcr/corsvcr/har"
	"github.com/corsvcr/corsvcr/redact"
)

// Secrets of issue 9 as a HAR holds them.
const (
	harPassword = "hunter2-Quantum"
	harAPIKey   = "sk_live_51HqLyjWDarjtT1zdp7dcXa9"
	harJWT      = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"
	harUserPw   = "pw-of-bob-9"
)

type nv = map[string]string

// harEntry is a HAR entry of a fetch from http://app.test; status 0 makes
// an entry without response, as for a request the browser blocked.
func harEntry(method, url string, reqHeaders []nv, postData map[string]any, status int, respHeaders []nv, body string) map[string]any {
	e := map[string]any{
		"_resourceType":   "fetch",
		"startedDateTime": "2026-03-02T09:14:03.120Z",
		"request": map[string]any{
			"method": method, "url": url, "httpVersion": "HTTP/1.1",
			"headers": append([]nv{{"name": "Origin", "value": "http://app.test"}}, reqHeaders...),
		},
		"response": map[string]any{
			"status": status, "httpVersion": "HTTP/1.1",
			"headers": append([]nv{{"name": "Access-Control-Allow-Origin", "value": "http://app.test"}}, respHeaders...),
			"content": map[string]any{"size": len(body), "mimeType": "application/json", "text": body},
		},
	}
	if status == 0 {
		e["response"] = map[string]any{"status": -1, "headers": []nv{}, "content": map[string]any{}, "_failureText": "net::ERR_FAILED"}
	}
	if postData != nil {
		e["request"].(map[string]any)["postData"] = postData
	}
	return e
}

// importAndProtect does what `corsvcr import --checks` does: import,
// ready the checks, redact the cassette and the checks' extra requests
// together (refusing on a finding), then write the check file.
func importAndProtect(t *testing.T, entries ...map[string]any) (*cassettes.Cassette, har.Report, *checks.File, string, string) {
	t.Helper()
	data, err := json.Marshal(map[string]any{"log": map[string]any{
		"version": "1.2", "creator": map[string]any{"name": "test", "version": "1"}, "entries": entries}})
	require.NoError(t, err)
	cas, rep, err := har.Import("login.har", data)
	require.NoError(t, err)
	set := har.Checks(cas, rep)
	_, err = redact.Protect("cassette.yaml", cas, redact.Options{Extra: set.Extra})
	require.NoError(t, err, "nothing left for the scanner")
	f := set.File(nil)
	casYAML, err := cassettes.Encode(cas)
	require.NoError(t, err)
	fileYAML, err := checks.Encode(f)
	require.NoError(t, err)
	return cas, rep, f, string(casYAML), string(fileYAML)
}

// TestImportSecrets: a HAR of a form login, a redirect whose Location
// carries an access token, and URLs with user:password@ gives a cassette
// and a check file that hold none of the secrets, with the same
// placeholder wherever one secret was, so the checks replay the cassette.
func TestImportSecrets(t *testing.T) {
	t.Parallel()
	form := "username=bob&password=" + harPassword + "&api_key=" + harAPIKey
	formHeaders := []nv{{"name": "Content-Type", "value": "application/x-www-form-urlencoded"}}
	cas, rep, f, casYAML, fileYAML := importAndProtect(t,
		// The login answers with a redirect to a URL that carries the token.
		harEntry("POST", "http://api.test/login", formHeaders,
			map[string]any{"mimeType": "application/x-www-form-urlencoded", "text": form},
			302, []nv{{"name": "Location", "value": "http://api.test/welcome?access_token=" + harJWT}}, ""),
		harEntry("GET", "http://api.test/welcome?access_token="+harJWT, nil, nil,
			200, []nv{{"name": "Content-Type", "value": "application/json"}}, `{"user":"bob"}`),
		// An XHR to a URL with user:password@.
		harEntry("GET", "http://bob:"+harUserPw+"@api.test/private/items?page=1", nil, nil,
			200, []nv{{"name": "Content-Type", "value": "application/json"}}, `[]`),
		// The same login, blocked: its check is written from an extra request.
		harEntry("POST", "http://bob:"+harUserPw+"@api.test/login", formHeaders,
			map[string]any{"mimeType": "application/x-www-form-urlencoded",
				"params": []nv{{"name": "username", "value": "bob"}, {"name": "password", "value": harPassword}, {"name": "api_key", "value": harAPIKey}}},
			0, nil, ""),
	)

	for _, secret := range []string{harPassword, harAPIKey, harJWT, harUserPw, "bob:", "bob@"} {
		assert.NotContains(t, casYAML, secret, "cassette")
		assert.NotContains(t, fileYAML, secret, "check file")
		for _, c := range f.Checks {
			assert.NotContains(t, c.Name, secret, "check name")
		}
	}
	for _, q := range rep.Requests {
		assert.NotContains(t, q.Request.URL, harUserPw, "report")
	}
	assert.Contains(t, strings.Join(rep.Notes, "\n"), "entry 2: request URL: user:password@ dropped")

	// One placeholder a secret: the check sends what the cassette holds.
	login := cas.Interactions[0].Request
	pw, key := cassettes.RedactedPrefix+"1", cassettes.RedactedPrefix+"2"
	assert.Equal(t, "username=bob&password="+pw+"&api_key="+key, string(login.Body))
	require.Len(t, f.Checks, 4)
	assert.Equal(t, string(login.Body), f.Checks[0].Steps[0].Request.Body, "the answered login's check")
	// (rebuilt from postData.params, which url.Values sorts)
	assert.Equal(t, "api_key="+key+"&password="+pw+"&username=bob", f.Checks[3].Steps[0].Request.Body, "the blocked login's check")
	// The redirect and the next hop: one placeholder, so replay follows it.
	loc, _ := cas.Interactions[0].Response.Headers.Get("Location")
	tok := cassettes.RedactedPrefix + "3"
	assert.Equal(t, "http://api.test/welcome?access_token="+tok, loc)
	assert.Equal(t, loc, cas.Interactions[1].Request.URL)
	assert.Equal(t, loc, f.Checks[1].Steps[0].Request.URL)
	// user:password@ is gone from the URL, the check URL and its name.
	assert.Equal(t, "http://api.test/private/items?page=1", cas.Interactions[2].Request.URL)
	assert.Equal(t, "http://api.test/private/items?page=1", f.Checks[2].Steps[0].Request.URL)
	assert.Equal(t, "GET api.test/private/items", f.Checks[2].Name)
	assert.Equal(t, "POST api.test/login (2)", f.Checks[3].Name)
	assert.Equal(t, "http://api.test/login", f.Checks[3].Steps[0].Request.URL)
}

// TestImportDropsURLCredentials: user:password@ is dropped on import
// itself, secrets kept or not: the browser never sends it.
func TestImportDropsURLCredentials(t *testing.T) {
	t.Parallel()
	data, err := json.Marshal(map[string]any{"log": map[string]any{
		"version": "1.2", "creator": map[string]any{"name": "test", "version": "1"}, "entries": []any{
			harEntry("GET", "http://bob:"+harUserPw+"@api.test/x", nil, nil, 200, nil, ""),
			harEntry("GET", "ftp://bob:"+harUserPw+"@files.test/x", nil, nil, 200, nil, ""),
		}}})
	require.NoError(t, err)
	cas, rep, err := har.Import("x.har", data)
	require.NoError(t, err)
	require.Len(t, cas.Interactions, 1)
	assert.Equal(t, "http://api.test/x", cas.Interactions[0].Request.URL)
	require.Len(t, rep.Skipped, 1)
	assert.NotContains(t, rep.Skipped[0].URL, harUserPw)
	f := har.Checks(cas, rep).File(nil)
	require.Len(t, f.Checks, 1)
	assert.Equal(t, "GET api.test/x", f.Checks[0].Name)
}
