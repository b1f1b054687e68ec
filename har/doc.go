// Package har turns traffic recorded elsewhere into cassettes and checks:
// HAR 1.2 (HTTP Archive) import and export, and checks derived from
// recorded requests.
//
// Import reads the HARs that Chrome DevTools, Firefox, Playwright's
// recordHar and mitmproxy write into a cassette, with a Report of what it
// kept, skipped and changed. Checks then readies the cassette for replay
// and writes one check per cross-origin request a page script made, the
// check file that reproduces the HAR in a browser. Export writes any
// cassette as a HAR for other tools.
//
// DeriveChecks makes checks from a cassette alone, one per cross-origin
// exchange, saying what it guessed (the credentials mode, the headers of
// a request that only a preflight shows); `corsvcr explain` uses it when
// no check file is given.
//
// A HAR holds no CORS verdict and often no preflights: the package never
// invents an answer, and the Report says what is missing. Errors name the
// file and the entry:
//
//	har: import "x.har": entry 3: request.url: missing
package har
