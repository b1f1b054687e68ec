package integration

import (
	"net/http"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/corsvcr/corsvcr/cassettes"
	"github.com/corsvcr/corsvcr/checks"
	"github.com/corsvcr/corsvcr/internal/corpustest"
	"github.com/corsvcr/corsvcr/vcr"
)

// oracleDir holds the CORS oracle corpus: one directory per group, each
// with a check file, the cassette recorded from oracleAPI and Chrome's
// verdicts.
const oracleDir = corpustest.OracleDir

// oracleGroups are the groups TestOracleCorpus runs against oracleAPI; each
// uses its own URL paths (runCorpora splits the recording by path).
// preflight-cache and redirects have their own servers and tests
// (TestPreflightCacheCorpus, TestRedirectCorpus).
var oracleGroups = []string{"origin", "credentials", "preflight", "methods", "safelist", "wildcard", "expose", "status", "mode", "orb"}

// oracleAPI is the oracle server: one handler whose every response is
// spelled out by the request's query, so that a check's URL alone documents
// the case. The path is only a label. Keys and values are percent-decoded
// ("+" stays "+"; write a space as %20). Each query key adds to the
// response:
//
//	acao, acac, acam, acah, aceh, max-age
//	               one Access-Control-Allow-Origin, -Allow-Credentials,
//	               -Allow-Methods, -Allow-Headers, -Expose-Headers or
//	               -Max-Age line with the value as given; repeat the key
//	               for several lines; "$origin" stands for the request's
//	               Origin (no line when it has none)
//	hdr=Name:Value any other response header line
//	status=N       the status (default 204 for a preflight, 200 otherwise)
//	ct=TYPE        the Content-Type (default "text/plain; charset=utf-8";
//	               empty: none, not even the type net/http sniffs)
//	body=TEXT      the body (default "ok" for an actual request, none for a
//	               preflight)
//
// A key applies to the preflight and the actual response alike; prefixed
// with "pre." it applies to the preflight only, with "act." to the actual
// request only. A preflight is an OPTIONS request with an
// Access-Control-Request-Method header. No Date header is sent. Lines are
// written in Go's order: sorted by name, repeated names in query order.
func oracleAPI() http.Handler {
	short := map[string]string{
		"acao":    "Access-Control-Allow-Origin",
		"acac":    "Access-Control-Allow-Credentials",
		"acam":    "Access-Control-Allow-Methods",
		"acah":    "Access-Control-Allow-Headers",
		"aceh":    "Access-Control-Expose-Headers",
		"max-age": "Access-Control-Max-Age",
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		preflight := r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != ""
		status, ct, body := http.StatusOK, "text/plain; charset=utf-8", "ok"
		noType := false // ct= given empty: no Content-Type, not even Go's sniffed one
		if preflight {
			status, ct, body = http.StatusNoContent, "", ""
		}
		h := w.Header()
		h["Date"] = nil
		for _, kv := range strings.Split(r.URL.RawQuery, "&") {
			rawKey, rawValue, _ := strings.Cut(kv, "=")
			key, err1 := url.PathUnescape(rawKey)
			value, err2 := url.PathUnescape(rawValue)
			if err1 != nil || err2 != nil || key == "" {
				continue
			}
			switch {
			case strings.HasPrefix(key, "pre."):
				if !preflight {
					continue
				}
				key = strings.TrimPrefix(key, "pre.")
			case strings.HasPrefix(key, "act."):
				if preflight {
					continue
				}
				key = strings.TrimPrefix(key, "act.")
			}
			if strings.Contains(value, "$origin") {
				origin := r.Header.Get("Origin")
				if origin == "" {
					continue
				}
				value = strings.ReplaceAll(value, "$origin", origin)
			}
			switch key {
			case "hdr":
				name, v, _ := strings.Cut(value, ":")
				h[name] = append(h[name], v)
			case "status":
				if n, err := strconv.Atoi(value); err == nil {
					status = n
				}
			case "ct":
				ct, noType = value, value == ""
			case "body":
				body = value
			default:
				if name, ok := short[key]; ok {
					h[name] = append(h[name], value)
				}
			}
		}
		switch {
		case ct != "":
			h.Set("Content-Type", ct)
		case noType:
			h["Content-Type"] = nil // net/http sniffs a type for a body otherwise
		}
		w.WriteHeader(status)
		if r.Method != http.MethodHead {
			w.Write([]byte(body))
		}
	})
}

