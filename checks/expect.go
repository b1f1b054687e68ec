package checks

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Expect lists asserted verdict fields; nil fields are not asserted.
type Expect struct {
	Allowed         *bool
	CorsError       *string
	FailedParameter *string
	Preflight       *bool
	Preflights      *int // preflights that went on the network for this step
	Status          *int
	// ReadableHeaders are response header names the script must be able
	// to read (at least these; case-insensitive); nil: not asserted.
	// Chrome always lets a script read the CORS-safelisted ones it got
	// (content-type, content-length, …), so an exact list would name them.
	ReadableHeaders []string
	// UnreadableHeaders are response header names the script must not be
	// able to read (case-insensitive); nil: not asserted. The one name
	// AllOtherHeaders ("*") stands for every header not in
	// ReadableHeaders: with it, ReadableHeaders is the exact set.
	UnreadableHeaders []string
}

// AllOtherHeaders, as an entry of Expect.UnreadableHeaders, means every
// response header that Expect.ReadableHeaders does not name.
const AllOtherHeaders = "*"

// Mismatch is one expectation that a verdict broke. Field is the check-file
// name of the field (e.g. "cors_error"); Want and Got are rendered values.
// Step is the step (from 1) of a check of more than one step, else 0; for
// a page visit, the verdict (from 1) it concerns, 0 for an expected request
// the page never made.
type Mismatch struct {
	Step  int    `json:"step,omitempty"`
	Field string `json:"field"`
	Want  string `json:"want"`
	Got   string `json:"got"`
}

// String renders the mismatch as `cors_error: want "X", got "Y"`, prefixed
// with "step 2: " when it names a step.
func (m Mismatch) String() string {
	s := fmt.Sprintf("%s: want %s, got %s", m.Field, m.Want, m.Got)
	if m.Step > 0 {
		s = fmt.Sprintf("step %d: %s", m.Step, s)
	}
	return s
}

// Mismatches returns every expectation of c's steps that vs breaks, step by
// step; for a check of more than one step each names its step. Verdicts of
// another number of steps than c are one mismatch of field "steps".
//
// For a page visit, requests are matched to expectations by method, URL and
// order (see Check.Requests): a request the page made that the check does
// not list, and a listed one it never made, are mismatches of field
// "request".
func (c Check) Mismatches(vs Verdicts) []Mismatch {
	if c.Visit != nil {
		return c.visitMismatches(vs)
	}
	if len(vs) != len(c.Steps) {
		return []Mismatch{{Field: "steps", Want: strconv.Itoa(len(c.Steps)), Got: strconv.Itoa(len(vs))}}
	}
	var out []Mismatch
	for i, s := range c.Steps {
		for _, m := range s.Expect.Mismatches(vs[i]) {
			if len(c.Steps) > 1 {
				m.Step = i + 1
			}
			out = append(out, m)
		}
	}
	return out
}

// Mismatches returns every asserted field whose value differs in v, in the
// order of the check file's expect fields.
func (e Expect) Mismatches(v Verdict) []Mismatch {
	var out []Mismatch
	if e.Allowed != nil && *e.Allowed != v.Allowed {
		out = append(out, mismatch("allowed", strconv.FormatBool(*e.Allowed), strconv.FormatBool(v.Allowed)))
	}
	if e.CorsError != nil && *e.CorsError != v.CorsError {
		out = append(out, mismatch("cors_error", strconv.Quote(*e.CorsError), strconv.Quote(v.CorsError)))
	}
	if e.FailedParameter != nil && *e.FailedParameter != v.FailedParameter {
		out = append(out, mismatch("failed_parameter", strconv.Quote(*e.FailedParameter), strconv.Quote(v.FailedParameter)))
	}
	if e.Preflight != nil && *e.Preflight != v.Preflight {
		out = append(out, mismatch("preflight", strconv.FormatBool(*e.Preflight), strconv.FormatBool(v.Preflight)))
	}
	if e.Preflights != nil && *e.Preflights != v.Preflights {
		out = append(out, mismatch("preflights", strconv.Itoa(*e.Preflights), strconv.Itoa(v.Preflights)))
	}
	if e.Status != nil && *e.Status != v.Status {
		out = append(out, mismatch("status", strconv.Itoa(*e.Status), strconv.Itoa(v.Status)))
	}
	if e.ReadableHeaders != nil {
		want, got := headerSet(e.ReadableHeaders), headerSet(v.ReadableHeaders)
		if slices.ContainsFunc(want, func(h string) bool { _, ok := slices.BinarySearch(got, h); return !ok }) {
			out = append(out, mismatch("readable_headers", "at least "+list(want), list(got)))
		}
	}
	if e.UnreadableHeaders != nil {
		got := headerSet(v.ReadableHeaders)
		if slices.Contains(e.UnreadableHeaders, AllOtherHeaders) {
			readable := headerSet(e.ReadableHeaders)
			if extra := slices.DeleteFunc(slices.Clone(got), func(h string) bool { _, ok := slices.BinarySearch(readable, h); return ok }); len(extra) > 0 {
				out = append(out, mismatch("unreadable_headers", "none but "+list(readable), list(got)))
			}
		} else {
			unreadable := headerSet(e.UnreadableHeaders)
			if slices.ContainsFunc(unreadable, func(h string) bool { _, ok := slices.BinarySearch(got, h); return ok }) {
				out = append(out, mismatch("unreadable_headers", "none of "+list(unreadable), list(got)))
			}
		}
	}
	return out
}

// headerSet lower-cases, sorts and de-duplicates names; never nil.
func headerSet(names []string) []string {
	out := make([]string, 0, len(names))
	for _, n := range names {
		out = append(out, strings.ToLower(n))
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// list renders header names as "[a b]".
func list(names []string) string { return "[" + strings.Join(names, " ") + "]" }

func mismatch(field, want, got string) Mismatch {
	return Mismatch{Field: field, Want: want, Got: got}
}
