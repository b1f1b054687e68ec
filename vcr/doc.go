// Package vcr is corsvcr's workflow as a library: it runs the checks of a
// check file in headless Chrome, live through the recording proxy or
// offline against the replay of a cassette, and returns one Result per
// check: Chrome's verdict, the expectations it broke, the replay misses it
// caused, and the predictor's note on why a request was blocked.
//
// Data flows one way:
//
//	checks ─▶ Runner.Record ─▶ cassette ─▶ Runner.Replay ─▶ verdicts
//	             (recorder)                    (replay)
//
// The corsvcr command, the integration tests and any Go program share this
// package; cmd/corsvcr only parses flags, prints and picks exit codes.
//
//	r, err := vcr.New(vcr.Config{})
//	if err != nil { … }
//	run, err := r.Replay(ctx, file, vcr.Replay{Cassette: cas})
//	if err != nil { … }          // the harness failed (no Chrome, …)
//	switch run.Outcome() { … }   // Pass, Mismatch, Miss or Error
//
// Runner.Proxy serves other browsers and clients (an end-to-end suite): a
// recording, replaying or record-missing forward proxy whose cassette is
// saved while it runs (Proxy.Close returns what it did).
//
// A blocked CORS request is a verdict, never an error: errors are for
// harness failures (Chrome did not start, a cassette is invalid).
package vcr