// corpusRun is the outcome of one corpus in runCorpora.
type corpusRun struct {
	file     *checks.File
	live     map[string]checks.Verdicts // by check name
	recorded *cassettes.Cassette        // the fresh recording of this corpus
}

// runCorpora proves recorded corpora, each a directory with checks.yaml,
// cassette.yaml and verdicts.json, against server, which serves every host
// the checks name. It records the checks live through the recorder while
// it replays the committed cassettes, then replays the fresh recording,
// and asserts for every check that the live verdict, both replays and the
// committed verdicts are equal and that the live verdict meets the check
// file's expectations. With -update it first rewrites cassette.yaml and
// verdicts.json from the live run.
//
// The corpora share one browser per phase (live, committed, fresh), which
// keeps a large corpus fast; their checks stay isolated from each other as
// every check is. So that each corpus gets its own cassette, when there
// are several no URL path may be requested by two corpora, and every
// request must be for a path a check names (no redirects to other paths).
func runCorpora(t *testing.T, server http.Handler, dirs ...string) []corpusRun {
	t.Helper()
	rerun := "go test ./integration -run '^" + t.Name() + "$' -update"
	paths := make([]corpustest.Corpus, len(dirs))
	runs := make([]corpusRun, len(dirs))
	merged := &checks.File{Version: 1}
	owner := map[string]int{} // URL path → corpus
	key := func(i int, name string) string { return dirs[i] + ":" + name }
	for i, dir := range dirs {
		paths[i] = corpustest.In(dir)
		file, err := checks.Load(paths[i].Checks)
		require.NoError(t, err)
		runs[i].file = file
		for _, c := range file.Checks {
			for _, st := range c.Steps {
				u, err := url.Parse(st.Request.URL)
				require.NoError(t, err)
				if j, ok := owner[u.Path]; ok && j != i && len(dirs) > 1 {
					t.Fatalf("path %q is requested by %s and %s: give each corpus its own paths", u.Path, paths[j].Checks, paths[i].Checks)
				}
				owner[u.Path] = i
			}
			c.Name = key(i, c.Name)
			merged.Checks = append(merged.Checks, c)
		}
	}
	// split returns a corpus's verdicts out of the merged run's.
	split := func(all map[string]checks.Verdicts, i int) map[string]checks.Verdicts {
		out := map[string]checks.Verdicts{}
		for _, c := range runs[i].file.Checks {
			if v, ok := all[key(i, c.Name)]; ok {
				out[c.Name] = v
			}
		}
		return out
	}
	join := func(cs []*cassettes.Cassette) *cassettes.Cassette {
		out := &cassettes.Cassette{Version: cassettes.FormatVersion, Meta: cs[0].Meta}
		for _, c := range cs {
			out.Interactions = append(out.Interactions, c.Interactions...)
		}
		return out
	}

	var live, golden map[string]checks.Verdicts
	var recorded *cassettes.Cassette
	t.Run("run", func(t *testing.T) {
		t.Run("live", func(t *testing.T) {
			t.Parallel()
			live, recorded = recordChecks(t, merged, vcr.Config{Upstreams: serveLoopback(t, server, merged.Hosts())})
		})
		if !*update {
			t.Run("committed cassettes", func(t *testing.T) {
				t.Parallel()
				var cs []*cassettes.Cassette
				for _, p := range paths {
					cas, err := cassettes.Load(p.Cassette)
					require.NoError(t, err, "run %q to create it", rerun)
					cs = append(cs, cas)
				}
				golden = replayChecks(t, merged, join(cs), vcr.Config{})
			})
		}
	})
	require.False(t, t.Failed())

	// Each corpus's share of the recording, sent through the file format.
	var fresh []*cassettes.Cassette
	for i := range runs {
		runs[i].live = split(live, i)
		runs[i].recorded = &cassettes.Cassette{Version: recorded.Version, Meta: recorded.Meta}
	}
	for n, in := range recorded.Interactions {
		i := 0
		if len(runs) > 1 {
			u, err := url.Parse(in.Request.URL)
			require.NoError(t, err)
			var ok bool
			i, ok = owner[u.Path]
			if !assert.True(t, ok, "recorded interaction %d (%s %s) is for a path no check names, so it belongs to no corpus", n, in.Request.Method, in.Request.URL) {
				continue
			}
		}
		runs[i].recorded.Interactions = append(runs[i].recorded.Interactions, in)
	}
	for i := range runs {
		fresh = append(fresh, viaFile(t, runs[i].recorded))
	}
	replayed := replayChecks(t, merged, join(fresh), vcr.Config{})
	// Check order never matters: in reverse, and each check alone.
	reversed := replayChecks(t, reverseChecks(merged), join(fresh), vcr.Config{})
	alone := replayEachAlone(t, merged, join(fresh))

	for i, p := range paths {
		if *update {
			require.NoError(t, cassettes.Save(p.Cassette, fresh[i]))
			writeVerdicts(t, p.Verdicts, runs[i].live)
		}
		committed := readVerdicts(t, p.Verdicts)
		gold := split(golden, i)
		if *update {
			gold = split(replayed, i)
		}
		assert.Len(t, committed, len(runs[i].file.Checks), "%s holds a verdict per check and no other", p.Verdicts)
		for _, c := range runs[i].file.Checks {
			k := key(i, c.Name)
			t.Run(filepath.Base(p.Dir)+"/"+c.Name, func(t *testing.T) {
				require.Len(t, live[k], len(c.Steps))
				for _, m := range c.Mismatches(live[k]) {
					t.Errorf("live verdict vs the expectation in %s: %s", p.Checks, m)
				}
				assert.Equal(t, live[k], replayed[k], "replay of the fresh recording vs live")
				assert.Equal(t, live[k], reversed[k], "replay in reversed check order vs live")
				assert.Equal(t, live[k], alone[k], "replay of this check alone vs live")
				assert.Equal(t, committed[c.Name], live[k], "%s vs live", p.Verdicts)
				assert.Equal(t, committed[c.Name], gold[c.Name], "replay of %s vs %s", p.Cassette, p.Verdicts)
			})
		}
	}
	return runs
}

// runCorpus is runCorpora for one corpus directory: it returns its checks,
// the live verdicts and the fresh recording.
func runCorpus(t *testing.T, dir string, server http.Handler) (*checks.File, map[string]checks.Verdicts, *cassettes.Cassette) {
	t.Helper()
	r := runCorpora(t, server, dir)[0]
	return r.file, r.live, r.recorded
}

// TestOracleCorpus: the CORS oracle corpus. Each group under
// testdata/oracle/ pins a family of Chrome's CORS rules — every
// Network.CorsError Chrome can give a fetch or XHR without a redirect, and
// the rules that decide what a script sees — as checks against oracleAPI,
// each check stating Chrome's verdict. Live, replayed from the fresh
// recording, replayed from the committed cassette and committed verdicts
// are equal, check by check; -update rewrites cassette.yaml and
// verdicts.json. predict's TestCorpus holds the predictor to the same
// verdicts, offline.
func TestOracleCorpus(t *testing.T) {
	var dirs []string
	for _, g := range oracleGroups {
		dirs = append(dirs, filepath.Join(oracleDir, g))
	}
	runCorpora(t, oracleAPI(), dirs...)
}
