// Package suggest finds the known word closest to a mistyped one, for the
// "did you mean" hints of corsvcr's error messages.
package suggest

// Closest returns the candidate nearest to s by edit distance, and whether
// it is at most maxDist edits away (maxDist < 0: any distance). Ties go to
// the earlier candidate. Letters compare as given: lower-case both sides
// first for a case-insensitive match.
func Closest(s string, candidates []string, maxDist int) (string, bool) {
	best, bestD := "", -1
	for _, c := range candidates {
		if d := Distance(s, c); bestD < 0 || d < bestD {
			best, bestD = c, d
		}
	}
	if bestD < 0 || maxDist >= 0 && bestD > maxDist {
		return "", false
	}
	return best, true
}

// Distance is the Levenshtein distance between a and b, in bytes.
func Distance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
