package report

import (
	"errors"
	"fmt"
	"slices"

	"github.com/corsvcr/corsvcr/checks"
	"github.com/corsvcr/corsvcr/vcr"
)

// ErrDuplicate is the error (wrapped) of Merge when two shards ran the same
// check: shards must split the checks, not repeat them.
var ErrDuplicate = errors.New("ran in two shards")

// DuplicateError is the error of Merge when two shards ran the same check:
// Shards are the positions (from 1) of the two reports in its argument.
// It matches ErrDuplicate (errors.Is).
type DuplicateError struct {
	Check  string
	Shards [2]int
}

func (e *DuplicateError) Error() string {
	return fmt.Sprintf("report: merge: check %q %v (%d and %d)", e.Check, ErrDuplicate, e.Shards[0], e.Shards[1])
}

// Is makes a DuplicateError match ErrDuplicate.
func (e *DuplicateError) Is(target error) bool { return target == ErrDuplicate }

// ErrUnknownCheck is the error (wrapped) of Merge when a shard ran a check
// the check file does not have: the shards ran another check file.
var ErrUnknownCheck = errors.New("is not in the check file")

// Merge combines the JSON reports of the shards of one run (each a
// vcr.Report of some of the checks of one check file) into the report of
// the whole run, as if one `corsvcr check` had run them all: the checks in
// check-file order when file is given (else shard by shard, in the order of
// shards), the summary recomputed (vcr.Tally) and Pass with it. A check of
// file that no shard ran counts as not run (Summary.NotRun, Interrupted),
// so a shard whose report is missing can never look green; so do the
// checks a shard counted as not run. Cassette is kept when every shard
// names the same one, else "". A check in two shards (ErrDuplicate), or
// one file lacks (ErrUnknownCheck), is an error.
func Merge(shards []vcr.Report, file *checks.File) (vcr.Report, error) {
	var results []vcr.Result
	from := map[string]int{} // check name → shard
	notRun := 0
	cassette := ""
	for i, sh := range shards {
		if sh.SchemaVersion != vcr.ReportVersion {
			return vcr.Report{}, fmt.Errorf("report: merge: shard %d: schema_version %d: want %d", i+1, sh.SchemaVersion, vcr.ReportVersion)
		}
		for _, r := range sh.Checks {
			if j, ok := from[r.Name]; ok {
				return vcr.Report{}, &DuplicateError{Check: r.Name, Shards: [2]int{j + 1, i + 1}}
			}
			if file != nil && !slices.ContainsFunc(file.Checks, func(c checks.Check) bool { return c.Name == r.Name }) {
				return vcr.Report{}, fmt.Errorf("report: merge: check %q of shard %d %w", r.Name, i+1, ErrUnknownCheck)
			}
			from[r.Name] = i
			results = append(results, r)
		}
		notRun += sh.Summary.NotRun
		if i == 0 {
			cassette = sh.Cassette
		} else if sh.Cassette != cassette {
			cassette = ""
		}
	}
	if file != nil {
		at := map[string]int{}
		for i, c := range file.Checks {
			at[c.Name] = i
		}
		slices.SortStableFunc(results, func(a, b vcr.Result) int { return at[a.Name] - at[b.Name] })
		// Every check of the file no shard ran did not run: the shards'
		// own not-run counts are among them.
		notRun = len(file.Checks) - len(results)
	}
	if results == nil {
		results = []vcr.Result{}
	}
	t := vcr.Tally(results, notRun)
	return vcr.Report{SchemaVersion: vcr.ReportVersion, Pass: t.Pass(), Summary: t, Cassette: cassette, Checks: results}, nil
}
