package vcr

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/corsvcr/corsvcr/cassettes"
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
