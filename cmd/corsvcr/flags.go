package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"regexp"
	"strings"
	"time"

	"github.com/corsvcr/corsvcr/browsercheck"
	"github.com/corsvcr/corsvcr/ca"
	"github.com/corsvcr/corsvcr/checks"
	"github.com/corsvcr/corsvcr/vcr"
)

// common holds the flags shared by the commands that run checks.
type common struct {
	checks    string
	cassette  string
	jsonOut   bool
	verbose   *bool
	chrome    string
	timeout   time.Duration
	upstreams upstreamFlag
	hosts     hostsFlag

	caDir      string // --ca-dir: the HTTPS certificate authority
	upstreamCA string // --upstream-ca: extra roots for https origins
	run        string // --run: a regexp selecting checks by name

	shard     string         // --shard I/N (shard.go)
	shardInfo *vcr.ShardInfo // the shard selected by load
	browser   string         // --browser: a running Chrome's DevTools address
	listen    string         // --listen: the proxy address the browser is given
	parallel  int            // --parallel: checks run at once in a replay
}

func (c *common) register(fs *flag.FlagSet, withUpstream bool) {
	fs.StringVar(&c.checks, "checks", "", "check file (YAML)")
	fs.BoolVar(&c.jsonOut, "json", false, "print verdicts as JSON")
	c.verbose = verboseFlag(fs)
	fs.StringVar(&c.chrome, "chrome", "", "browser binary (default: $CORSVCR_CHROME, then chromium-headless-shell, chromium, google-chrome on PATH)")
	fs.DurationVar(&c.timeout, "timeout", browsercheck.DefaultTimeout, "time limit for one check")
	fs.StringVar(&c.caDir, "ca-dir", "", caDirUsage)
	fs.IntVar(&c.parallel, "parallel", 0, "how many checks a replay runs at once, each in a Chrome tab of its own browser context; checks sharing a URL still run one after another, in file order (0: twice the CPUs, 2 to 8; recording runs one at a time)")
	fs.StringVar(&c.run, "run", "", "run only the checks whose name matches this Go regular expression (unanchored, as go test -run); matching none is a usage error")
	c.remoteFlags(fs)
	c.upstreams = upstreamFlag{}
	if withUpstream {
		fs.Var(&c.upstreams, "upstream", "HOST[:PORT]=ADDR: dial ADDR for requests the checks send to HOST:PORT; HOST alone means its default port, 80 for http URLs and 443 for https (repeatable)")
		fs.StringVar(&c.upstreamCA, "upstream-ca", "", "PEM file of extra root certificates trusted for https origins (besides the system roots)")
		fs.Var(&c.hosts, "record-host", "HOST:PORT whose exchanges are recorded (repeatable; default: the hosts the checks' request URLs name)")
	}
}

// selection returns the --run regexp, nil for none; an invalid one is a
// usage error.
func (c *common) selection(cmd string) (*regexp.Regexp, error) {
	if c.run == "" {
		return nil, nil
	}
	re, err := regexp.Compile(c.run)
	if err != nil {
		return nil, usageErrorf("%s: --run %q: %v", cmd, c.run, err)
	}
	return re, nil
}

// load reads the check file of --checks and keeps the checks --run selects.
// A --run that selects nothing is a usage error: a run of no check would
// pass and prove nothing.
func (c *common) load(cmd string) (*checks.File, error) {
	re, err := c.selection(cmd)
	if err != nil {
		return nil, err
	}
	file, err := checks.Load(c.checks)
	if err != nil {
		return nil, err
	}
	if re != nil {
		sel, err := file.Select(re)
		if err != nil {
			return nil, noMatch(cmd, re, c.checks, len(file.Checks))
		}
		file = sel
	}
	return c.selectShard(cmd, file)
}

// noMatch is the usage error of a --run that selects no check.
func noMatch(cmd string, re *regexp.Regexp, file string, n int) error {
	return &exitError{code: exitUsage, err: fmt.Errorf("%s: --run %q: %w in %q (%d checks)", cmd, re.String(), checks.ErrNoMatch, file, n)}
}

// verboseFlag declares -v, the same on every command.
func verboseFlag(fs *flag.FlagSet) *bool {
	return fs.Bool("v", false, "verbose logging on stderr")
}

// runner returns the workflow runner the flags describe.
func (c *common) runner(log *slog.Logger) (*vcr.Runner, error) {
	if c.parallel < 0 {
		return nil, usageErrorf("--parallel %d: negative", c.parallel)
	}
	cfg := vcr.Config{
		Chrome:      c.chrome,
		Timeout:     c.timeout,
		Parallel:    c.parallel,
		Upstreams:   c.upstreams,
		RecordHosts: c.hosts,
		CADir:       c.caDir,
		Browser:     c.browser,
		Listen:      c.listen,
		Version:     version,
		Logger:      log,
	}
	if c.upstreamCA != "" {
		roots, err := ca.SystemRootsWith(c.upstreamCA)
		if err != nil {
			return nil, usageErrorf("--upstream-ca: %v", err)
		}
		cfg.UpstreamRootCAs = roots
	}
	r, err := vcr.New(cfg)
	if errors.Is(err, vcr.ErrListenAddr) {
		return nil, &exitError{code: exitUsage, err: err}
	}
	return r, err
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
	from, to, err := vcr.ParseUpstream(s)
	if err != nil {
		return err
	}
	u[from] = to
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
