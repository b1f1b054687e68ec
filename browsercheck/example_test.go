package browsercheck_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"

	"github.com/corsvcr/corsvcr/browsercheck"
	"github.com/corsvcr/corsvcr/browsercheck/browserchecktest"
	"github.com/corsvcr/corsvcr/checks"
)

// An API that allows any origin, without credentials, checked from a page at
// http://localhost:8080 with credentials: Chrome blocks it.
func Example() {
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Access-Control-Allow-Origin", "*")
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"posts":[]}`)
	}))
	defer api.Close()
	// The proxy serves the check page at every origin and sends
	// localhost:8000 to the test server.
	proxy := browserchecktest.NewProxy(map[string]string{"localhost:8000": api.URL})
	defer proxy.Close()

	b, err := browsercheck.New(context.Background(), browsercheck.Config{Proxy: proxy.URL})
	if err != nil {
		log.Fatal(err)
	}
	defer b.Close()

	for _, creds := range []checks.Credentials{checks.CredentialsSameOrigin, checks.CredentialsInclude} {
		vs, err := b.Check(context.Background(), checks.Check{
			Name: "posts " + string(creds),
			Page: "http://localhost:8080",
			Steps: []checks.Step{{Request: checks.Request{
				URL:         "http://localhost:8000/api/posts",
				Credentials: creds,
			}}},
		})
		if err != nil {
			log.Fatal(err)
		}
		v := vs[0] // the verdict of the check's one step
		fmt.Printf("%s: allowed=%v status=%d cors_error=%q\n", creds, v.Allowed, v.Status, v.CorsError)
	}
	// Output:
	// same-origin: allowed=true status=200 cors_error=""
	// include: allowed=false status=0 cors_error="WildcardOriginNotAllowed"
}
