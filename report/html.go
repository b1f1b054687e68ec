package report

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"html/template"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/corsvcr/corsvcr/cassettes"
	"github.com/corsvcr/corsvcr/checks"
	"github.com/corsvcr/corsvcr/predict"
	"github.com/corsvcr/corsvcr/replay"
	"github.com/corsvcr/corsvcr/vcr"
)

// HTML writes run as one self-contained HTML page for people to read: a
// summary bar (passed, failed, missed, errors, not run), then per check
// Chrome's verdict on each step with its console message, the broken
// expectations, replay misses and errors, and, when the run has a
// cassette and a check file, the sequence of requests Chrome sent for each
// step (preflight, actual request, redirect hops) with their request and
// response headers as the cassette answered them, the response header that
// decided a blocked verdict highlighted, the predictor's rule and its fix
// (vcr.Explain, offline). A run with a live run beside it (Run.Live) shows
// the live and replayed verdicts side by side.
//
// The page loads nothing: no network, no font, no external script or
// style sheet; its CSS and its one small script are inline, and its
// Content-Security-Policy allows that script only (by hash), so that a
// value from a check file, a server or a cassette, all HTML-escaped, could
// not run as script even if escaping failed. ctx bounds the predictor.
func HTML(ctx context.Context, w io.Writer, run Run) error {
	data, err := htmlDataOf(ctx, run)
	if err != nil {
		return err
	}
	if err := pageTemplate.Execute(w, data); err != nil {
		return fmt.Errorf("report: html: %w", err)
	}
	return nil
}

type htmlData struct {
	Title      string
	CSP        string
	Script     template.JS
	Browser    string
	ChecksPath string
	Cassette   string
	SideBySide bool
	Counts     []htmlCount
	Total      int
	Checks     []htmlCheck
}

type htmlCount struct {
	Class, Label string
	N            int
}

type htmlCheck struct {
	ID       string
	Name     string
	Status   string // a status: "passed", "failed", …
	Class    string // the status as a CSS class
	Line     int
	Page     string
	Duration string
	Problems []string
	Why      string
	Disagree string
	Steps    []htmlStep
	Fixes    []string
	Stack    string
	Note     string // why no exchange is shown
}

type htmlStep struct {
	N         int
	Prefix    string // "step 2: " in a check of several steps
	Request   string
	Replay    *htmlVerdict // Chrome's verdict (against the replay, when Live is set)
	Live      *htmlVerdict
	Exchanges []htmlExchange
	Rule      string
	Miss      bool
}

type htmlVerdict struct {
	Summary  string
	Allowed  bool
	Miss     bool // Chrome's verdict on the replay's miss answer, no CORS verdict
	Console  string
	JSError  string
	Readable string
}

type htmlExchange struct {
	Kind          string // preflight, actual, redirect
	Interaction   int
	Method, URL   string
	ReqHeaders    []htmlHeader
	Status        int
	StatusDecides bool
	Unrecorded    bool // no interaction answered it: a replay miss
	RespHeaders   []htmlHeader
	Body          string
}

type htmlHeader struct {
	Name, Value string
	Decides     bool
	Missing     bool
}

