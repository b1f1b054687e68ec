package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net/url"
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
	// Clients says how each kind of client uses a corsvcr proxy (--proxy)
	// and trusts the CA.
	Clients []clientSetup `json:"clients"`
}

func cmdCA(_ context.Context, args []string, stdout, stderr io.Writer) error {
	flags := flag.NewFlagSet("ca", flag.ContinueOnError)
	dirFlag := flags.String("ca-dir", "", caDirUsage)
	// --dir is the flag's old name, kept as a deprecated alias.
	oldDir := flags.String("dir", "", "deprecated: use --ca-dir")
	jsonOut := flags.Bool("json", false, "print as JSON")
	proxy := flags.String("proxy", defaultProxyURL, "the proxy URL the client instructions name: the address of your corsvcr proxy --listen (or corsvcr serve)")
	flags.Usage = func() {
		fmt.Fprint(flags.Output(), "Usage: corsvcr ca [--ca-dir DIR] [--proxy URL] [--json]\n\nShows corsvcr's certificate authority for HTTPS (creating it if missing), its SPKI pin\nand how to make each kind of client (Chrome, Playwright, Puppeteer, Selenium, Cypress,\nFirefox, Node, curl, Go) use a corsvcr proxy and trust the CA.\n\n")
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
	if u, err := url.Parse(*proxy); err != nil || u.Scheme != "http" || u.Host == "" || u.Port() == "" {
		return usageErrorf("ca: --proxy %q: not a proxy URL such as http://127.0.0.1:8888", *proxy)
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
		Clients: clientSetups(*proxy, a.CertFile, a.SPKIPin()),
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
whenever a check or cassette uses https. To use a corsvcr proxy (corsvcr proxy, corsvcr serve)
at %s from another client, point the client at it and trust the CA:
`, state, a.CertFile, a.KeyFile, a.SPKIPin(), *proxy)
	writeClientSetups(stdout, info.Clients)
	return nil
}
