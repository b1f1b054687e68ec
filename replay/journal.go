package replay

import (
	"cmp"
	"strings"
	"sync"
)

// DefaultJournalLimit is how many unanswered requests (misses and forwarded
// requests) a Replayer's journal keeps by default (Config.JournalLimit).
const DefaultJournalLimit = 1024

// missGroupLimit bounds the distinct groups MissGroups tracks: once there
// are that many, the misses of a new group are only counted.
const missGroupLimit = 1024

// Entry is one journaled request: one the cassette did not answer.
type Entry struct {
	Method string
	// URL is the request's normalised URL: path and query only for an
	// origin-form request without Config.Host, the authority for a CONNECT.
	URL       string
	Origin    string
	Forwarded bool       // a miss sent to Config.Forward
	Miss      *MissError // non-nil for a miss that was not forwarded
}

// Stats counts the requests a Replayer has journaled or counted. Requests
// Config.Intercept serves are in none of them.
type Stats struct {
	// Hits counts the requests answered from the cassette (Uses gives them
	// per interaction).
	Hits int
	// Misses counts the misses that were not forwarded, and Forwarded
	// the ones sent to Config.Forward.
	Misses    int
	Forwarded int
	// Dropped counts the misses and forwarded requests past
	// Config.JournalLimit: counted, and grouped (MissGroups), but not in
	// the journal.
	Dropped int
}

// MissGroup counts the misses of one request (method and URL) that
// differed from their closest recorded interaction in one field.
type MissGroup struct {
	Method string
	URL    string
	// Field is the first field that differed (MissError.Field), or the
	// reason the request could not be matched (MissError.Reason).
	Field string
	Count int
	// First is the first of these misses.
	First *MissError
}

// JournalMark is a position in a Replayer's journal (Replayer.Mark); the
// zero JournalMark is its start.
type JournalMark struct {
	entries int // unanswered requests before the mark, kept or dropped
	misses  int // misses before the mark, kept or dropped
}

// journal is what a Replayer remembers of the requests it did not answer
// from the cassette: in full up to a limit and as counts after it, misses
// grouped (hits are counted per interaction, prepared.hits). Its memory is
// bounded by the limits, however many requests are served.
type journal struct {
	mu        sync.Mutex
	limit     int     // entries kept at most
	entries   []Entry // the first limit unanswered requests, in order
	total     int     // unanswered requests, kept or dropped
	misses    int     // of them, misses (not forwarded)
	forwarded int
	groups    map[missGroupKey]int // index in groupList
	groupList []MissGroup
	ungrouped int // misses of groups past missGroupLimit
}

type missGroupKey struct{ method, url, field string }

func newJournal(limit int) journal {
	switch {
	case limit == 0:
		limit = DefaultJournalLimit
	case limit < 0:
		limit = 0
	}
	return journal{limit: limit}
}

// record journals an unanswered request.
func (j *journal) record(e Entry) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.total++
	if e.Forwarded {
		j.forwarded++
	}
	if len(j.entries) < j.limit {
		j.entries = append(j.entries, e)
	}
	me := e.Miss
	if me == nil {
		return
	}
	j.misses++
	k := missGroupKey{me.Method, me.URL, cmp.Or(me.Field, me.Reason)}
	if i, ok := j.groups[k]; ok {
		j.groupList[i].Count++
		return
	}
	if len(j.groupList) >= missGroupLimit {
		j.ungrouped++
		return
	}
	if j.groups == nil {
		j.groups = map[missGroupKey]int{}
	}
	// The key's strings may be parts of a request line or header the
	// server read; a copy keeps those from being retained.
	k = missGroupKey{strings.Clone(k.method), strings.Clone(k.url), strings.Clone(k.field)}
	j.groups[k] = len(j.groupList)
	j.groupList = append(j.groupList, MissGroup{Method: k.method, URL: k.url, Field: k.field, Count: 1, First: me})
}

// Journal returns a copy of the journal: the requests the cassette did not
// answer (misses, and with Config.Forward the forwarded ones), in order,
// the first Config.JournalLimit of them. Hits are counted, not journaled
// (Uses, Stats), and intercepted requests are neither; so the journal's
// memory stays bounded however long a server runs.
func (r *Replayer) Journal() []Entry {
	r.j.mu.Lock()
	defer r.j.mu.Unlock()
	return append([]Entry(nil), r.j.entries...)
}

// Mark returns the journal's current position, for Since.
func (r *Replayer) Mark() JournalMark {
	r.j.mu.Lock()
	defer r.j.mu.Unlock()
	return JournalMark{entries: r.j.total, misses: r.j.misses}
}

// Since returns the journal entries recorded after m (a Mark of r), in
// order, and how many misses after m were not kept (past
// Config.JournalLimit). It costs what it returns, not the journal's size.
func (r *Replayer) Since(m JournalMark) (entries []Entry, droppedMisses int) {
	r.j.mu.Lock()
	defer r.j.mu.Unlock()
	kept := 0
	if m.entries < len(r.j.entries) {
		entries = append(entries, r.j.entries[m.entries:]...)
		for _, e := range entries {
			if e.Miss != nil {
				kept++
			}
		}
	}
	return entries, r.j.misses - m.misses - kept
}

// Stats returns the counts of the requests r has served so far. It adds up
// the use counts of every interaction (a pass over the cassette).
func (r *Replayer) Stats() Stats {
	s := Stats{}
	for i := range r.ints {
		s.Hits += int(r.ints[i].hits.Load())
	}
	r.j.mu.Lock()
	defer r.j.mu.Unlock()
	s.Misses, s.Forwarded, s.Dropped = r.j.misses, r.j.forwarded, r.j.total-len(r.j.entries)
	return s
}

// Uses returns how many requests each recorded interaction has answered,
// by index in the cassette.
func (r *Replayer) Uses() []int {
	out := make([]int, len(r.ints))
	for i := range r.ints {
		out[i] = int(r.ints[i].hits.Load())
	}
	return out
}

// MissGroups returns the misses so far grouped by method, URL and first
// differing field (or reason), in order of first miss, and the count of
// misses in no group: r tracks at most 1024 groups, and counts the misses
// of further ones only.
func (r *Replayer) MissGroups() (groups []MissGroup, ungrouped int) {
	r.j.mu.Lock()
	defer r.j.mu.Unlock()
	return append([]MissGroup(nil), r.j.groupList...), r.j.ungrouped
}
