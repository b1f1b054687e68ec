// Package replay serves recorded exchanges from a cassette, offline, so that a
// browser's CORS verdict against the replay equals its verdict against the
// server that was recorded.
//
// A Replayer is an http.Handler. It is meant to be a browser's HTTP proxy
// (Chrome's --proxy-server): requests then arrive in absolute form
// ("GET http://localhost:8000/api HTTP/1.1"), so every recorded origin —
// scheme, host and port — is reproduced exactly and no recorded port has to
// be free. It also accepts direct, origin-form requests ("GET /api") from
// non-browser clients; Config.Host then names the assumed authority, or, when
// empty, the request matches on path and query against any recorded host.
// NewServer runs a Replayer on a loopback port.
//
// # Match key
//
// A request matches a recorded interaction when these fields are equal, and
// only these:
//
//  1. method, exactly (case-sensitive: "patch" and "PATCH" differ);
//  2. URL: scheme and host compared case-insensitively, default ports
//     removed (":80" for http, ":443" for https), an empty path read as "/",
//     then the escaped path and the raw query string compared exactly ("?"
//     with an empty query differs from no "?"); the fragment is ignored;
//  3. Origin: the first Origin value, exactly; a request without Origin
//     differs from one with any Origin, even "null" or "";
//  4. Access-Control-Request-Method: the first value, exactly, or absent;
//  5. Access-Control-Request-Headers: every value, split on commas, tokens
//     trimmed and lower-cased, compared as a set (order and duplicates do not
//     matter; an absent header equals an empty one);
//  6. credentials: whether the request carries a Cookie or an Authorization
//     header (presence only, never the value).
//
// Everything else is outside the key: User-Agent, sec-ch-ua*, Sec-Fetch-*,
// Accept-Encoding, Referer, bodies and the rest. Header names are compared
// ASCII case-insensitively.
//
// # Requests that share a key
//
// Among the interactions recorded with one key, a request gets the answer
// of one whose script part equals its own. The script part is what the
// page script decided and the server may answer differently: the
// script-set headers (internal/fetch IsScriptRequestHeader, the rule check
// derivation uses too: Content-Type, Range, Authorization, custom headers,
// Accept other than "*/*"; never the browser's own such as User-Agent,
// sec-*, Accept-Encoding, Accept-Language, Referer, Origin, Cookie,
// Priority, Content-Length, Host, or the Cache-Control and Pragma values a
// cache mode adds), names compared case-insensitively, values exactly and,
// for one name, in order; and the body, byte for byte. A redaction
// placeholder (cassettes.RedactedPrefix and digits) in a recorded value or
// body matches any text, so a redacted cassette still replays.
//
// The recorded interactions of a key with equal script parts form a
// variant, and each variant counts its uses: the n-th request matching a
// variant gets its n-th recorded answer, whatever came before, so every
// request gets its own answer in any order and alone. Once a variant's
// answers are used up its last one repeats, unless Config.Strict makes the
// next request a miss (field "use count"). A request matching more than one
// variant (only placeholders allow that) takes the first, in recorded
// order, with an answer left.
//
// A request whose script part matches no variant gets, by default, the
// answer of the closest variant, ranked by script-set headers equal, then
// body equal, then recorded order; it is the answer the next request
// matching that variant gets, and it is not used up. With Config.Strict
// such a request is a miss naming that interaction and the first differing
// script-set header (e.g. "Range") or "body", since the server could have
// answered it differently.
//
// Cost: when every interaction of a key has one script part and
// Config.Strict is off, the request's script part is never computed nor its
// body read (the common case costs no allocation). Otherwise ServeHTTP
// reads the body, up to MaxBodyCompare bytes (a longer body matches no
// recorded body), and puts it back for Config.Forward; variants are found
// by a hash of the script part, so matching does not grow with the number
// of requests. Counts are kept per variant; origin-form requests matched
// without Config.Host count separately from absolute-form ones. A Session
// chooses with the same code and its own counts.
//
// # Misses
//
// A miss must never look like a CORS verdict. It is journaled (Journal, Entry
// with Miss set), counted (Stats) and grouped (MissGroups), and answered with status 599, a one-line reason in
// X-Corsvcr-Miss and a plain-text body naming the closest recorded
// interaction. The miss response echoes the request's Origin with
// credentials allowed and exposes X-Corsvcr-Miss, so the page can read it. A
// missed preflight gets a permissive 204 (the requested method and headers
// allowed, Max-Age 0) so that the browser goes on to send the actual request
// and the developer sees its 599 instead of a CORS failure the server never
// produced. With Config.Forward set, misses go to the live server instead.
//
// The closest recorded interaction a miss names (MissError.Closest) is
// searched for at a bounded cost, so that a miss costs about the same in a
// cassette of a million interactions as in one of a thousand: among the
// interactions recorded for the request's path (any method, host or
// query; the first 1024 of them) and the first 1024 of the cassette. In a
// cassette of at most 1024 interactions that is every one of them; in a
// larger one an interaction outside both sets is never named, even if it
// ranks better.
//
// # Journal
//
// A Replayer remembers what it served in memory that does not grow with
// the number of requests: a hit costs one atomic count for the interaction
// that answered (Uses, Stats) and keeps nothing of the request; the
// requests the cassette did not answer (misses, forwarded requests) are
// kept in full in the journal up to Config.JournalLimit, the first ones,
// and counted after it; misses are also grouped by method, URL and
// differing field (MissGroups, at most 1024 groups, the misses of further
// ones counted). Mark and Since give the entries recorded after a point, at
// the cost of what they return.
//
// Besides the cassette, which it reads and never copies, a Replayer's
// index costs about 300 bytes per interaction with Config.Host set (about
// 470 without it, which adds an index of hostless keys), in a few large objects with
// few pointers (match keys encoded in one array, a hash table of them,
// equal response header values and field lists stored once), so that a
// large cassette neither slows the garbage collector down much nor makes
// a hit touch more than a few cache lines: a 100k-interaction cassette
// serves random requests within 10 % of a 10-interaction one
// (BenchmarkServeManyInteractions).
//
// # Faithfulness
//
// Status, header names with their case, duplicate header lines and their
// relative order, every Access-Control-* and Vary value, and the raw body
// bytes (a gzip body stays gzip) are served as recorded, except that a
// recorded Date header carries the time of serving, as a live server's
// does (the recorder stores a fixed Date so re-recording gives no diff).
// No Date and no sniffed Content-Type are added; Content-Length is taken from the recording
// or, when absent, from the body. Known limits of serving through net/http,
// none of which affect a CORS verdict:
//
//   - lines with different names are written sorted by name, not in
//     recorded order (net/http sorts header keys);
//   - lines of one name recorded in different case that sorting would
//     reorder (say "vary: Origin" then "Vary: Accept-Encoding") are written
//     together in the first line's case, so their values keep the recorded
//     order: the order Chrome joins them in, and a CORS error quotes;
//   - Content-Length is written with that canonical case, because net/http
//     frames the body only from that exact key;
//   - Transfer-Encoding is not replayed (the body is sent with a length);
//   - leading and trailing blanks in header values are trimmed, as net/http
//     always does;
//   - the status line's reason phrase is Go's, not the recorded one.
package replay