// htmlDataOf computes what the page shows.
func htmlDataOf(ctx context.Context, run Run) (*htmlData, error) {
	d := &htmlData{
		Title:      cmp.Or(run.Name, "corsvcr") + " report",
		Browser:    run.Browser,
		ChecksPath: run.ChecksPath,
		Cassette:   run.Report.Cassette,
		SideBySide: run.Live != nil,
		Script:     template.JS(pageScript),
	}
	sum := sha256.Sum256([]byte(pageScript))
	d.CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; script-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"

	explanations := map[string]vcr.Explanation{}
	if run.Cassette != nil && run.Checks != nil {
		exs, err := vcr.Explain(ctx, run.Cassette, run.Checks.Checks)
		if err != nil {
			return nil, fmt.Errorf("report: html: %w", err)
		}
		for _, ex := range exs {
			explanations[ex.Check.Name] = ex
		}
	}
	counts := map[status]int{}
	for i, c := range run.checksOf() {
		st := c.status()
		counts[st]++
		hc := htmlCheck{ID: fmt.Sprintf("check-%d", i+1), Name: c.name, Status: string(st), Class: strings.ReplaceAll(string(st), " ", "-"), Line: c.line}
		if c.def != nil {
			hc.Page = c.def.Page
		}
		if st != statusPass {
			hc.Problems = c.problems()
		}
		if r := c.result; r != nil {
			if r.Duration > 0 {
				hc.Duration = r.Duration.Round(time.Millisecond).String()
			}
			hc.Why, hc.Disagree = r.Why, r.Disagree
		}
		ex, explained := explanations[c.name]
		hc.Steps = stepsOf(c, ex, explained)
		switch {
		case explained:
			for _, f := range ex.Fixes {
				hc.Fixes = append(hc.Fixes, fmt.Sprintf("%s (interaction #%d, cures %s)", f.String(), f.Interaction, f.Error))
			}
			if s, ok := stackOf(ex.Explanation); ok && len(ex.Fixes) > 0 {
				hc.Stack = s.Name + ": " + s.Advice
			}
		case run.Cassette == nil:
			hc.Note = cmp.Or(run.NoExchanges, "no cassette: the exchanges of a live run without one are not kept")
		case run.Checks == nil:
			hc.Note = "no check file given: the exchanges are not shown"
		}
		d.Checks = append(d.Checks, hc)
	}
	d.Total = len(d.Checks)
	d.Counts = []htmlCount{
		{"passed", "passed", counts[statusPass]},
		{"failed", "failed", counts[statusFail]},
		{"missed", "missed", counts[statusMiss]},
		{"error", "errors", counts[statusError]},
		{"not-run", "not run", counts[statusNotRun]},
	}
	if run.Live != nil {
		d.Counts = append(d.Counts, htmlCount{"differed", "live ≠ replay", counts[statusDiffered]})
	}
	if run.Checks == nil && run.Report.Summary.NotRun > 0 {
		d.Counts[4].N += run.Report.Summary.NotRun
		d.Total += run.Report.Summary.NotRun
	}
	return d, nil
}

// stepsOf returns the steps of c: its request, Chrome's verdicts and,
// when explained, the exchanges the cassette answered it with.
func stepsOf(c check, ex vcr.Explanation, explained bool) []htmlStep {
	n := 0
	if c.def != nil {
		n = len(c.def.Steps)
	}
	if c.result != nil {
		n = max(n, len(c.result.Verdicts))
	}
	if c.live != nil {
		n = max(n, len(c.live.Verdicts))
	}
	fixes := ex.Fixes
	var out []htmlStep
	for i := range n {
		s := htmlStep{N: i + 1}
		if n > 1 {
			s.Prefix = fmt.Sprintf("step %d: ", i+1)
		}
		if c.def != nil && i < len(c.def.Steps) {
			r := c.def.Steps[i].Request.WithDefaults()
			s.Request = requestText(r)
		}
		if c.result != nil && i < len(c.result.Verdicts) {
			s.Replay = verdictOf(c.result.Verdicts[i])
		}
		if c.live != nil && i < len(c.live.Verdicts) {
			s.Live = verdictOf(c.live.Verdicts[i])
		}
		if explained && i < len(ex.Result.Steps) {
			st := ex.Result.Steps[i]
			s.Rule, s.Miss = st.Rule, st.Miss
			var decide *predict.Fix
			if !st.Verdict.Allowed {
				decide = decidingFix(st, fixes)
			}
			for _, h := range st.Hops {
				s.Exchanges = append(s.Exchanges, exchangeOf(h, st, decide))
			}
		}
		out = append(out, s)
	}
	return out
}

// decidingFix returns the first fix that changes a response of st's
// exchanges: the header (or status) that decided Chrome's verdict.
func decidingFix(st predict.Step, fixes []predict.Fix) *predict.Fix {
	for i, f := range fixes {
		if f.Add != nil {
			continue
		}
		for _, h := range st.Hops {
			if h.Interaction == f.Interaction && kindOf(h, st) == f.Target {
				return &fixes[i]
			}
		}
	}
	return nil
}

// kindOf names an exchange of st: "preflight" (a request with
// Access-Control-Request-Method), "actual" (the last request, st.Actual) or
// "redirect" (any other: a request answered with a redirect that Chrome
// followed).
func kindOf(h predict.Exchange, st predict.Step) string {
	a := st.Actual
	switch {
	case a != nil && h.Interaction == a.Interaction && h.Request.Method == a.Request.Method && h.Request.URL == a.Request.URL:
		return "actual"
	case h.Request.Method == "OPTIONS" && requestHas(h.Request, "Access-Control-Request-Method"):
		return "preflight"
	case a == nil:
		return "actual"
	}
	return "redirect"
}

