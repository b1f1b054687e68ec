package corsvcrtest_test

import (
	"context"
	"fmt"

	"github.com/corsvcr/corsvcr/corsvcrtest"
	"github.com/corsvcr/corsvcr/vcr"
)

// Replaying a cassette in the shared headless Chrome without a testing.T:
// Chrome's verdict on each check. In a test, Run does this and makes each
// check a subtest.
func ExampleResults() {
	run, err := corsvcrtest.Results(context.Background(), "testdata/cors-checks.yaml", "testdata/cors.yaml",
		corsvcrtest.Options{Mode: corsvcrtest.ModeReplay})
	if err != nil {
		fmt.Println(err) // no browser, a bad file: not a CORS verdict
		return
	}
	for _, res := range run.Results {
		v := res.Verdicts.Last()
		fmt.Printf("%s: %s (passed: %t)\n", res.Name, vcr.Summary(&v), res.Passed())
	}
	// Output:
	// list-products: allowed 200 (passed: true)
	// cart-with-cookies: blocked WildcardOriginNotAllowed (passed: true)
	// place-order: allowed 201, preflight (passed: true)
}

// The message of a failing check, as Run reports it in the check's
// subtest: the expectations Chrome's verdict broke, (-want +got), then
// Chrome's verdict and console line.
func ExampleFailure() {
	run, err := corsvcrtest.Results(context.Background(), "testdata/failing-checks.yaml", "testdata/cors.yaml",
		corsvcrtest.Options{Mode: corsvcrtest.ModeReplay})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(corsvcrtest.Failure(run.Results[0]))
	// Output:
	// check "cart-with-cookies": Chrome's verdict breaks the expectation (-want +got):
	//   -allowed: true
	//   +allowed: false
	//   -status: 200
	//   +status: 0
	// verdict: blocked WildcardOriginNotAllowed
	// console: Access to fetch at 'http://localhost:8000/cart' from origin 'http://localhost:8080' has been blocked by CORS policy: The value of the 'Access-Control-Allow-Origin' header in the response must not be the wildcard '*' when the request's credentials mode is 'include'.
	// why: CORS check of the response (Fetch §4.9, cors.cc CheckAccess): Access-Control-Allow-Origin is '*' but the request's credentials mode is 'include'
}
