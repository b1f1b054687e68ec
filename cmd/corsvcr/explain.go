package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/corsvcr/corsvcr/cassettes"
	"github.com/corsvcr/corsvcr/checks"
	"github.com/corsvcr/corsvcr/har"
	"github.com/corsvcr/corsvcr/internal/atomicfile"
	"github.com/corsvcr/corsvcr/predict"
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
	if *apply && sameFile(*cassette, *out) {
		return usageErrorf("explain: --out %q is the input %q itself: the fixed cassette would overwrite the recording; name another file", *out, *cassette)
	}
	cas, err := har.LoadCassette(*cassette)
	if err != nil {
		return err
	}
	var cs []checks.Check // nil: derived from the cassette
	if *checksPath != "" {
		file, err := checks.Load(*checksPath)
		if err != nil {
			return err
		}
		cs = file.Checks
	}
	exs, err := vcr.Explain(ctx, cas, cs)
	if err != nil {
		return err
	}
	if len(exs) == 0 {
		fmt.Fprintln(stdout, "no cross-origin exchange in", *cassette)
	}
	for _, ex := range exs {
		writeExplanation(stdout, ex.Check, ex.Explanation, ex.Note)
	}
	if *apply {
		fixes := vcr.Fixes(exs)
		var so []cassettes.SaveOption
		if atomicfile.IsPrivate(*cassette) {
			so = append(so, cassettes.WithSecrets()) // the fixed copy is as private
		}
		if err := cassettes.Save(*out, predict.Apply(cas, fixes), so...); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "\nwrote %s with %d fix(es) applied\n", *out, len(fixes))
	}
	return nil
}

// writeExplanation prints one check's explanation.
func writeExplanation(w io.Writer, c checks.Check, ex predict.Explanation, note string) {
	for i, st := range ex.Result.Steps {
		r := c.Steps[i].Request
		name := checks.Printable(c.Name)
		if len(ex.Result.Steps) > 1 {
			name = fmt.Sprintf("%s#%d", name, i+1)
		}
		method := r.Method
		if method == "" {
			method = "GET"
		}
		fmt.Fprintf(w, "%s: %s %s from %s\n", name, oneLine(method), oneLine(r.URL), oneLine(c.Page))
		if note != "" {
			fmt.Fprintf(w, "  derived:  %s\n", note)
		}
		v := st.Verdict
		fmt.Fprintf(w, "  verdict:  %s\n", vcr.Summary(&v))
		if v.Console != "" {
			fmt.Fprintf(w, "  console:  %s\n", oneLine(v.Console))
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
		fmt.Fprintf(w, "%s %s (interaction #%d, cures %s)\n", label, oneLine(f.String()), f.Interaction, f.Error)
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

// writeNote prints the predictor's lines of a result under its last row.
func writeNote(w io.Writer, indent string, r vcr.Result, last bool) {
	if !last {
		return
	}
	if r.Why != "" {
		fmt.Fprintf(w, "%s  why: %s\n", indent, oneLine(r.Why))
	}
	if r.Disagree != "" {
		fmt.Fprintf(w, "%s  warning: replay and prediction disagree: %s\n", indent, oneLine(r.Disagree))
	}
}
