package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"strings"
	"time"

	"github.com/corsvcr/corsvcr/checks"
)

// common holds the flags shared by the commands that run checks.
type common struct {
	checks    string
	cassette  string
	jsonOut   bool
	verbose   bool
	chrome    string
	timeout   time.Duration
	upstreams upstreamFlag
	hosts     hostsFlag

	caDir      string // --ca-dir: the HTTPS certificate authority (see ca.go)
	upstreamCA string // --upstream-ca: extra roots for https origins
}

func (c *common) register(fs *flag.FlagSet, withUpstream bool) {
	fs.StringVar(&c.checks, "checks", "", "check file (YAML)")
	fs.BoolVar(&c.jsonOut, "json", false, "print verdicts as JSON")
	fs.BoolVar(&c.verbose, "v", false, "verbose logging on stderr")
	fs.StringVar(&c.chrome, "chrome", "", "browser binary (default: $CORSVCR_CHROME, then chromium-headless-shell, chromium, google-chrome on PATH)")
	fs.DurationVar(&c.timeout, "timeout", 15*time.Second, "time limit for one check")
	fs.StringVar(&c.caDir, "ca-dir", "", caDirUsage)
	if withUpstream {
		c.upstreams = upstreamFlag{}
		fs.Var(&c.upstreams, "upstream", "HOST[:PORT]=ADDR: dial ADDR for requests the checks send to HOST:PORT; HOST alone means its default port, 80 for http URLs and 443 for https (repeatable)")
		fs.StringVar(&c.upstreamCA, "upstream-ca", "", "PEM file of extra root certificates trusted for https origins (besides the system roots)")
		fs.Var(&c.hosts, "record-host", "HOST:PORT whose exchanges are recorded (repeatable; default: the hosts the checks' request URLs name)")
	}
}

// parse parses args into fs and rejects positional arguments.
func parse(fs *flag.FlagSet, args []string, stderr io.Writer) error {
	fs.SetOutput(stderr)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return &exitError{code: exitOK}
		}
		return &exitError{code: exitUsage}
	}
	if fs.NArg() > 0 {
		return usageErrorf("%s: unexpected argument %q", fs.Name(), fs.Arg(0))
	}
	return nil
}

// upstreamFlag maps authorities named by checks to addresses to dial.
type upstreamFlag map[string]string

func (u upstreamFlag) String() string {
	var parts []string
	for k, v := range u {
		parts = append(parts, k+"="+v)
	}
	return strings.Join(parts, ",")
}

func (u upstreamFlag) Set(s string) error {
	from, to, ok := strings.Cut(s, "=")
	if !ok || from == "" || to == "" {
		return fmt.Errorf("%q is not HOST[:PORT]=ADDR", s)
	}
	// HOST alone is fine: its default port, 80 (http) or 443 (https).
	if _, _, err := net.SplitHostPort(from); strings.ContainsAny(from, "/?#@ \t") || (err != nil && strings.ContainsAny(from, ":[]")) {
		return fmt.Errorf("%q: %q is not HOST or HOST:PORT, e.g. api.example.com or localhost:8000", s, from)
	}
	if _, _, err := net.SplitHostPort(to); err != nil {
		return fmt.Errorf("%q: %q needs a port, e.g. 127.0.0.1:9000", s, to)
	}
	u[strings.ToLower(from)] = to
	return nil
}

// hostsFlag is an explicit allow-list of authorities to record.
type hostsFlag []string

func (h *hostsFlag) String() string { return strings.Join(*h, ",") }

func (h *hostsFlag) Set(s string) error {
	if _, _, err := net.SplitHostPort(s); err != nil {
		return fmt.Errorf("%q needs a port, e.g. localhost:8000", s)
	}
	*h = append(*h, strings.ToLower(s))
	return nil
}

// recordHosts returns the authorities to record: the explicit allow-list
// when given, else the hosts the checks name.
func (c *common) recordHosts(file *checks.File) []string {
	if len(c.hosts) > 0 {
		return c.hosts
	}
	return file.Hosts()
}
