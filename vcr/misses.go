package vcr

import (
	"cmp"
	"slices"

	"github.com/corsvcr/corsvcr/replay"
)

// MissGroup is the misses of one request (method and URL) that differed
// from their closest recorded interaction in one field.
type MissGroup struct {
	Method string
	URL    string
	// Field is the first field that differed (replay.MissError.Field), or
	// the reason the request could not be matched (MissError.Reason).
	Field string
	Count int
	// Example is the first of these misses, as text.
	Example string
}

// MissSummary groups the misses of a replay journal, for a report that
// stays short however many misses a long-running replay collected.
type MissSummary struct {
	// Total counts the misses.
	Total int
	// Groups are the most frequent groups, most frequent first (ties in
	// order of first miss), at most the limit given.
	Groups []MissGroup
	// More counts the groups left out, and MoreMisses their misses.
	More       int
	MoreMisses int
}

// SummarizeMisses groups the misses of journal (replay.Replayer.Journal)
// by method, URL and differing field, and keeps the limit most frequent
// groups (limit <= 0 keeps all).
func SummarizeMisses(journal []replay.Entry, limit int) MissSummary {
	type groupKey struct{ method, url, field string }
	var sum MissSummary
	var groups []MissGroup
	at := map[groupKey]int{}
	for _, e := range journal {
		if e.Miss == nil {
			continue
		}
		sum.Total++
		k := groupKey{e.Miss.Method, e.Miss.URL, cmp.Or(e.Miss.Field, e.Miss.Reason)}
		i, ok := at[k]
		if !ok {
			i = len(groups)
			at[k] = i
			groups = append(groups, MissGroup{Method: k.method, URL: k.url, Field: k.field, Example: e.Miss.Error()})
		}
		groups[i].Count++
	}
	slices.SortStableFunc(groups, func(a, b MissGroup) int { return cmp.Compare(b.Count, a.Count) })
	if limit > 0 && len(groups) > limit {
		sum.More = len(groups) - limit
		for _, g := range groups[limit:] {
			sum.MoreMisses += g.Count
		}
		groups = groups[:limit]
	}
	sum.Groups = groups
	return sum
}
