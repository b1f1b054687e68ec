package vcr

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/corsvcr/corsvcr/cassettes"
	"github.com/corsvcr/corsvcr/recorder"
	"github.com/corsvcr/corsvcr/redact"
)

// SaveOptions configures Save and Protect.
type SaveOptions struct {
	// KeepSecrets writes secrets as recorded: no redaction and no scan.
	// The files are then written with mode 0600 (an existing one loses any
	// group and other permission).
	KeepSecrets bool
	// RedactNames adds names of query parameters, JSON fields and headers
	// whose values are redacted to redact.DefaultNames.
	RedactNames []string
	// Extra are requests written elsewhere from the cassette (the requests
	// of a generated check file): redacted with it, in place, and scanned.
	Extra []*cassettes.Request
	// Hint is set on a *redact.SecretsError refusal: how the user can
	// redact more or write anyway.
	Hint string
	// Logger receives what was redacted; nil discards.
	Logger *slog.Logger
	// AllowIncomplete makes SaveRun write the cassette of an incomplete
	// run (Run.Incomplete) instead of refusing.
	AllowIncomplete bool
	// IncompleteHint is set on an *IncompleteError refusal: how the user
	// can write anyway.
	IncompleteHint string
}

// IncompleteError is SaveRun's refusal to write the cassette of an
// incomplete run: exchanges failed, or the run was interrupted. Nothing
// was written.
type IncompleteError struct {
	Path string
	// Failures are the failed exchanges, which the cassette lacks.
	Failures []recorder.Failure
	// NotRun counts the checks an interruption kept from running.
	NotRun int
	// Exists is set when a file is at Path: it was left unchanged.
	Exists bool
	// Hint says how to write anyway (SaveOptions.IncompleteHint).
	Hint string
}

func (e *IncompleteError) Error() string {
	var why []string
	if n := len(e.Failures); n > 0 {
		why = append(why, fmt.Sprintf("%d %s failed (%v)", n, plural(n, "exchange", "exchanges"), e.Failures[0].Err))
	}
	if e.NotRun > 0 {
		why = append(why, fmt.Sprintf("interrupted: %d %s did not run", e.NotRun, plural(e.NotRun, "check", "checks")))
	}
	msg := fmt.Sprintf("vcr: cassette %q not written: the recording is incomplete: %s", e.Path, strings.Join(why, "; "))
	if e.Exists {
		msg += "; the existing file is unchanged"
	} else {
		msg += "; a cassette without those exchanges would replay them as misses"
	}
	if e.Hint != "" {
		msg += "; " + e.Hint
	}
	return msg
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// SaveRun writes run.Cassette to path as Save does.
//
// For Record, when the run is incomplete (Run.Incomplete: the recorder saw
// failed exchanges, or the run was interrupted) it writes nothing and
// returns an *IncompleteError, unless opts.AllowIncomplete: an existing
// cassette is never replaced by one that lacks exchanges, and none is
// created either, since replaying it would turn the failed exchanges into
// misses (rerun when the servers answer, or force it).
//
// For a record-missing replay (Replay with RecordMissing), run.Cassette is
// the replayed cassette with the exchanges recorded completely appended
// (Run.Added of them; failed or cut ones never are): appending them loses
// nothing, so SaveRun writes it even when the run is incomplete, and a
// rerun records what is still missing.
func SaveRun(path string, run *Run, opts SaveOptions) error {
	if run.Incomplete() && !run.appendOnly && !opts.AllowIncomplete {
		_, err := os.Stat(path)
		return &IncompleteError{Path: path, Failures: run.Failures, NotRun: run.NotRun, Exists: err == nil, Hint: opts.IncompleteHint}
	}
	if run.Cassette == nil {
		return fmt.Errorf("vcr: save %q: the run has no cassette", path)
	}
	return Save(path, run.Cassette, opts)
}

// Save writes cas to path atomically, creating its directory, after
// Protect: secrets are redacted in place, and what still looks like one
// makes it refuse with a *redact.SecretsError. A symlink at path is
// followed and an existing cassette keeps its mode (cassettes.Save); with
// opts.KeepSecrets a new cassette gets mode 0600 and an existing one loses
// any group and other permission (cassettes.WithSecrets).
func Save(path string, cas *cassettes.Cassette, opts SaveOptions) error {
	if err := Protect(path, cas, opts); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("vcr: save cassette: %w", err)
	}
	var so []cassettes.SaveOption
	if opts.KeepSecrets {
		so = append(so, cassettes.WithSecrets())
	}
	return cassettes.Save(path, cas, so...)
}

// Protect redacts the secrets of cas and opts.Extra in place and scans
// both (redact.Protect), unless opts.KeepSecrets; path names what is about
// to be written.
func Protect(path string, cas *cassettes.Cassette, opts SaveOptions) error {
	log := opts.Logger
	if log == nil {
		log = discard
	}
	if opts.KeepSecrets {
		return nil
	}
	rep, err := redact.Protect(path, cas, redact.Options{Names: opts.RedactNames, Extra: opts.Extra})
	if rep.Secrets > 0 {
		log.Info("secrets redacted", "path", path, "secrets", rep.Secrets, "values", len(rep.Fields))
	}
	if se, ok := err.(*redact.SecretsError); ok {
		se.Hint = opts.Hint
	}
	return err
}
