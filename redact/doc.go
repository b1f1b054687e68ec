// Package redact keeps real secrets out of cassettes and check files.
//
// Redact replaces secret values in a cassette with stable placeholders
// (cassettes.RedactedPrefix + N) while keeping their presence, which CORS
// and replay matching depend on: an Authorization header keeps its scheme,
// a cookie its name and attributes, and Origin and Access-Control-* headers
// are never altered. Which query parameters, form, multipart and text
// fields, JSON fields and headers are secrets is decided by name:
// DefaultNames plus the caller's. Where a value has no name (a URL path
// segment, a token alone in a text body) it is decided by its form: JWTs,
// AWS access key IDs, Stripe, GitHub, Slack, Google and GitLab keys, and,
// as path segments, random-looking tokens.
//
// Scan then reports whatever still looks like a secret (bearer tokens,
// JWTs, AWS and other keys of known forms, passwords in URLs, random
// session cookies and path-segment tokens), naming the place, never the
// secret. Protect is the two together, the policy applied before anything
// is written: redact, scan, and refuse with a *SecretsError when a secret
// is left.
package redact