func requestHas(r cassettes.Request, name string) bool {
	for _, h := range r.Headers {
		if strings.EqualFold(h.Name, name) {
			return true
		}
	}
	return false
}

func exchangeOf(h predict.Exchange, st predict.Step, decide *predict.Fix) htmlExchange {
	kind := kindOf(h, st)
	e := htmlExchange{Kind: kind, Interaction: h.Interaction, Method: h.Request.Method, URL: h.Request.URL, Status: h.Response.Status}
	e.Unrecorded = h.Interaction < 0 && st.Miss
	for _, x := range h.Request.Headers {
		e.ReqHeaders = append(e.ReqHeaders, htmlHeader{Name: x.Name, Value: x.Value})
	}
	mine := decide != nil && decide.Interaction == h.Interaction && decide.Target == kind
	found := false
	for _, x := range h.Response.Headers {
		hh := htmlHeader{Name: x.Name, Value: x.Value}
		if mine && decide.Header != "" && strings.EqualFold(x.Name, decide.Header) {
			hh.Decides, found = true, true
		}
		e.RespHeaders = append(e.RespHeaders, hh)
	}
	if mine && decide.Header != "" && !found {
		e.RespHeaders = append(e.RespHeaders, htmlHeader{Name: decide.Header, Value: "(missing)", Decides: true, Missing: true})
	}
	if mine && decide.Status != 0 {
		e.StatusDecides = true
	}
	if b := h.Response.Body; len(b) > 0 && b.IsText() {
		e.Body = truncate(string(b), 2000)
	}
	return e
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// verdictOf renders Chrome's verdict v. A verdict on the replay's answer
// to a miss (status 599 with the X-Corsvcr-Miss header, replay.MissHeader)
// says nothing about the server: it is shown as a miss, not as allowed.
func verdictOf(v checks.Verdict) *htmlVerdict {
	hv := &htmlVerdict{Summary: verdictSummary(v), Allowed: v.Allowed && v.NetworkError == "", Console: v.Console, JSError: v.JSError}
	if isMiss(v) {
		hv.Miss, hv.Allowed = true, false
	}
	if len(v.ReadableHeaders) > 0 {
		hv.Readable = strings.Join(v.ReadableHeaders, ", ")
	}
	return hv
}

// isMiss reports whether v is Chrome's verdict on the replay's answer to a
// miss (replay.MissStatus with replay.MissHeader): no CORS verdict at all.
func isMiss(v checks.Verdict) bool {
	return v.Status == replay.MissStatus && v.Allowed &&
		slices.ContainsFunc(v.ReadableHeaders, func(h string) bool { return strings.EqualFold(h, replay.MissHeader) })
}

// verdictSummary is vcr.Summary, but a miss says so rather than "allowed
// 599".
func verdictSummary(v checks.Verdict) string {
	if isMiss(v) {
		return "replay miss: the cassette has no answer (Chrome got the replay's " + strconv.Itoa(replay.MissStatus) + ")"
	}
	return vcr.Summary(&v)
}

// requestText renders what the script asked for: "POST http://x/y
// (credentials include, Content-Type: application/json)".
func requestText(r checks.Request) string {
	var opts []string
	if r.Credentials != checks.CredentialsSameOrigin {
		opts = append(opts, "credentials "+string(r.Credentials))
	}
	if r.Mode != checks.ModeCORS {
		opts = append(opts, "mode "+string(r.Mode))
	}
	if r.API != checks.APIFetch {
		opts = append(opts, "api "+string(r.API))
	}
	if r.Redirect != checks.RedirectFollow {
		opts = append(opts, "redirect "+string(r.Redirect))
	}
	for _, h := range r.Headers {
		opts = append(opts, h.Name+": "+h.Value)
	}
	s := r.Method + " " + r.URL
	if len(opts) > 0 {
		s += " (" + strings.Join(opts, ", ") + ")"
	}
	return s
}

// stackOf reveals the server stack from the responses ex saw.
func stackOf(ex predict.Explanation) (predict.Stack, bool) {
	for _, st := range ex.Result.Steps {
		for _, h := range st.Hops {
			if s, ok := predict.DetectStack(h.Response); ok {
				return s, true
			}
		}
	}
	return predict.Stack{}, false
}
