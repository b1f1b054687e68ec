package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"

	"github.com/corsvcr/corsvcr/cassettes"
	"github.com/corsvcr/corsvcr/checks"
	"github.com/corsvcr/corsvcr/internal/fetch"
	"github.com/corsvcr/corsvcr/predict"
	"github.com/corsvcr/corsvcr/replay"
	"github.com/corsvcr/corsvcr/vcr"
)

const explainUsage = `corsvcr explain --cassette C [--checks F] [--apply --out FIXED.yaml]

For each cross-origin exchange of the cassette (or HAR file: C ending in
.har), or for each check of F, prints the verdict Chrome gives (predicted
offline, no browser), Chrome's console message, the rule that failed and the
exact fix: which response header to add or change and to what value, for
the preflight or the actual response, with configuration advice for the
server stack when the response reveals it. Without --checks the checks are
derived from the recorded requests; the credentials mode is then a guess
(include when a Cookie or Authorization was sent or the response carries
Access-Control-Allow-Credentials). --apply writes the cassette with every
fix applied to the recorded responses to --out.
`

func cmdExplain(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("explain", flag.ContinueOnError)
	fs.Usage = func() { fmt.Fprint(stderr, explainUsage); fs.PrintDefaults() }
	cassette := fs.String("cassette", "", "cassette (YAML) or HAR file (.har) to explain")
	checksPath := fs.String("checks", "", "check file whose checks to explain (default: one per cross-origin exchange of the cassette)")
	apply := fs.Bool("apply", false, "write the cassette with every fix applied to --out")
	out := fs.String("out", "", "where --apply writes the fixed cassette")
	if err := parse(fs, args, stderr); err != nil {
		return err
	}
	if *cassette == "" {
		return usageErrorf("explain: --cassette is required")
	}
	if *apply != (*out != "") {
		return usageErrorf("explain: --apply and --out go together")
	}
	cas, err := loadCassetteOrHAR(*cassette)
	if err != nil {
		return err
	}
	var cs []checks.Check
	var notes []string
	if *checksPath != "" {
		file, err := checks.Load(*checksPath)
		if err != nil {
			return err
		}
		cs = file.Checks
	} else {
		cs, notes = derivedChecks(cas)
	}
	if len(cs) == 0 {
		fmt.Fprintln(stdout, "no cross-origin exchange in", *cassette)
	}
	var fixes []predict.Fix
	added := 0
	for i, c := range cs {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		ex, err := predict.Explain(c, replay.Config{Cassette: cas, OriginMap: cas.Meta.OriginMap})
		if err != nil {
			return err
		}
		note := ""
		if notes != nil {
			note = notes[i]
		}
		// Interactions a fix adds are appended after those of earlier
		// checks' fixes.
		for j := range ex.Fixes {
			if ex.Fixes[j].Add != nil {
				ex.Fixes[j].Interaction = len(cas.Interactions) + added
				added++
			}
		}
		writeExplanation(stdout, c, ex, note)
		fixes = append(fixes, ex.Fixes...)
	}
	if *apply {
		fixed := predict.Apply(cas, fixes)
		if err := cassettes.Save(*out, fixed); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "\nwrote %s with %d fix(es) applied\n", *out, len(fixes))
	}
	return nil
}

// loadCassetteOrHAR loads a cassette, or imports a HAR file.
func loadCassetteOrHAR(path string) (*cassettes.Cassette, error) {
	if !strings.HasSuffix(strings.ToLower(path), ".har") {
		return cassettes.Load(path)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("explain: %w", err)
	}
	cas, _, err := cassettes.ImportHAR(path, data)
	return cas, err
}

// writeExplanation prints one check's explanation.
func writeExplanation(w io.Writer, c checks.Check, ex predict.Explanation, note string) {
	for i, st := range ex.Result.Steps {
		r := c.Steps[i].Request
		name := c.Name
		if len(ex.Result.Steps) > 1 {
			name = fmt.Sprintf("%s#%d", c.Name, i+1)
		}
		method := r.Method
		if method == "" {
			method = "GET"
		}
		fmt.Fprintf(w, "%s: %s %s from %s\n", name, method, r.URL, c.Page)
		if note != "" {
			fmt.Fprintf(w, "  derived:  %s\n", note)
		}
		v := st.Verdict
		fmt.Fprintf(w, "  verdict:  %s\n", vcr.Summary(&v))
		if v.Console != "" {
			fmt.Fprintf(w, "  console:  %s\n", v.Console)
		}
		if st.Rule != "" {
			fmt.Fprintf(w, "  rule:     %s\n", st.Rule)
		}
		if st.Unsupported != "" {
			fmt.Fprintf(w, "  note:     the predictor does not model %s: this verdict may differ from Chrome's\n", st.Unsupported)
		}
		if st.Miss {
			fmt.Fprintf(w, "  note:     the cassette has no answer for a request Chrome sends\n")
		}
	}
	if len(ex.Fixes) == 0 {
		if !allowed(ex.Result) {
			fmt.Fprintf(w, "  fix:      none in the responses%s\n", noFixHint(ex.Result))
		}
		return
	}
	for i, f := range ex.Fixes {
		label := "  fix:     "
		if i > 0 {
			label = "           "
		}
		fmt.Fprintf(w, "%s %s (interaction #%d, cures %s)\n", label, f, f.Interaction, f.Error)
	}
	if st, ok := stackOf(ex); ok {
		fmt.Fprintf(w, "  stack:    %s: %s\n", st.Name, st.Advice)
	}
	last := ex.Fixed.Steps[len(ex.Fixed.Steps)-1].Verdict
	fmt.Fprintf(w, "  fixed:    %s\n", vcr.Summary(&last))
}

