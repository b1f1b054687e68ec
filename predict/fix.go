package predict

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/corsvcr/corsvcr/cassettes"
	"github.com/corsvcr/corsvcr/checks"
	"github.com/corsvcr/corsvcr/internal/fetch"
	"github.com/corsvcr/corsvcr/replay"
)

// Fix is one change to a recorded response after which Chrome gets further
// with a blocked request.
type Fix struct {
	// Interaction is the index, in the cassette, of the response to change.
	Interaction int
	// Target is "preflight" or "actual": which response of the exchange.
	Target string
	// Header is the response header to set (every line of it replaced by
	// one line with Value); "" when only Status changes.
	Header string
	Value  string
	// Status, when non-zero, is the status the response must have; Remove
	// lists headers to delete (Location of a redirected preflight).
	Status int
	Remove []string
	// Error is the CorsError the fix cures.
	Error string
	// Add, when set, is an interaction the cassette lacks and the server
	// must answer (the actual request of a preflight that never passed
	// before): Apply appends it, at index Interaction. Its response is a
	// placeholder that passes the CORS check.
	Add *cassettes.Interaction
}

// String renders the fix as the change to make, e.g.
// `actual response: set Access-Control-Allow-Origin: http://localhost:8080`.
func (f Fix) String() string {
	if f.Add != nil {
		h := []string{}
		for _, x := range f.Add.Response.Headers {
			if strings.HasPrefix(x.Name, "Access-Control-") {
				h = append(h, x.Name+": "+x.Value)
			}
		}
		return fmt.Sprintf("%s response: the cassette has none for %s %s; the server must answer it with %s (a placeholder response is added)",
			f.Target, f.Add.Request.Method, f.Add.Request.URL, strings.Join(h, ", "))
	}
	var parts []string
	if f.Status != 0 {
		parts = append(parts, "answer with status "+strconv.Itoa(f.Status))
	}
	for _, h := range f.Remove {
		parts = append(parts, "remove "+h)
	}
	if f.Header != "" {
		parts = append(parts, "set "+f.Header+": "+f.Value)
	}
	return f.Target + " response: " + strings.Join(parts, ", ")
}

// Explanation is why Chrome blocks a check and how to make it pass.
type Explanation struct {
	// Result is the prediction on the recorded responses.
	Result Result
	// Fixes are the changes to the recorded responses after which every
	// step is predicted allowed, in the order they were found; nil when
	// nothing is blocked or no response change can help (Fixed then tells).
	Fixes []Fix
	// Fixed is the prediction with Fixes applied.
	Fixed Result
}

// Explain predicts c against a fresh replay configured by cfg (a
// replay.Session of cfg: its cassette, origin map and strictness) and, for
// a blocked step, finds the changes to the recorded responses that make
// Chrome allow it: it fixes the error Chrome would report, predicts again (a
// fixed preflight reveals the actual response's problems) and repeats, at
// most a few rounds. Fix.Interaction indexes cfg.Cassette. To explain many
// checks against one cassette, build its replay.Replayer once and call
// ExplainReplay.
func Explain(c checks.Check, cfg replay.Config) (Explanation, error) {
	r, err := replay.New(cfg)
	if err != nil {
		return Explanation{}, err
	}
	return ExplainReplay(c, r, nil)
}

// ExplainReplay is Explain against a replay of r's cassette and Config
// that continues from from, a replay.Session of r that answered the checks
// before c (nil: a fresh replay, whatever r has served), so c gets its own
// recorded answers as in `corsvcr check`; from is left as it is. Each round
// predicts against a replay.Session of r with the fixes so far as a
// replay.Patch, so its cost does not grow with the cassette.
func ExplainReplay(c checks.Check, r *replay.Replayer, from *replay.Session) (Explanation, error) {
	var ex Explanation
	var fixes []Fix
	cas := r.Cassette()
	for round := 0; round < 8; round++ {
		p := patch(cas, fixes)
		sess, err := r.SimulateFrom(p, from)
		if err != nil {
			return Explanation{}, err
		}
		res := Predict(c, sess)
		if round == 0 {
			ex.Result = res
		}
		ex.Fixed = res
		next := nextFix(res, len(cas.Interactions)+len(p.Added))
		if next == nil {
			break
		}
		fixes = append(fixes, *next)
	}
	ex.Fixes = fixes
	return ex, nil
}

