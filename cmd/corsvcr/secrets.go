package main

import (
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/corsvcr/corsvcr/cassettes"
	"github.com/corsvcr/corsvcr/checks"
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

// protect redacts the secrets of cas and of the extra requests (which check
// files are written from) in place, then scans both, unless --keep-secrets.
// Anything that still looks like a secret makes it refuse, naming where it
// is; path names what was about to be written.
func (s secretFlags) protect(path string, cas *cassettes.Cassette, extra []*cassettes.Request, log *slog.Logger) error {
	if s.keep {
		log.Warn("--keep-secrets: writing secrets as recorded, without redaction or scan", "path", path)
		return nil
	}
	rep := cassettes.Redact(cas, cassettes.RedactOptions{Names: s.names, Extra: extra})
	if rep.Secrets > 0 {
		log.Info("secrets redacted", "path", path, "secrets", rep.Secrets, "values", len(rep.Fields))
	}
	var found []string
	for _, f := range cassettes.Scan(cas) {
		found = append(found, f.String())
	}
	if len(extra) > 0 {
		// Scan the check requests as interactions of their own.
		pseudo := &cassettes.Cassette{}
		for _, r := range extra {
			pseudo.Interactions = append(pseudo.Interactions, cassettes.Interaction{Request: *r})
		}
		for _, f := range cassettes.Scan(pseudo) {
			found = append(found, fmt.Sprintf("check request %d %s: %s", f.Interaction+1, f.Field, f.Kind))
		}
	}
	if len(found) > 0 {
		return &exitError{code: exitHarness, err: fmt.Errorf(
			"refusing to write %q: it still holds what looks like secrets (add their names with --redact-names, or write them anyway with --keep-secrets):\n  %s",
			path, strings.Join(found, "\n  "))}
	}
	return nil
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

// writeChecks writes a check file atomically (temp file, rename).
func writeChecks(path string, f *checks.File) error {
	data, err := checks.Encode(f)
	if err != nil {
		return err
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("write checks: %w", err)
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("write checks: %w", err)
	}
	_, werr := tmp.Write(data)
	cerr := tmp.Close()
	if werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Chmod(tmp.Name(), 0o644)
	}
	if werr == nil {
		werr = os.Rename(tmp.Name(), path)
	}
	if werr != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("write checks %q: %w", path, werr)
	}
	return nil
}

// discardLogger logs nothing.
var discardLogger = slog.New(slog.NewTextHandler(io.Discard, nil))
