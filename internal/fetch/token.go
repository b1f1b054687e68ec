package fetch

// IsTokenChar reports whether c is a tchar of RFC 9110 section 5.6.2: a
// visible US-ASCII character other than the delimiters "(),/:;<=>?@[\]{}
// and DQUOTE (net::HttpUtil::IsTokenChar).
func IsTokenChar(c byte) bool { return tchars[c] }

// tchars holds isTokenChar for every byte: header names are checked byte
// by byte on every exchange a proxy forwards.
var tchars = func() (t [256]bool) {
	for c := range t {
		t[c] = isTokenChar(byte(c))
	}
	return t
}()

func isTokenChar(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	switch c {
	case '!', '#', '$', '%', '&', '\'', '*', '+', '-', '.', '^', '_', '`', '|', '~':
		return true
	}
	return false
}

// IsToken reports whether s is a token of RFC 9110 section 5.6.2, the
// syntax of methods and header names (net::HttpUtil::IsToken): one or more
// tchars.
func IsToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !IsTokenChar(s[i]) {
			return false
		}
	}
	return true
}

// equalFold reports whether a equals b ASCII case-insensitively; b is
// lower-case.
func equalFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		c := a[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != b[i] {
			return false
		}
	}
	return true
}

// HasPrefixFold reports whether s starts with prefix ASCII
// case-insensitively; prefix is lower-case.
func HasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && equalFold(s[:len(prefix)], prefix)
}

// nameSet is a set of lower-case names indexed by length, so that asking
// for a name costs a comparison with the names of its length only.
type nameSet [32][]string

func newNameSet(names ...string) *nameSet {
	var s nameSet
	for _, n := range names {
		s[len(n)] = append(s[len(n)], n)
	}
	return &s
}

// has reports whether name is in s, ASCII case-insensitively.
func (s *nameSet) has(name string) bool {
	if len(name) >= len(s) {
		return false
	}
	for _, n := range s[len(name)] {
		if equalFold(name, n) {
			return true
		}
	}
	return false
}

// isAny reports whether name equals one of the lower-case names ASCII
// case-insensitively.
func isAny(name string, names ...string) bool {
	for _, n := range names {
		if equalFold(name, n) {
			return true
		}
	}
	return false
}

// ByteLowercase returns s with its ASCII upper-case letters lower-cased
// (Infra "byte-lowercase", as Fetch lower-cases header names and URL
// hosts), allocating only when s has one.
func ByteLowercase(s string) string {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if 'A' <= b[j] && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}
