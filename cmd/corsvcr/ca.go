package main

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/corsvcr/corsvcr/ca"
	"github.com/corsvcr/corsvcr/cassettes"
	"github.com/corsvcr/corsvcr/checks"
)

// caDirEnv overrides the default directory of the certificate authority.
const caDirEnv = "CORSVCR_CA_DIR"

// caDirUsage documents --ca-dir and --dir.
const caDirUsage = "directory of corsvcr's certificate authority for HTTPS (default: $" + caDirEnv + ", else <user config dir>/corsvcr)"

// resolveCADir returns the authority's directory: flag, else $CORSVCR_CA_DIR,
// else ca.DefaultDir.
func resolveCADir(flagValue string) (string, error) {
	if flagValue != "" {
		return flagValue, nil
	}
	if d := os.Getenv(caDirEnv); d != "" {
		return d, nil
	}
	return ca.DefaultDir()
}

// httpsCA returns the per-user authority, created if missing, when any
// check (page or request) or cassette interaction uses https; else nil.
func (c *common) httpsCA(file *checks.File, cas *cassettes.Cassette) (*ca.CA, error) {
	if !usesHTTPS(file, cas) {
		return nil, nil
	}
	dir, err := resolveCADir(c.caDir)
	if err != nil {
		return nil, err
	}
	return ca.LoadOrCreate(dir)
}

// usesHTTPS reports whether a check or an interaction names an https URL.
func usesHTTPS(file *checks.File, cas *cassettes.Cassette) bool {
	if file != nil {
		for _, ch := range file.Checks {
			if isHTTPS(ch.Page) {
				return true
			}
			for _, s := range ch.Steps {
				if isHTTPS(s.Request.URL) {
					return true
				}
			}
		}
	}
	if cas != nil {
		for _, in := range cas.Interactions {
			if isHTTPS(in.Request.URL) {
				return true
			}
		}
	}
	return false
}

func isHTTPS(raw string) bool {
	u, err := url.Parse(raw)
	return err == nil && strings.EqualFold(u.Scheme, "https")
}

// pins returns the SPKI pins Chrome must trust for a: none for nil.
func pins(a *ca.CA) []string {
	if a == nil {
		return nil
	}
	return []string{a.SPKIPin()}
}

// pool returns a's certificate pool, or nil (the system roots) for nil.
func pool(a *ca.CA) *x509.CertPool {
	if a == nil {
		return nil
	}
	return a.Pool()
}

// upstreamRoots returns the roots that verify https origins: nil (the
// system roots) without --upstream-ca, else the system roots plus the
// certificates of that PEM file.
func (c *common) upstreamRoots() (*x509.CertPool, error) {
	if c.upstreamCA == "" {
		return nil, nil
	}
	data, err := os.ReadFile(c.upstreamCA)
	if err != nil {
		return nil, fmt.Errorf("--upstream-ca: %w", err)
	}
	roots, err := x509.SystemCertPool()
	if err != nil || roots == nil {
		roots = x509.NewCertPool()
	}
	if !roots.AppendCertsFromPEM(data) {
		return nil, fmt.Errorf("--upstream-ca %q: no PEM certificate found", c.upstreamCA)
	}
	return roots, nil
}

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
	dirFlag := flags.String("dir", "", caDirUsage)
	jsonOut := flags.Bool("json", false, "print as JSON")
	flags.Usage = func() {
		fmt.Fprint(flags.Output(), "Usage: corsvcr ca [--dir DIR] [--json]\n\nShows corsvcr's certificate authority for HTTPS (creating it if missing), its SPKI pin\nand how to trust it in a browser.\n\n")
		flags.PrintDefaults()
	}
	if err := parse(flags, args, stderr); err != nil {
		return err
	}
	dir, err := resolveCADir(*dirFlag)
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