// patch returns fixes as a change to cas: what Apply(cas, fixes) changes,
// without copying cas.
func patch(cas *cassettes.Cassette, fixes []Fix) replay.Patch {
	var p replay.Patch
	n := len(cas.Interactions)
	for _, f := range fixes {
		if f.Add != nil {
			p.Added = append(p.Added, *f.Add)
			continue
		}
		i := f.Interaction
		switch {
		case i >= 0 && i < n:
			resp, ok := p.Responses[i]
			if !ok {
				resp = cas.Interactions[i].Response
			}
			resp.Headers = slices.Clone(resp.Headers)
			applyFix(&resp, f)
			if p.Responses == nil {
				p.Responses = map[int]cassettes.Response{}
			}
			p.Responses[i] = resp
		case i >= n && i < n+len(p.Added):
			a := &p.Added[i-n]
			a.Response.Headers = slices.Clone(a.Response.Headers)
			applyFix(&a.Response, f)
		}
	}
	return p
}

// nextFix returns the fix for the first blocked step of res, or nil.
func nextFix(res Result, n int) *Fix {
	for _, st := range res.Steps {
		v := st.Verdict
		if st.Miss && st.Actual != nil && st.Preflight != nil {
			// The preflight passes now; the actual request was never
			// recorded because it never went out.
			origin, _ := st.Actual.Request.Headers.Get("Origin")
			resp := cassettes.Response{Status: 200, Headers: cassettes.Headers{
				{Name: "Access-Control-Allow-Origin", Value: origin},
				{Name: "Vary", Value: "Origin"},
				{Name: "Content-Type", Value: "application/json"},
			}, Body: cassettes.Body("{}")}
			if cred, _ := st.Preflight.Response.Headers.Get("Access-Control-Allow-Credentials"); cred == "true" {
				resp.Headers = append(resp.Headers, cassettes.Header{Name: "Access-Control-Allow-Credentials", Value: "true"})
			}
			in := cassettes.Interaction{Kind: cassettes.KindActual, Request: st.Actual.Request, Response: resp}
			return &Fix{Interaction: n, Target: "actual", Add: &in, Error: "(not recorded)"}
		}
		if v.Allowed || v.CorsError == "" || st.Miss {
			continue
		}
		ex := st.Actual
		target := "actual"
		if strings.HasPrefix(v.CorsError, "Preflight") || strings.HasSuffix(v.CorsError, "PreflightResponse") {
			ex, target = st.Preflight, "preflight"
		}
		if ex == nil || ex.Interaction < 0 {
			return nil
		}
		f := Fix{Interaction: ex.Interaction, Target: target, Error: v.CorsError}
		origin, _ := ex.Request.Headers.Get("Origin")
		resp := ex.Response
		switch strings.TrimPrefix(v.CorsError, "Preflight") {
		case "MissingAllowOriginHeader", "AllowOriginMismatch", "InvalidAllowOriginValue",
			"MultipleAllowOriginValues", "WildcardOriginNotAllowed":
			f.Header, f.Value = "Access-Control-Allow-Origin", origin
		case "InvalidAllowCredentials":
			f.Header, f.Value = "Access-Control-Allow-Credentials", "true"
		case "InvalidStatus":
			f.Status = 204
		case "DisallowedRedirect":
			f.Status, f.Remove = 204, []string{"Location"}
		case "InvalidAllowMethodsPreflightResponse", "MethodDisallowedByPreflightResponse":
			acrm, _ := ex.Request.Headers.Get("Access-Control-Request-Method")
			f.Header, f.Value = "Access-Control-Allow-Methods", joinList(resp.Headers, "Access-Control-Allow-Methods", false, acrm)
		case "InvalidAllowHeadersPreflightResponse", "HeaderDisallowedByPreflightResponse":
			acrh, _ := ex.Request.Headers.Get("Access-Control-Request-Headers")
			f.Header, f.Value = "Access-Control-Allow-Headers", joinList(resp.Headers, "Access-Control-Allow-Headers", true, strings.Split(acrh, ",")...)
		default:
			return nil
		}
		return &f
	}
	return nil
}

// joinList returns the valid members of a recorded Access-Control-Allow-*
// list plus add, comma-separated, without duplicates (case-insensitively for
// header names) and without "*" (which is no wildcard with credentials).
func joinList(h cassettes.Headers, name string, fold bool, add ...string) string {
	var out []string
	has := func(s string) bool {
		return slices.ContainsFunc(out, func(o string) bool { return o == s || fold && strings.EqualFold(o, s) })
	}
	v, _ := responseHeader(h, name)
	for m := range strings.SplitSeq(v, ",") {
		m = strings.Trim(m, " \t")
		if fetch.IsToken(m) && m != "*" && !has(m) {
			out = append(out, m)
		}
	}
	for _, m := range add {
		if m = strings.TrimSpace(m); m != "" && !has(m) {
			out = append(out, m)
		}
	}
	return strings.Join(out, ", ")
}

