package vcr

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/corsvcr/corsvcr/cassettes"
)

// SaveOptions configures Save.
type SaveOptions struct {
	// KeepSecrets writes secrets as recorded: no redaction and no scan.
	KeepSecrets bool
	// RedactNames adds names of query parameters, JSON fields and headers
	// whose values are redacted to the default ones.
	RedactNames []string
	// Extra are requests written elsewhere from the cassette (the requests
	// of a generated check file): redacted with it, in place, and scanned.
	Extra []*cassettes.Request
	// Logger receives what was redacted; nil discards.
	Logger *slog.Logger
}

// SecretsError is Save's refusal to write what still looks like secrets
// after redaction.
type SecretsError struct {
	Path     string
	Findings []string // where each is and what it looks like
}

func (e *SecretsError) Error() string {
	return fmt.Sprintf("refusing to write %q: it still holds what looks like secrets (add their names with --redact-names, or write them anyway with --keep-secrets):\n  %s",
		e.Path, strings.Join(e.Findings, "\n  "))
}

// Save writes cas to path atomically, creating its directory, after
// redacting its secrets (and those of opts.Extra) in place; it refuses
// with a *SecretsError when a scan still finds one. opts.KeepSecrets skips
// both and logs a warning.
func Save(path string, cas *cassettes.Cassette, opts SaveOptions) error {
	if err := Protect(path, cas, opts); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("vcr: save cassette: %w", err)
	}
	return cassettes.Save(path, cas)
}

// Protect redacts the secrets of cas and opts.Extra in place and scans
// both, as Save does before writing; path names what is about to be
// written.
func Protect(path string, cas *cassettes.Cassette, opts SaveOptions) error {
	log := opts.Logger
	if log == nil {
		log = discard
	}
	if opts.KeepSecrets {
		log.Warn("--keep-secrets: writing secrets as recorded, without redaction or scan", "path", path)
		return nil
	}
	rep := cassettes.Redact(cas, cassettes.RedactOptions{Names: opts.RedactNames, Extra: opts.Extra})
	if rep.Secrets > 0 {
		log.Info("secrets redacted", "path", path, "secrets", rep.Secrets, "values", len(rep.Fields))
	}
	var found []string
	for _, f := range cassettes.Scan(cas) {
		found = append(found, f.String())
	}
	if len(opts.Extra) > 0 {
		// Scan the check requests as interactions of their own.
		pseudo := &cassettes.Cassette{}
		for _, r := range opts.Extra {
			pseudo.Interactions = append(pseudo.Interactions, cassettes.Interaction{Request: *r})
		}
		for _, f := range cassettes.Scan(pseudo) {
			found = append(found, fmt.Sprintf("check request %d %s: %s", f.Interaction+1, f.Field, f.Kind))
		}
	}
	if len(found) > 0 {
		return &SecretsError{Path: path, Findings: found}
	}
	return nil
}
