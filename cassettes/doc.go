// Package cassettes defines the corsvcr cassette format: a YAML file holding
// recorded HTTP exchanges, preflights and actual CORS requests alike, with
// every header kept byte for byte and in order.
//
// A cassette is reviewed in pull requests like code, so its encoding is
// canonical: the same traffic always encodes to the same bytes (no
// timestamps, no map iteration order), and Encode(Decode(b)) == b for every
// file Encode wrote.
//
// The package is the format only: types, decode and encode, validation, and
// atomic load and save. HAR import and export live in package har, secret
// redaction and scanning in package redact. It depends only on the standard
// library and a YAML library; it is the leaf that recorder, replay and the
// CLI meet through.
//
// # Format, version 1
//
//	version: 1
//	meta:
//	  corsvcr: "0.1.0"
//	  browser: Chromium 156.0.8078.79
//	interactions:
//	  - kind: preflight
//	    request:
//	      method: OPTIONS
//	      url: http://localhost:8000/api/v1/stats
//	      headers:
//	        - {name: Origin, value: "http://localhost:8080"}
//	        - {name: Access-Control-Request-Method, value: POST}
//	    response:
//	      status: 204
//	      headers:
//	        - {name: Access-Control-Allow-Origin, value: "http://localhost:8080"}
//	        - {name: Access-Control-Allow-Origin, value: "*"}
//	  - kind: actual
//	    request:
//	      method: POST
//	      url: http://localhost:8000/api/v1/stats
//	      headers:
//	        - {name: Origin, value: "http://localhost:8080"}
//	        - {name: Content-Type, value: application/json}
//	      body: '{"metric":"latency"}'
//	    response:
//	      status: 200
//	      headers:
//	        - {name: Content-Encoding, value: gzip}
//	      body:
//	        base64: H4sIAAAAAAACA6tWys9WsiopKk2tBQCQX9SnCwAAAA==
//	  - kind: other
//	    request:
//	      method: GET
//	      url: http://localhost:8080/
//	    response:
//	      status: 200
//	      body: |
//	        <!doctype html>
//	        <title>Demo</title>
//
// The top level holds version (required, an integer), meta (optional) and
// interactions, in recording order. Each interaction has a kind (preflight,
// actual or other; it must agree with [Classify] of its request), a request
// and a response. Headers are a list of name/value pairs in wire order,
// original case, duplicates kept. Empty headers, bodies and meta fields are
// left out.
//
// A body that is valid UTF-8 text (printable characters, tabs and line
// breaks) is written inline, as a literal block (|) when it has several
// lines and a block can hold it exactly, else as a quoted string; any other
// body goes base64 under an explicit base64 key. Strings are written plain
// only when no YAML parser can read them as anything else (so "yes", "null",
// "123" and "0.1.0" are quoted); strings that are not valid UTF-8 are
// written as !!binary base64. Comments are not kept.
//
// Decode reads scalars as written (value: null is the string "null"),
// refuses unknown keys, anchors and aliases, and reports every problem of a
// file at once, each as a [*FieldError] naming the file, interaction, line
// and field:
//
//	cassettes: load "x.yaml": interaction 3 (line 42): request.headers[1] "Origin": value contains "\n"
//
// A cassette written by a newer format version gives a [*VersionError].
package cassettes
