package main

import (
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/corsvcr/corsvcr/cassettes"
	"github.com/corsvcr/corsvcr/checks"
	"github.com/corsvcr/corsvcr/vcr"
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

// options returns the save options the flags describe.
func (s secretFlags) options(log *slog.Logger, extra []*cassettes.Request) vcr.SaveOptions {
	return vcr.SaveOptions{KeepSecrets: s.keep, RedactNames: s.names, Extra: extra, Logger: log}
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
