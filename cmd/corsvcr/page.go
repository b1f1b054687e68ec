package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/corsvcr/corsvcr/checks"
	"github.com/corsvcr/corsvcr/vcr"
)

// pageFlags are record's page-mode flags: `corsvcr record --url U
// --cassette C --checks-out F` records a page visit.
type pageFlags struct {
	url       string
	checksOut string
	idle      time.Duration
	afterLoad string
	name      string
}

func (p *pageFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&p.url, "url", "", "page mode: load this page (absolute http or https URL) in Chrome through the recorder, record everything it loads, and write a page-visit check to --checks-out (instead of --checks)")
	fs.StringVar(&p.checksOut, "checks-out", "", "page mode: the check file to write, a page visit expecting Chrome's verdict on each cross-origin fetch and XHR of the page")
	fs.DurationVar(&p.idle, "idle", checks.DefaultIdle, "page mode: the page is settled when no request has been in flight this long (after the load, and again after --after-load)")
	fs.StringVar(&p.afterLoad, "after-load", "", "page mode: JavaScript to run in the page once it is settled (awaited if it returns a promise), e.g. 'document.querySelector(\"#save\").click()'")
	fs.StringVar(&p.name, "name", "", "page mode: the name of the page-visit check (default: the URL without its scheme)")
}

// set reports whether page mode was asked for.
func (p *pageFlags) set() bool { return p.url != "" }

// defaultName is a page visit's name when --name is not given:
// "localhost:5173/" for http://localhost:5173/.
func defaultName(raw string) string {
	if u, err := url.Parse(raw); err == nil && u.Host != "" {
		return strings.TrimPrefix(raw, u.Scheme+"://")
	}
	return raw
}

// samePath reports whether the paths a and b name the same file: the same
// cleaned absolute path, or, when both exist, the same file (a link).
func samePath(a, b string) bool {
	aa, err1 := filepath.Abs(a)
	ab, err2 := filepath.Abs(b)
	if err1 == nil && err2 == nil && aa == ab {
		return true
	}
	fa, err1 := os.Stat(a)
	fb, err2 := os.Stat(b)
	return err1 == nil && err2 == nil && os.SameFile(fa, fb)
}

// recordPage is `corsvcr record --url`.
func recordPage(ctx context.Context, c *common, p *pageFlags, sec secretFlags, inc incomplete, rf reportFlags, stdout, stderr io.Writer) error {
	switch {
	case c.checks != "":
		return usageErrorf("record: --url and --checks exclude each other (page mode writes its check file to --checks-out)")
	case c.run != "":
		return usageErrorf("record: --run selects checks of --checks; it has no use with --url (JavaScript to run in the page is --after-load)")
	case c.shard != "":
		return usageErrorf("record: --shard shares out the checks of --checks; it has no use with --url (one page visit)")
	case c.cassette == "" || p.checksOut == "":
		return usageErrorf("record: --url needs --cassette and --checks-out")
	case samePath(c.cassette, p.checksOut):
		return usageErrorf("record: --cassette and --checks-out name the same file %q (the check file would overwrite the cassette)", p.checksOut)
	case p.idle <= 0 || p.idle > checks.MaxIdle:
		return usageErrorf("record: --idle %v is out of range (0s, %v]", p.idle, checks.MaxIdle)
	}
	name := p.name
	if name == "" {
		name = defaultName(p.url)
	}
	v := checks.Visit{URL: p.url, AfterLoad: p.afterLoad}
	if p.idle != checks.DefaultIdle {
		v.Idle = p.idle
	}
	if err := (checks.Check{Name: name, Visit: &v}).Validate(); err != nil {
		return usageErrorf("record: --url: %v", err)
	}
	log := newLogger(stderr, *c.verbose)
	r, err := c.runner(log)
	if err != nil {
		return err
	}
	run, file, err := r.RecordPage(ctx, name, v)
	if err != nil {
		return err
	}
	save := func() error {
		return vcr.SavePage(c.cassette, p.checksOut, run, file, inc.options(run, sec.options(log, nil)))
	}
	in := reportInput{name: "corsvcr record", run: run, file: file, checksPath: p.checksOut, cas: run.Cassette, secrets: sec}
	if err := saveRecording(ctx, c, in, rf, save, stdout, stderr); err != nil {
		return err
	}
	if !c.jsonOut {
		n := len(file.Checks[0].Requests)
		fmt.Fprintf(stdout, "checks: %s (page visit %s: %d cross-origin %s)\n", checks.Printable(p.checksOut), checks.Printable(file.Checks[0].Name), n, plural(n, "request", "requests"))
	}
	return outcome(run, stderr)
}
