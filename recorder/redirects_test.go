package recorder

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/corsvcr/corsvcr/cassettes"
)

// hopHandler serves both ends of the redirect tests, by path:
//
//	/to/CODE      CODE to http://localhost:8002/final?x=1
//	/to-hop       302 to http://localhost:8002/hop
//	/hop          302 to the relative sub/../final2 (so /final2)
//	/to-loop      302 to http://localhost:8002/loop
//	/loop         302 to /loop
//	/to-secure    302 to https://secure.example.com/final#frag
//	anything else corsHandler
func hopHandler(w http.ResponseWriter, r *http.Request) {
	redirect := func(code int, loc string) {
		w.Header().Set("Access-Control-Allow-Origin", r.Header.Get("Origin"))
		w.Header().Set("Location", loc)
		w.WriteHeader(code)
	}
	switch p := r.URL.Path; {
	case strings.HasPrefix(p, "/to/"):
		code := map[string]int{"302": 302, "307": 307, "308": 308}[strings.TrimPrefix(p, "/to/")]
		redirect(code, "http://localhost:8002/final?x=1")
	case p == "/to-hop":
		redirect(http.StatusFound, "http://localhost:8002/hop")
	case p == "/hop":
		redirect(http.StatusFound, "sub/../final2")
	case p == "/to-loop":
		redirect(http.StatusFound, "http://localhost:8002/loop")
	case p == "/loop":
		redirect(http.StatusFound, "/loop")
	case p == "/to-secure":
		redirect(http.StatusFound, "https://secure.example.com/final#frag")
	default:
		corsHandler(w, r)
	}
}

// TestRedirectHopsRecorded: a recorded exchange's redirect is followed to a
// host Config.Hosts does not list, hop by hop (302, 307 with its body, 308,
// a relative Location, the preflight of the redirected request), loops end
// with the client, and other requests to that host stay unrecorded.
func TestRedirectHopsRecorded(t *testing.T) {
	t.Parallel()
	srv := upstream(t, hopHandler)
	rec := startRecorder(t, Config{
		Hosts:     []string{"localhost:8000"},
		Upstreams: map[string]string{"localhost:8000": authority(srv), "localhost:8002": authority(srv)},
	})
	client := proxyClient(t, rec)
	origin := []string{"Origin", "http://localhost:8080"}

	// Unrelated traffic to C before any redirect: not recorded.
	res, _ := do(t, client, http.MethodGet, "http://localhost:8002/final?x=1", nil, origin...)
	require.Equal(t, http.StatusOK, res.StatusCode)

	for _, code := range []string{"302", "307", "308"} {
		res, body := do(t, client, http.MethodGet, "http://localhost:8000/to/"+code, nil, origin...)
		require.Equal(t, http.StatusOK, res.StatusCode, code)
		assert.JSONEq(t, `{"ok":true}`, string(body))
	}
	res, _ = do(t, client, http.MethodPut, "http://localhost:8000/to/307", strings.NewReader("b"), origin...)
	require.Equal(t, http.StatusOK, res.StatusCode)
	// The preflight Chrome sends to the redirect target of a preflighted request.
	res, _ = do(t, client, http.MethodOptions, "http://localhost:8002/final?x=1", nil,
		"Origin", "null", "Access-Control-Request-Method", "PUT")
	require.Equal(t, http.StatusNoContent, res.StatusCode)
	res, _ = do(t, client, http.MethodGet, "http://localhost:8000/to-hop", nil, origin...)
	require.Equal(t, http.StatusOK, res.StatusCode)

	// Other URLs of C, after the redirects: still not recorded.
	for _, u := range []string{"http://localhost:8002/final?x=2", "http://localhost:8002/other", "http://localhost:8002/final"} {
		res, _ = do(t, client, http.MethodGet, u, nil, origin...)
		require.Equal(t, http.StatusOK, res.StatusCode, u)
	}

	// A loop ends where the client stops following.
	req, err := http.NewRequest(http.MethodGet, "http://localhost:8000/to-loop", nil)
	require.NoError(t, err)
	_, err = client.Do(req)
	require.ErrorContains(t, err, "stopped after 10 redirects")

	require.NoError(t, rec.Close())
	var got []string
	for _, in := range rec.Interactions() {
		got = append(got, in.Request.Method+" "+in.Request.URL+" "+string(in.Request.Body))
	}
	want := []string{
		"GET http://localhost:8000/to/302 ", "GET http://localhost:8002/final?x=1 ",
		"GET http://localhost:8000/to/307 ", "GET http://localhost:8002/final?x=1 ",
		"GET http://localhost:8000/to/308 ", "GET http://localhost:8002/final?x=1 ",
		"PUT http://localhost:8000/to/307 b", "PUT http://localhost:8002/final?x=1 b",
		"OPTIONS http://localhost:8002/final?x=1 ",
		"GET http://localhost:8000/to-hop ", "GET http://localhost:8002/hop ", "GET http://localhost:8002/final2 ",
		"GET http://localhost:8000/to-loop ",
	}
	for range 9 { // the client's 10th redirect is not sent
		want = append(want, "GET http://localhost:8002/loop ")
	}
	assert.Equal(t, want, got)
	assert.Empty(t, rec.Failures())
}

// TestRedirectHopHTTPS: a redirect from a recorded http host to an https
// host no one listed is recorded through the MITM, with its https URL.
func TestRedirectHopHTTPS(t *testing.T) {
	t.Parallel()
	plain := upstream(t, hopHandler)
	secure, upRoots := tlsUpstream(t, corsHandler)
	authCA := newCA(t)
	rec := startRecorder(t, Config{
		Hosts: []string{"localhost:8000"},
		Upstreams: map[string]string{
			"localhost:8000":     authority(plain),
			"secure.example.com": strings.TrimPrefix(secure.URL, "https://"),
		},
		CA:              authCA,
		UpstreamRootCAs: upRoots,
	})
	client := httpsClient(t, rec, authCA.Pool(), false)
	res, body := do(t, client, http.MethodGet, "http://localhost:8000/to-secure", nil, "Origin", "http://localhost:8080")
	require.Equal(t, http.StatusOK, res.StatusCode)
	assert.JSONEq(t, `{"ok":true}`, string(body))
	res, _ = do(t, client, http.MethodGet, "https://secure.example.com/other", nil)
	require.Equal(t, http.StatusOK, res.StatusCode)
	require.NoError(t, rec.Close())

	got := rec.Interactions()
	require.Len(t, got, 2, "the redirect and its hop, not the unrelated request")
	assert.Equal(t, "http://localhost:8000/to-secure", got[0].Request.URL)
	assert.Equal(t, "https://secure.example.com/final", got[1].Request.URL)
	assert.Equal(t, cassettes.KindActual, got[1].Kind)
	assert.Equal(t, `{"ok":true}`, string(got[1].Response.Body))
}
