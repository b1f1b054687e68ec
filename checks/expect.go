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
	Status          *int
	ReadableHeaders []string // nil: not asserted; compared as a case-insensitive set
}

// Mismatch is one expectation that a verdict broke. Field is the check-file
// name of the field (e.g. "cors_error"); Want and Got are rendered values.
type Mismatch struct{ Field, Want, Got string }

// String renders the mismatch as `cors_error: want "X", got "Y"`.
func (m Mismatch) String() string {
	return fmt.Sprintf("%s: want %s, got %s", m.Field, m.Want, m.Got)
}

// Mismatches returns every asserted field whose value differs in v, in the
// order of the check file's expect fields.
func (e Expect) Mismatches(v Verdict) []Mismatch {
	var out []Mismatch
	if e.Allowed != nil && *e.Allowed != v.Allowed {
		out = append(out, Mismatch{"allowed", strconv.FormatBool(*e.Allowed), strconv.FormatBool(v.Allowed)})
	}
	if e.CorsError != nil && *e.CorsError != v.CorsError {
		out = append(out, Mismatch{"cors_error", strconv.Quote(*e.CorsError), strconv.Quote(v.CorsError)})
	}
	if e.FailedParameter != nil && *e.FailedParameter != v.FailedParameter {
		out = append(out, Mismatch{"failed_parameter", strconv.Quote(*e.FailedParameter), strconv.Quote(v.FailedParameter)})
	}
	if e.Preflight != nil && *e.Preflight != v.Preflight {
		out = append(out, Mismatch{"preflight", strconv.FormatBool(*e.Preflight), strconv.FormatBool(v.Preflight)})
	}
	if e.Status != nil && *e.Status != v.Status {
		out = append(out, Mismatch{"status", strconv.Itoa(*e.Status), strconv.Itoa(v.Status)})
	}
	if e.ReadableHeaders != nil {
		want, got := headerSet(e.ReadableHeaders), headerSet(v.ReadableHeaders)
		if !slices.Equal(want, got) {
			out = append(out, Mismatch{"readable_headers", "[" + strings.Join(want, " ") + "]", "[" + strings.Join(got, " ") + "]"})
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
