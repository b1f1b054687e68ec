package main

import (
	"flag"
	"log/slog"
	"strings"

	"github.com/corsvcr/corsvcr/cassettes"
	"github.com/corsvcr/corsvcr/vcr"
)

// secretFlags are the flags of the commands that write cassettes: secrets
// are redacted and the result scanned before anything is written.
type secretFlags struct {
	keep  bool
	names []string
}

func (s *secretFlags) register(fs *flag.FlagSet) {
	fs.BoolVar(&s.keep, "keep-secrets", false, "write secrets as recorded: no redaction and no secret scan (logs a warning); the files written get mode 0600")
	fs.Func("redact-names", "comma-separated further names of query parameters, JSON fields and headers whose values are redacted (repeatable)", func(v string) error {
		for n := range strings.SplitSeq(v, ",") {
			if n = strings.TrimSpace(n); n != "" {
				s.names = append(s.names, n)
			}
		}
		return nil
	})
}

// options returns the save options the flags describe, warning on
// --keep-secrets.
func (s secretFlags) options(log *slog.Logger, extra []*cassettes.Request) vcr.SaveOptions {
	if s.keep {
		log.Warn("--keep-secrets: writing secrets as recorded, without redaction or scan")
	}
	return vcr.SaveOptions{KeepSecrets: s.keep, RedactNames: s.names, Extra: extra, Logger: log,
		Hint: "add their names with --redact-names, or write them anyway with --keep-secrets"}
}
