package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/corsvcr/corsvcr/ca"
)

// caDirUsage documents --ca-dir, the same flag on every command.
const caDirUsage = "directory of corsvcr's certificate authority for HTTPS (default: $" + ca.DirEnv + ", else <user config dir>/corsvcr)"

// caInfo is what `corsvcr ca --json` prints.
type caInfo struct {
	Dir         string   `json:"dir"`
	CertFile    string   `json:"cert_file"`
	KeyFile     string   `json:"key_file"`
	SPKIPin     string   `json:"spki_pin"`
	Created     bool     `json:"created"`
	ChromeFlags []string `json:"chrome_flags"`
}

func cmdCA(_ context.Context, args []string, stdout, stderr io.Writer) error {
	flags := flag.NewFlagSet("ca", flag.ContinueOnError)
	dirFlag := flags.String("ca-dir", "", caDirUsage)
	// --dir is the flag's old name, kept as a deprecated alias.
	oldDir := flags.String("dir", "", "deprecated: use --ca-dir")
	jsonOut := flags.Bool("json", false, "print as JSON")
	flags.Usage = func() {
		fmt.Fprint(flags.Output(), "Usage: corsvcr ca [--ca-dir DIR] [--json]\n\nShows corsvcr's certificate authority for HTTPS (creating it if missing), its SPKI pin\nand how to trust it in a browser.\n\n")
		flags.PrintDefaults()
	}
	if err := parse(flags, args, stderr); err != nil {
		return err
	}
	switch {
	case *oldDir != "" && *dirFlag != "" && *oldDir != *dirFlag:
		return usageErrorf("ca: --dir %q and --ca-dir %q disagree (--dir is the deprecated name of --ca-dir)", *oldDir, *dirFlag)
	case *oldDir != "":
		fmt.Fprintln(stderr, "corsvcr: ca: --dir is deprecated: use --ca-dir, as record, check, serve and demo do")
		*dirFlag = *oldDir
	}
	dir, err := ca.ResolveDir(*dirFlag)
	if err != nil {
		return err
	}
	_, statErr := os.Stat(filepath.Join(dir, ca.KeyFileName))
	created := errors.Is(statErr, fs.ErrNotExist)
	a, err := ca.LoadOrCreate(dir)
	if err != nil {
		return err
	}
	info := caInfo{
		Dir:      dir,
		CertFile: a.CertFile,
		KeyFile:  a.KeyFile,
		SPKIPin:  a.SPKIPin(),
		Created:  created,
		ChromeFlags: []string{
			"--ignore-certificate-errors-spki-list=" + a.SPKIPin(),
			"--user-data-dir=<a fresh profile directory>",
		},
	}
	if *jsonOut {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(info)
	}
	state := "in use"
	if created {
		state = "created now"
	}
	fmt.Fprintf(stdout, `corsvcr certificate authority (%s)
  certificate: %s
  private key: %s  (mode 0600: never share or commit it; cassettes never contain it)
  SPKI pin:    %s

corsvcr record, check, serve and demo start Chrome trusting exactly this CA, by its pin,
whenever a check or cassette uses https. To use a corsvcr proxy from another browser:

  Chrome/Chromium (the pin is honoured only with its own --user-data-dir):
    chromium --user-data-dir="$(mktemp -d)" --proxy-server=http://127.0.0.1:PORT \
      --proxy-bypass-list='<-loopback>' \
      --ignore-certificate-errors-spki-list=%s

  Firefox (in a separate profile: firefox -P):
    Settings > Privacy & Security > Certificates > View Certificates > Authorities >
    Import... %s, tick "Trust this CA to identify websites";
    then Settings > Network Settings > Manual proxy configuration, HTTP proxy 127.0.0.1 PORT,
    "Also use this proxy for HTTPS".
`, state, a.CertFile, a.KeyFile, a.SPKIPin(), a.SPKIPin(), a.CertFile)
	return nil
}
