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

// MissSummary groups the misses of a replay, for a report that stays short
// however many misses a long-running replay collected.
type MissSummary struct {
	// Total counts the misses.
	Total int
	// Groups are the most frequent groups, most frequent first (ties in
	// order of first miss), at most the limit given.
	Groups []MissGroup
	// More counts the groups left out, and MoreMisses their misses.
	More       int
	MoreMisses int
	// Ungrouped counts the misses of groups the replayer did not track
	// (SummarizeReplayMisses: past replay.Replayer.MissGroups' bound); how
	// many distinct groups they make is unknown.
	Ungrouped int
}

// SummarizeReplayMisses summarises every miss rp has served, by method,
// URL and differing field, keeping the limit most frequent groups (limit
// <= 0 keeps all). It reads rp's counts and groups, not its journal, so it
// counts the misses past the journal's limit too.
func SummarizeReplayMisses(rp *replay.Replayer, limit int) MissSummary {
	rg, ungrouped := rp.MissGroups()
	groups := make([]MissGroup, len(rg))
	for i, g := range rg {
		groups[i] = MissGroup{Method: g.Method, URL: g.URL, Field: g.Field, Count: g.Count, Example: g.First.Error()}
	}
	sum := summarize(groups, limit)
	sum.Total = rp.Stats().Misses
	sum.Ungrouped = ungrouped
	return sum
}

// SummarizeMisses groups the misses of journal (replay.Replayer.Journal,
// which keeps the first misses only: SummarizeReplayMisses counts them all)
// by method, URL and differing field, and keeps the limit most frequent
// groups (limit <= 0 keeps all).
func SummarizeMisses(journal []replay.Entry, limit int) MissSummary {
	type groupKey struct{ method, url, field string }
	var groups []MissGroup
	at := map[groupKey]int{}
	total := 0
	for _, e := range journal {
		if e.Miss == nil {
			continue
		}
		total++
		k := groupKey{e.Miss.Method, e.Miss.URL, cmp.Or(e.Miss.Field, e.Miss.Reason)}
		i, ok := at[k]
		if !ok {
			i = len(groups)
			at[k] = i
			groups = append(groups, MissGroup{Method: k.method, URL: k.url, Field: k.field, Example: e.Miss.Error()})
		}
		groups[i].Count++
	}
	sum := summarize(groups, limit)
	sum.Total = total
	return sum
}

// summarize orders groups (in order of first miss) most frequent first and
// keeps the limit first.
func summarize(groups []MissGroup, limit int) MissSummary {
	var sum MissSummary
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
