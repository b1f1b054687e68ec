package redact

import (
	"fmt"
	"strings"

	"github.com/corsvcr/corsvcr/cassettes"
)

// Protect is the policy for anything about to be written: it redacts c and
// opts.Extra in place (see Redact), then scans both (see Scan), the extra
// requests as requests of their own. When anything still looks like a
// secret it returns a *SecretsError naming every place; name is what was
// about to be written, e.g. the cassette's path, and is used in the error.
// The Report says what was redacted, error or not.
func Protect(name string, c *cassettes.Cassette, opts Options) (Report, error) {
	rep := Redact(c, opts)
	var found []string
	for _, f := range Scan(c) {
		found = append(found, f.String())
	}
	if len(opts.Extra) > 0 {
		extra := &cassettes.Cassette{}
		for _, r := range opts.Extra {
			extra.Interactions = append(extra.Interactions, cassettes.Interaction{Request: *r})
		}
		for _, f := range Scan(extra) {
			found = append(found, fmt.Sprintf("check request %d %s: %s", f.Interaction+1, f.Field, f.Kind))
		}
	}
	if len(found) > 0 {
		return rep, &SecretsError{Name: name, Findings: found}
	}
	return rep, nil
}

// SecretsError is Protect's refusal: what was about to be written still
// holds what looks like secrets.
type SecretsError struct {
	// Name is what was about to be written.
	Name string
	// Findings name each place, never the secret:
	// `interaction 0 response body $.note: JWT` for the cassette (see
	// Finding), `check request 2 header "Authorization": bearer token` for
	// the extra requests (counted from 1).
	Findings []string
	// Hint, when set, is said in parentheses after the refusal: how the
	// caller's user can redact more or write anyway, e.g. by which flags.
	Hint string
}

// Error renders e as
//
//	redact: refusing to write "x.yaml": it still holds what looks like secrets (HINT):
//	  interaction 0 response body $.note: JWT
func (e *SecretsError) Error() string {
	hint := ""
	if e.Hint != "" {
		hint = " (" + e.Hint + ")"
	}
	return fmt.Sprintf("redact: refusing to write %q: it still holds what looks like secrets%s:\n  %s",
		e.Name, hint, strings.Join(e.Findings, "\n  "))
}