// applyFix changes resp as f says.
func applyFix(resp *cassettes.Response, f Fix) {
	if f.Status != 0 {
		resp.Status = f.Status
	}
	drop := slices.Clone(f.Remove)
	if f.Header != "" {
		drop = append(drop, f.Header)
	}
	resp.Headers = slices.DeleteFunc(resp.Headers, func(h cassettes.Header) bool {
		return slices.ContainsFunc(drop, func(d string) bool { return strings.EqualFold(d, h.Name) })
	})
	if f.Header != "" {
		resp.Headers = append(resp.Headers, cassettes.Header{Name: f.Header, Value: f.Value})
	}
}

// Apply returns a copy of cas with fixes applied to its recorded responses.
func Apply(cas *cassettes.Cassette, fixes []Fix) *cassettes.Cassette {
	out := *cas
	out.Interactions = slices.Clone(cas.Interactions)
	for _, f := range fixes {
		if f.Add != nil {
			out.Interactions = append(out.Interactions, *f.Add)
			continue
		}
		if f.Interaction < 0 || f.Interaction >= len(out.Interactions) {
			continue
		}
		in := &out.Interactions[f.Interaction]
		in.Response.Headers = slices.Clone(in.Response.Headers)
		applyFix(&in.Response, f)
	}
	return &out
}

// Stack names the server software a response reveals and how to configure
// CORS there, for fix advice.
type Stack struct {
	Name   string // e.g. "nginx"
	Advice string // the idiomatic configuration for a correct CORS setup
}

// DetectStack guesses the server stack from a response's Server and
// X-Powered-By headers and its body; ok is false when nothing tells.
func DetectStack(resp cassettes.Response) (Stack, bool) {
	server, _ := resp.Headers.Get("Server")
	powered, _ := resp.Headers.Get("X-Powered-By")
	server, powered = strings.ToLower(server), strings.ToLower(powered)
	body := string(resp.Body)
	switch {
	case strings.Contains(powered, "express"):
		return Stack{"Express", "use the cors middleware with an explicit origin: app.use(cors({origin: 'https://app.example', credentials: true, methods: ['GET','PUT'], allowedHeaders: ['Content-Type','X-Client-Version'], exposedHeaders: ['X-Total-Count']})); it answers preflights itself"}, true
	case strings.Contains(powered, "php"):
		return Stack{"PHP", "answer OPTIONS before any other output: header('Access-Control-Allow-Origin: ' . $allowedOrigin); header('Access-Control-Allow-Credentials: true'); header('Access-Control-Allow-Methods: GET, PUT'); header('Access-Control-Allow-Headers: Content-Type, X-Client-Version'); then exit for OPTIONS with http_response_code(204)"}, true
	case strings.HasPrefix(server, "nginx"):
		return Stack{"nginx", "use add_header … always so error responses keep the headers (add_header Access-Control-Allow-Origin $cors_origin always; with map $http_origin $cors_origin { … }), and answer preflights in the location: if ($request_method = OPTIONS) { add_header Access-Control-Allow-Methods \"GET, PUT\" always; add_header Access-Control-Allow-Headers \"Content-Type, X-Client-Version\" always; return 204; }"}, true
	case strings.HasPrefix(server, "apache"):
		return Stack{"Apache", "use Header always set Access-Control-Allow-Origin \"…\" (always, so error responses carry it) and answer OPTIONS with a rewrite rule: RewriteCond %{REQUEST_METHOD} OPTIONS / RewriteRule ^ - [R=204,L]"}, true
	case strings.HasPrefix(server, "werkzeug"):
		return Stack{"Flask", "flask_cors: CORS(app, resources={r\"/api/*\": {\"origins\": [\"https://app.example\"]}}, supports_credentials=True, expose_headers=[\"X-Total-Count\"], allow_headers=[\"Content-Type\", \"X-Client-Version\"])"}, true
	case strings.HasPrefix(server, "wsgiserver"), strings.Contains(server, "gunicorn"):
		return Stack{"Django", "django-cors-headers: CORS_ALLOWED_ORIGINS = [\"https://app.example\"], CORS_ALLOW_CREDENTIALS = True, CORS_EXPOSE_HEADERS = [\"X-Total-Count\"], CORS_ALLOW_HEADERS = (*default_headers, \"x-client-version\"), with CorsMiddleware placed above CommonMiddleware"}, true
	case strings.HasPrefix(server, "uvicorn"), strings.HasPrefix(body, "Disallowed CORS"):
		return Stack{"Starlette/FastAPI", "app.add_middleware(CORSMiddleware, allow_origins=[\"https://app.example\"], allow_credentials=True, allow_methods=[\"GET\", \"PUT\"], allow_headers=[\"Content-Type\", \"X-Client-Version\"], expose_headers=[\"X-Total-Count\"]); it answers a disallowed preflight 400 \"Disallowed CORS …\""}, true
	}
	return Stack{}, false
}
