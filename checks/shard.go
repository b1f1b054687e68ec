package checks

import (
	"errors"
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"
)

// Shard names one share of a check file's checks, for spreading a file over
// N CI jobs: shard Index of Count, counted from 1 ("2/4" is the second of
// four). The zero Shard means the whole file.
type Shard struct {
	Index int `json:"index"` // 1..Count
	Count int `json:"count"`
}

// ErrShard is the error (wrapped) of an invalid shard.
var ErrShard = errors.New("want I/N with 1 <= I <= N, e.g. 2/4")

// ParseShard parses "I/N", e.g. "2/4" (the second of four shards).
func ParseShard(s string) (Shard, error) {
	is, ns, ok := strings.Cut(s, "/")
	if !ok {
		return Shard{}, fmt.Errorf("checks: shard %q: %w", s, ErrShard)
	}
	i, err1 := strconv.Atoi(is)
	n, err2 := strconv.Atoi(ns)
	if err1 != nil || err2 != nil {
		return Shard{}, fmt.Errorf("checks: shard %q: %w", s, ErrShard)
	}
	sh := Shard{Index: i, Count: n}
	if err := sh.Validate(); err != nil {
		return Shard{}, err
	}
	return sh, nil
}

// Validate reports whether s is a shard: 1 <= Index <= Count.
func (s Shard) Validate() error {
	if s.Count < 1 || s.Index < 1 || s.Index > s.Count {
		return fmt.Errorf("checks: shard %d/%d: %w", s.Index, s.Count, ErrShard)
	}
	return nil
}

// String renders s as "I/N".
func (s Shard) String() string { return fmt.Sprintf("%d/%d", s.Index, s.Count) }

// Of reports whether the check named name belongs to shard s. The share
// depends on the name alone (FNV-1a of the name, mod Count): adding,
// removing or reordering other checks never moves a check to another
// shard, and every check is in exactly one shard of the N.
func (s Shard) Of(name string) bool {
	h := fnv.New64a()
	h.Write([]byte(name))
	return int(h.Sum64()%uint64(s.Count)) == s.Index-1
}

// Shard returns a copy of f with only the checks of shard s, in file
// order. A shard may hold no check (more shards than checks, or an unlucky
// hash): the result then has no checks and no error; callers decide
// whether an empty shard is a success.
func (f *File) Shard(s Shard) (*File, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	out := *f
	out.Checks = nil
	for _, c := range f.Checks {
		if s.Of(c.Name) {
			out.Checks = append(out.Checks, c)
		}
	}
	return &out, nil
}
