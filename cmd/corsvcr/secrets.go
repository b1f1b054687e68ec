package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/corsvcr/corsvcr/cassettes"
	"github.com/corsvcr/corsvcr/checks"
	"github.com/corsvcr/corsvcr/redact"
)

// secretFlags are the flags of the commands that write cassettes: secrets
// are redacted and the result scanned before anything is written.
type secretFlags struct {
	keep  bool
	names []string
}

func (s *secretFlags) register(fs *flag.FlagSet) {
	fs.BoolVar(&s.keep, "keep-secrets", false, "write secrets as recorded: no redaction and no secret scan (logs a warning)")
	fs.Func("redact-names", "comma-separated further names of query parameters, JSON fields and headers whose values are redacted (repeatable)", func(v string) error {
		for n := range strings.SplitSeq(v, ",") {
			if n = strings.TrimSpace(n); n != "" {
				s.names = append(s.names, n)
			}
		}
		return nil
	})
}

// protect redacts and scans cas and the extra requests (which check files
// are written from) in place with redact.Protect, unless --keep-secrets.
// Anything that still looks like a secret makes it refuse with exit code 1;
// path names what was about to be written.
func (s secretFlags) protect(path string, cas *cassettes.Cassette, extra []*cassettes.Request, log *slog.Logger) error {
	if s.keep {
		log.Warn("--keep-secrets: writing secrets as recorded, without redaction or scan", "path", path)
		return nil
	}
	rep, err := redact.Protect(path, cas, redact.Options{Names: s.names, Extra: extra})
	if rep.Secrets > 0 {
		log.Info("secrets redacted", "path", path, "secrets", rep.Secrets, "values", len(rep.Fields))
	}
	if se, ok := errors.AsType[*redact.SecretsError](err); ok {
		se.Hint = "add their names with --redact-names, or write them anyway with --keep-secrets"
		return &exitError{code: exitHarness, err: se}
	}
	return err
}

// saveCassetteSecrets redacts and scans cas as sec says (see protect), then
// saves it like saveCassette.
func saveCassetteSecrets(path string, cas *cassettes.Cassette, sec secretFlags, log *slog.Logger) error {
	if err := sec.protect(path, cas, nil, log); err != nil {
		return err
	}
	return writeCassette(path, cas)
}

// writeCassette writes cas to path atomically, creating its directory,
// as it is: no redaction, no scan.
func writeCassette(path string, cas *cassettes.Cassette) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("save cassette: %w", err)
	}
	return cassettes.Save(path, cas)
}

// writeChecks writes a check file atomically, creating its directory.
func writeChecks(path string, f *checks.File) error {
	data, err := checks.Encode(f)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("write checks: %w", err)
	}
	if err := cassettes.WriteFileAtomic(path, data, 0o644); err != nil {
		return fmt.Errorf("write checks %q: %w", path, err)
	}
	return nil
}

// discardLogger logs nothing.
var discardLogger = slog.New(slog.NewTextHandler(io.Discard, nil))
