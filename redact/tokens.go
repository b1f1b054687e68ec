package redact

import (
	"regexp"
	"strings"
)

// Secrets recognised by their form rather than by a name: what Redact
// replaces where a value has no name to go by (URL path segments, text
// bodies) and what Scan reports anywhere.

// keyFormat is a well-known secret format.
type keyFormat struct {
	kind string
	re   *regexp.Regexp
}

// keyFormats are the formats of secrets issued by well-known services;
// publishable keys (Stripe pk_) are public and not among them.
var keyFormats = []keyFormat{
	{"Stripe secret key", regexp.MustCompile(`\b[rs]k_(?:live|test)_[0-9A-Za-z]{16,}`)},
	{"GitHub token", regexp.MustCompile(`\b(?:gh[oprsu]_[0-9A-Za-z]{36,}|github_pat_[0-9A-Za-z_]{22,})`)},
	{"Slack token", regexp.MustCompile(`\bxox[abeoprs]-[0-9A-Za-z-]{10,}`)},
	{"Google API key", regexp.MustCompile(`\bAIza[0-9A-Za-z_-]{35}`)},
	{"GitLab token", regexp.MustCompile(`\bglpat-[0-9A-Za-z_-]{20,}`)},
}

// urlCredentialsRE matches the user:password@ of a URL; submatch 1 is the
// password.
var urlCredentialsRE = regexp.MustCompile(`(?i)\b[a-z][a-z0-9+.-]*://[^\s/?#@:"'<>]*:([^\s/?#@"'<>]+)@`)

// tokenSpans returns the byte ranges of the secrets of a known form in s:
// JWTs, AWS access key IDs and keyFormats, in order, not overlapping.
func tokenSpans(s string) [][2]int {
	var spans [][2]int
	add := func(ms [][]int, ok func(string) bool) {
		for _, m := range ms {
			if ok != nil && !ok(s[m[0]:m[1]]) {
				continue
			}
			spans = append(spans, [2]int{m[0], m[1]})
		}
	}
	add(jwtRE.FindAllStringIndex(s, -1), isJWT)
	add(awsKeyRE.FindAllStringIndex(s, -1), nil)
	for _, f := range keyFormats {
		add(f.re.FindAllStringIndex(s, -1), nil)
	}
	if len(spans) < 2 {
		return spans
	}
	// Sort by start and drop overlaps (few spans: insertion sort).
	for i := 1; i < len(spans); i++ {
		for j := i; j > 0 && spans[j][0] < spans[j-1][0]; j-- {
			spans[j], spans[j-1] = spans[j-1], spans[j]
		}
	}
	out := spans[:1]
	for _, sp := range spans[1:] {
		if sp[0] >= out[len(out)-1][1] {
			out = append(out, sp)
		}
	}
	return out
}

// formatKinds returns the kinds of keyFormats found in s.
func formatKinds(s string) []string {
	var kinds []string
	for _, f := range keyFormats {
		if f.re.MatchString(s) {
			kinds = append(kinds, f.kind)
		}
	}
	return kinds
}

// hasURLCredentials reports whether s holds a URL with a password that is
// not a placeholder.
func hasURLCredentials(s string) bool {
	for _, m := range urlCredentialsRE.FindAllStringSubmatch(s, -1) {
		if secretValue(m[1]) {
			return true
		}
	}
	return false
}

// segmentKind says whether a URL path segment (unescaped) is a secret, and
// of which kind: a JWT, an AWS access key ID or a key of a known format
// anywhere in it, or the whole segment a random-looking token (see
// randomToken). "" means not a secret.
func segmentKind(seg string) string {
	if !secretValue(seg) {
		return ""
	}
	for _, k := range textKinds(seg) {
		return k
	}
	if randomToken(seg) {
		return "random token"
	}
	return ""
}

// randomToken reports whether s looks like a random token rather than a
// name, a slug or an ID: either at least 32 hexadecimal digits in one case
// with letters and digits mixed (a reset token, an API key; hashes too),
// or at least 20 characters of base64url with upper case, lower case and
// digits that switch class often, as random text does and words do not
// ("SplxlOBeZQQYbYS6WxSbIA" is a token, "ProductListV2Handler2024" is
// not). UUIDs are IDs and not tokens.
func randomToken(s string) bool {
	if isHexToken(s) {
		return true
	}
	if len(s) < 20 {
		return false
	}
	const (
		upper = iota + 1
		lower
		digit
		other
	)
	class := func(c byte) int {
		switch {
		case 'A' <= c && c <= 'Z':
			return upper
		case 'a' <= c && c <= 'z':
			return lower
		case '0' <= c && c <= '9':
			return digit
		case c == '-' || c == '_':
			return other
		}
		return 0
	}
	var seen [5]bool
	switches, lowerRun := 0, 0
	for i := 0; i < len(s); i++ {
		c := class(s[i])
		if c == 0 {
			return false
		}
		seen[c] = true
		if i > 0 && c != class(s[i-1]) {
			switches++
		}
		if c == lower {
			if lowerRun++; lowerRun >= 6 { // a word
				return false
			}
		} else {
			lowerRun = 0
		}
	}
	return seen[upper] && seen[lower] && seen[digit] && switches*5 >= (len(s)-1)*2
}

// isHexToken reports whether s is at least 32 hexadecimal digits in one
// case, letters and digits mixed, and not all one digit.
func isHexToken(s string) bool {
	if len(s) < 32 {
		return false
	}
	var lowerHex, upperHex, digits bool
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case '0' <= c && c <= '9':
			digits = true
		case 'a' <= c && c <= 'f':
			lowerHex = true
		case 'A' <= c && c <= 'F':
			upperHex = true
		default:
			return false
		}
	}
	return digits && lowerHex != upperHex && strings.Trim(s, s[:1]) != ""
}