func allowed(r predict.Result) bool {
	for _, st := range r.Steps {
		if !st.Verdict.Allowed {
			return false
		}
	}
	return true
}

// noFixHint explains a block no response change cures.
func noFixHint(r predict.Result) string {
	for _, st := range r.Steps {
		switch {
		case st.Verdict.CorsError == "DisallowedByMode":
			return ": the page asked for mode 'same-origin'; use mode 'cors' for a cross-origin request"
		case st.Verdict.JSError != "" && st.Verdict.CorsError == "":
			return ": the script's request is rejected before it is sent (" + st.Verdict.JSError + ")"
		}
	}
	return ""
}

// stackOf reveals the server stack from the responses the explanation saw.
func stackOf(ex predict.Explanation) (predict.Stack, bool) {
	for _, st := range ex.Result.Steps {
		for _, e := range []*predict.Exchange{st.Actual, st.Preflight} {
			if e == nil {
				continue
			}
			if s, ok := predict.DetectStack(e.Response); ok {
				return s, true
			}
		}
	}
	return predict.Stack{}, false
}

// derivedChecks returns one check per cross-origin exchange of cas: each
// actual request carrying an Origin other than its URL's, and each
// preflight that no actual request follows (the preflight failed), with a
// note on what was guessed.
func derivedChecks(cas *cassettes.Cassette) ([]checks.Check, []string) {
	var out []checks.Check
	var notes []string
	paired := map[int]bool{}
	for i, in := range cas.Interactions {
		if in.Kind == cassettes.KindPreflight {
			continue
		}
		origin, ok := in.Request.Headers.Get("Origin")
		if !ok || origin == "null" || sameOrigin(origin, in.Request.URL) {
			continue
		}
		for j := i - 1; j >= 0; j-- {
			p := cas.Interactions[j]
			acrm, _ := p.Request.Headers.Get("Access-Control-Request-Method")
			po, _ := p.Request.Headers.Get("Origin")
			if p.Kind == cassettes.KindPreflight && !paired[j] && p.Request.URL == in.Request.URL && po == origin && acrm == in.Request.Method {
				paired[j] = true
				break
			}
		}
		r := checks.Request{URL: in.Request.URL, Method: in.Request.Method, Body: string(in.Request.Body)}
		for _, h := range in.Request.Headers {
			if scriptHeader(h.Name) && !(strings.EqualFold(h.Name, "Accept") && h.Value == "*/*") {
				r.Headers = append(r.Headers, checks.Header{Name: h.Name, Value: h.Value})
			}
		}
		cred, why := guessCredentials(in.Request.Headers, in.Response.Headers)
		r.Credentials = checks.Credentials(cred)
		out = append(out, checks.Check{Name: fmt.Sprintf("#%d", i), Page: origin, Steps: []checks.Step{{Request: r}}})
		notes = append(notes, "credentials "+cred+" ("+why+")")
	}
	for j, p := range cas.Interactions {
		if p.Kind != cassettes.KindPreflight || paired[j] {
			continue
		}
		origin, _ := p.Request.Headers.Get("Origin")
		acrm, _ := p.Request.Headers.Get("Access-Control-Request-Method")
		acrh, _ := p.Request.Headers.Get("Access-Control-Request-Headers")
		r := checks.Request{URL: p.Request.URL, Method: acrm}
		for n := range strings.SplitSeq(acrh, ",") {
			if n = strings.TrimSpace(n); n == "" {
				continue
			}
			v := "x"
			if strings.EqualFold(n, "content-type") {
				v = "application/json"
			}
			r.Headers = append(r.Headers, checks.Header{Name: n, Value: v})
		}
		if acrm != "GET" && acrm != "HEAD" {
			r.Body = "{}"
		}
		cred, why := guessCredentials(nil, p.Response.Headers)
		r.Credentials = checks.Credentials(cred)
		out = append(out, checks.Check{Name: fmt.Sprintf("#%d", j), Page: origin, Steps: []checks.Step{{Request: r}}})
		notes = append(notes, "from a preflight no actual request followed; header values guessed; credentials "+cred+" ("+why+")")
	}
	return out, notes
}

// scriptHeader reports whether a recorded request header may have been set
// by the page script rather than by the browser.
func scriptHeader(name string) bool {
	n := strings.ToLower(name)
	switch n {
	case "host", "origin", "referer", "user-agent", "accept-encoding", "accept-language", "connection",
		"content-length", "cookie", "priority", "pragma", "cache-control":
		return false
	}
	return !strings.HasPrefix(n, "sec-") && !strings.HasPrefix(n, "proxy-")
}

func guessCredentials(req, resp cassettes.Headers) (string, string) {
	if _, ok := req.Get("Cookie"); ok {
		return "include", "the request sent a Cookie"
	}
	if _, ok := resp.Get("Access-Control-Allow-Credentials"); ok {
		return "include", "guessed: the response carries Access-Control-Allow-Credentials"
	}
	return "same-origin", "guessed: no cookie sent, no Access-Control-Allow-Credentials"
}

// sameOrigin reports whether the URL raw is at origin (fetch.SameOrigin).
func sameOrigin(origin, raw string) bool {
	u, err := url.Parse(raw)
	if err != nil {
		return false
	}
	o, err := url.Parse(origin)
	return err == nil && fetch.SameOrigin(u, o)
}

// writeNote prints the predictor's lines of a result under its last row.
func writeNote(w io.Writer, indent string, r vcr.Result, last bool) {
	if !last {
		return
	}
	if r.Why != "" {
		fmt.Fprintf(w, "%s  why: %s\n", indent, r.Why)
	}
	if r.Disagree != "" {
		fmt.Fprintf(w, "%s  warning: replay and prediction disagree: %s\n", indent, r.Disagree)
	}
}
