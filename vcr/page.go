package vcr

import (
	"context"
	"fmt"
	"strings"

	"github.com/corsvcr/corsvcr/cassettes"
	"github.com/corsvcr/corsvcr/checks"
)

// RecordPage records a page visit: it loads the page v.URL live in Chrome
// through the recording proxy, which records every host the page touches
// (unless Config.RecordHosts says otherwise), and returns the run and a
// check file holding one page-visit check named name whose expectations
// are Chrome's verdicts on each cross-origin fetch and XHR the page made
// (checks.ExpectVerdicts). When the visit failed (Result.Error), the check
// has no expectations (Requests nil).
//
// `corsvcr check` of that file against the cassette loads the same page
// offline and requires the same verdicts: a page visit replays through
// Runner.Replay like any check. The predictor's note (Result.Why) is not
// given for page visits: the predictor knows the requests of checks, not
// those a page script makes.
func (r *Runner) RecordPage(ctx context.Context, name string, v checks.Visit) (*Run, *checks.File, error) {
	c := checks.Check{Name: name, Visit: &v}
	file := &checks.File{Version: 1, Checks: []checks.Check{c}}
	if err := file.Validate(); err != nil {
		return nil, nil, fmt.Errorf("vcr: record page: %w", err)
	}
	file.Checks[0].Page = v.Origin()
	run, err := r.Record(ctx, file)
	if err != nil {
		return nil, nil, err
	}
	if len(run.Results) == 1 && run.Results[0].Error == "" {
		file.Checks[0].Requests = checks.ExpectVerdicts(run.Results[0].Verdicts)
	}
	return run, file, nil
}

// SavePage writes what RecordPage returned: run's cassette to cassette, as
// SaveRun does (refusing an incomplete run unless opts.AllowIncomplete),
// then file to checks. The URLs of the page visits and of their requests
// are redacted and scanned with the cassette (opts.Extra is replaced), so
// a secret never reaches the check file either: a secret in the query of
// the page's URL is written as its placeholder in visit.url, and in the
// check's name when the name holds that URL (the default name of `corsvcr
// record --url`). Nothing is written when the cassette is refused or the
// visit failed (its check has no expectations).
func SavePage(cassette, checksPath string, run *Run, file *checks.File, opts SaveOptions) error {
	if len(file.Checks) == 0 || file.Checks[0].Requests == nil {
		if run.Incomplete() && !opts.AllowIncomplete {
			// Interrupted, or exchanges failed: SaveRun's refusal says
			// so, and writes nothing.
			return SaveRun(cassette, run, opts)
		}
		return fmt.Errorf("vcr: %q and %q not written: the page visit failed (see its error)", cassette, checksPath)
	}
	extra := pageRequests(file)
	visits := visitRequests(file)
	shown := resultRequests(run)
	opts.Extra = append(append(extra, visits...), shown...)
	// Redaction rewrites opts.Extra in place, also when the save is then
	// refused: the results (the table, --json, the reports) show the
	// redacted URLs whatever the outcome.
	edits := make([]urlEdit, len(opts.Extra))
	for i, r := range opts.Extra {
		edits[i] = urlEdit{req: r, old: r.URL}
	}
	defer redactResults(run, edits)
	if err := SaveRun(cassette, run, opts); err != nil {
		return err
	}
	setPageURLs(file, extra)
	setVisitURLs(file, visits)
	var so []checks.SaveOption
	if opts.KeepSecrets {
		so = append(so, checks.WithSecrets())
	}
	return checks.Save(checksPath, file, so...)
}

// resultRequests returns the URLs of run's verdicts (the requests a page
// visit made) as cassette requests, for redaction with the cassette.
func resultRequests(run *Run) []*cassettes.Request {
	var out []*cassettes.Request
	for _, res := range run.Results {
		for _, v := range res.Verdicts {
			if v.URL != "" {
				out = append(out, &cassettes.Request{Method: v.Method, URL: v.URL})
			}
		}
	}
	return out
}

// urlEdit is a URL redaction may have rewritten: req.URL now, old before.
type urlEdit struct {
	req *cassettes.Request
	old string
}

// redactResults replaces, in run's results, every URL that redaction
// rewrote (edits) by its redacted form: check names, verdict URLs, console
// messages, mismatches and misses name them.
func redactResults(run *Run, edits []urlEdit) {
	var pairs []string
	for _, e := range edits {
		if e.req.URL == e.old {
			continue
		}
		pairs = append(pairs, e.old, e.req.URL)
		if _, o, ok := strings.Cut(e.old, "://"); ok {
			_, r, _ := strings.Cut(e.req.URL, "://")
			pairs = append(pairs, o, r) // names carry the URL without its scheme
		}
	}
	if len(pairs) == 0 {
		return
	}
	r := strings.NewReplacer(pairs...)
	for i := range run.Results {
		res := &run.Results[i]
		res.Name = r.Replace(res.Name)
		for j := range res.Verdicts {
			v := &res.Verdicts[j]
			v.URL, v.Console, v.JSError = r.Replace(v.URL), r.Replace(v.Console), r.Replace(v.JSError)
		}
		for j := range res.Mismatches {
			m := &res.Mismatches[j]
			m.Want, m.Got = r.Replace(m.Want), r.Replace(m.Got)
		}
		for j := range res.Misses {
			res.Misses[j] = r.Replace(res.Misses[j])
		}
		res.Error = r.Replace(res.Error)
	}
}

// pageRequests returns the expected requests of file's page visits as
// cassette requests, for redaction with the cassette.
func pageRequests(file *checks.File) []*cassettes.Request {
	var out []*cassettes.Request
	for _, c := range file.Checks {
		for _, pr := range c.Requests {
			out = append(out, &cassettes.Request{Method: pr.Method, URL: pr.URL})
		}
	}
	return out
}

// setPageURLs writes back into file the URLs of reqs (pageRequests).
func setPageURLs(file *checks.File, reqs []*cassettes.Request) {
	i := 0
	for ci := range file.Checks {
		for pi := range file.Checks[ci].Requests {
			file.Checks[ci].Requests[pi].URL = reqs[i].URL
			i++
		}
	}
}

// visitRequests returns the page of each page visit of file as a cassette
// request, for redaction with the cassette.
func visitRequests(file *checks.File) []*cassettes.Request {
	var out []*cassettes.Request
	for _, c := range file.Checks {
		if c.Visit != nil {
			out = append(out, &cassettes.Request{Method: "GET", URL: c.Visit.URL})
		}
	}
	return out
}

// setVisitURLs writes back into file the page URLs of reqs
// (visitRequests), and replaces the page URL (without its scheme, as
// `corsvcr record --url` names a visit) in the check's name by the
// redacted one.
func setVisitURLs(file *checks.File, reqs []*cassettes.Request) {
	i := 0
	for ci := range file.Checks {
		c := &file.Checks[ci]
		if c.Visit == nil {
			continue
		}
		old, redacted := c.Visit.URL, reqs[i].URL
		i++
		if old == redacted {
			continue
		}
		v := *c.Visit
		v.URL = redacted
		c.Visit = &v
		if _, o, ok := strings.Cut(old, "://"); ok {
			_, r, _ := strings.Cut(redacted, "://")
			c.Name = strings.ReplaceAll(c.Name, o, r)
		}
	}
}
