// Package fetch is the one home of the facts of the Fetch standard
// (https://fetch.spec.whatwg.org/), of HTTP (RFC 9110, RFC 9112), of the URL
// standard (https://url.spec.whatwg.org/) and of Chrome that corsvcr relies
// on: the token grammar, hop-by-hop and connection-level headers, forbidden
// and CORS-safelisted request headers, methods and content types,
// CORS-safelisted response headers, default ports, origin serialisation and
// the path under which corsvcr serves its check pages.
//
// Every fact cites the section or the Chromium function it comes from. The
// checks, browsercheck, predict, cassettes, recorder and replay packages
// all ask this package instead of keeping copies: a drifted copy makes the
// predictor disagree with the browser, or the recorder keep a header the
// replayer drops.
//
// Header names are compared ASCII case-insensitively (header names are
// tokens, which are ASCII). The functions allocate nothing unless they say
// so: the recorder and the replayer call them per exchange.
package fetch

// CheckPagePrefix is the reserved path under which corsvcr serves its check
// pages at any origin (browsercheck.Intercept serves it; recorders and
// replayers let it through to it).
const CheckPagePrefix = "/__corsvcr__/"

// CheckPagePath is the path of the check page below a check's page origin:
// the page whose script makes a check's requests, and so the base URL
// against which a relative request URL resolves.
const CheckPagePath = CheckPagePrefix + "page"
