package integration

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/joshdk/go-junit"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/corsvcr/corsvcr/cassettes"
	"github.com/corsvcr/corsvcr/checks"
	"github.com/corsvcr/corsvcr/internal/schematest"
)

// Page mode (`corsvcr record --url`) on a real app: a Vite-built page
// (integration/pagemode/app, built here by Vite) served by nginx at
// http://localhost:8080, calling Express + cors at localhost:8000 and
// Flask + flask-cors at localhost:9000, one Flask route misconfigured and
// one request (run by --after-load) blocked by its preflight. Recorded
// live, then, with every server stopped, checked offline from the
// cassette: every request's verdict is the same. Then the check file is
// edited three ways and each is reported as a mismatch.

const pageModeDir = "pagemode"

// stackByName returns the stack named name of the stack suite.
func stackByName(t *testing.T, name string) *stack {
	t.Helper()
	for _, st := range stacks {
		if st.name == name {
			return st
		}
	}
	require.FailNow(t, "no stack "+name)
	return nil
}

// buildPageApp builds the app with the Vite of the vite stack into a temp
// dir and returns the dist directory.
func buildPageApp(t *testing.T) string {
	t.Helper()
	node := nodeModules(t, stackByName(t, "vite"))
	vite, err := filepath.Abs(filepath.Join(stacksDir, "vite", "node_modules", "vite", "bin", "vite.js"))
	require.NoError(t, err)
	dist := filepath.Join(t.TempDir(), "dist")
	cmd := exec.CommandContext(testContext(t), node, vite, "build", "--outDir", dist, "--emptyOutDir", "--logLevel", "warn", ".")
	cmd.Dir = filepath.Join(pageModeDir, "app")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "vite build: %s (%s)", out, stackInstallHint)
	return dist
}

// pageServers are the app's three servers, by the authority the page uses.
type pageServers struct {
	ups  map[string]string
	stop func()
}

func startPageServers(t *testing.T, dist string) pageServers {
	t.Helper()
	run := t.TempDir()
	nginx := stackByName(t, "nginx")
	bin := lookPath(t, nginx, "nginx")
	port := freePort(t)
	tmpl, err := os.ReadFile(filepath.Join(pageModeDir, "nginx.conf"))
	require.NoError(t, err)
	conf := filepath.Join(run, "nginx.conf")
	require.NoError(t, os.WriteFile(conf, []byte(strings.NewReplacer("@PORT@", fmt.Sprint(port), "@RUN@", run, "@ROOT@", dist).Replace(string(tmpl))), 0o644))
	web := startProc(t, run, "nginx", nil, nil, bin, "-p", run, "-c", conf)
	web.logFiles = []string{filepath.Join(run, "error.log")}
	webSrv := single(t, web, fmt.Sprintf("127.0.0.1:%d", port))

	express := startExpress(t, stackByName(t, "express"), run, "")
	flask := startFlask(t, stackByName(t, "flask"), run, "")
	ps := pageServers{ups: map[string]string{
		"localhost:8080": webSrv.ups[apiHost],
		"localhost:8000": express.ups[apiHost],
		"localhost:9000": flask.ups[apiHost],
	}}
	ps.stop = func() {
		for _, s := range []*stackServer{webSrv, express, flask} {
			assert.NoError(t, s.stop())
		}
	}
	return ps
}

// pageVerdict is the part of a page visit's verdict the check file asserts.
type pageVerdict struct {
	Request    string
	Allowed    bool
	CorsError  string
	Param      string
	Preflights int
	Status     int
}

func pageVerdicts(vs checks.Verdicts) []pageVerdict {
	var out []pageVerdict
	for _, v := range vs {
		out = append(out, pageVerdict{v.Method + " " + v.URL, v.Allowed, v.CorsError, v.FailedParameter, v.Preflights, v.Status})
	}
	return out
}

func TestPageMode(t *testing.T) {
	dist := buildPageApp(t)
	srv := startPageServers(t, dist)
	dir := t.TempDir()
	cas, chk := filepath.Join(dir, "cassette.yaml"), filepath.Join(dir, "page.yaml")

	junitPath := filepath.Join(dir, "record.xml")
	args := []string{"record", "--url", "http://localhost:8080/", "--name", "items-page", "--cassette", cas, "--checks-out", chk, "--after-load", "window.save()", "--json", "--junit", junitPath}
	for from, to := range srv.ups {
		args = append(args, "--upstream", from+"="+to)
	}
	rec := corsvcr(t, args...)
	require.Equal(t, 0, rec.code, "record:\n%s\n%s", rec.stdout, rec.stderr)
	schematest.Validate(t, schematest.Report, []byte(rec.stdout))
	live := parseReport(t, rec)
	require.Len(t, live.Checks, 1)
	assert.Equal(t, "items-page", live.Checks[0].Name)
	// --junit applies to page mode too: one test case, the page visit.
	xml, err := os.ReadFile(junitPath)
	require.NoError(t, err)
	suites, err := junit.Ingest(xml)
	require.NoError(t, err)
	require.Len(t, suites, 1)
	require.Len(t, suites[0].Tests, 1)
	assert.Equal(t, "items-page", suites[0].Tests[0].Name)
	assert.Equal(t, junit.StatusPassed, suites[0].Tests[0].Status)

	// Chrome's verdicts on the page's cross-origin requests, in the page's
	// order; its same-origin fetch of /config.json is not one of them.
	assert.Equal(t, []pageVerdict{
		{"GET http://localhost:8000/correct/items", true, "", "", 0, 200},
		{"POST http://localhost:8000/correct/items", true, "", "", 1, 200},
		{"GET http://localhost:9000/correct/items", true, "", "", 0, 200},
		// flask-cors leaves Access-Control-Allow-Origin out for an origin
		// it does not allow.
		{"GET http://localhost:9000/origin-not-allowed/items", false, "MissingAllowOriginHeader", "", 0, 0},
		{"PUT http://localhost:9000/header-not-allowed/items/1", false, "HeaderDisallowedByPreflightResponse", "x-client-version", 1, 0},
	}, pageVerdicts(live.Checks[0].Verdicts), "live verdicts:\n%s", rec.stderr)

	// The cassette holds the page, its assets and every request it made,
	// preflights included.
	c, err := cassettes.Load(cas)
	require.NoError(t, err)
	var got []string
	for _, in := range c.Interactions {
		got = append(got, in.Request.Method+" "+strings.TrimPrefix(in.Request.URL, "http://"))
	}
	for _, want := range []string{
		"GET localhost:8080/", "GET localhost:8080/config.json",
		"OPTIONS localhost:8000/correct/items", "POST localhost:8000/correct/items",
		"OPTIONS localhost:9000/header-not-allowed/items/1",
	} {
		assert.Contains(t, got, want)
	}
	assets := 0
	for _, g := range got {
		if strings.HasPrefix(g, "GET localhost:8080/assets/") {
			assets++
		}
	}
	assert.Equal(t, 3, assets, "index and api chunks and the stylesheet: %v", got)

	// The check file: one page visit, its expectations Chrome's verdicts.
	file, err := checks.Load(chk)
	require.NoError(t, err)
	require.Len(t, file.Checks, 1)
	visit := file.Checks[0]
	require.NotNil(t, visit.Visit)
	assert.Equal(t, "window.save()", visit.Visit.AfterLoad)
	require.Len(t, visit.Requests, 5)

	// Offline: every server stopped.
	srv.stop()
	off := corsvcr(t, "check", "--checks", chk, "--cassette", cas, "--json")
	require.Equal(t, 0, off.code, "check offline:\n%s\n%s", off.stdout, off.stderr)
	replayed := parseReport(t, off)
	require.Len(t, replayed.Checks, 1)
	assert.Empty(t, replayed.Checks[0].Misses)
	assert.Equal(t, live.Checks[0].Verdicts, replayed.Checks[0].Verdicts, "live == replay, console messages included")

	// Edited copies of the page visit, in one check file run at once (one
	// Chrome): each is a mismatch (exit 3) naming the request.
	cases := []struct {
		name  string
		edit  func(c *checks.Check)
		field string
		want  string
		got   string
	}{
		{
			name:  "a request the check does not list",
			edit:  func(c *checks.Check) { c.Requests = append(c.Requests[:2:2], c.Requests[3:]...) },
			field: "request", got: "GET http://localhost:9000/correct/items",
		},
		{
			name: "a listed request the page never makes",
			edit: func(c *checks.Check) {
				c.Requests = append(c.Requests, checks.PageRequest{Method: "DELETE", URL: "http://localhost:8000/correct/items/1"})
			},
			field: "request", want: "DELETE http://localhost:8000/correct/items/1 (requests entry 6)", got: "never made",
		},
		{
			name: "a second identical request the page makes once",
			edit: func(c *checks.Check) {
				c.Requests = append(c.Requests, c.Requests[0])
			},
			field: "request", want: "GET http://localhost:8000/correct/items (requests entry 6)", got: "never made",
		},
		{
			name: "a changed verdict",
			edit: func(c *checks.Check) {
				allowed, none := true, ""
				c.Requests[3].Expect.Allowed, c.Requests[3].Expect.CorsError = &allowed, &none
			},
			field: "cors_error", want: `""`, got: `"MissingAllowOriginHeader"`,
		},
	}
	edited := &checks.File{Version: 1}
	for _, tc := range cases {
		c := visit
		c.Name = tc.name
		c.Requests = slices.Clone(visit.Requests)
		tc.edit(&c)
		edited.Checks = append(edited.Checks, c)
	}
	path := filepath.Join(dir, "edited.yaml")
	require.NoError(t, checks.Save(path, edited))
	r := corsvcr(t, "check", "--checks", path, "--cassette", cas, "--json")
	require.Equal(t, 3, r.code, "%s\n%s", r.stdout, r.stderr)
	schematest.Validate(t, schematest.Report, []byte(r.stdout))
	var rep struct {
		Checks []struct {
			Name       string            `json:"name"`
			Mismatches []checks.Mismatch `json:"mismatches"`
			Misses     []string          `json:"replay_misses"`
		} `json:"checks"`
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &rep), r.stdout)
	require.Len(t, rep.Checks, len(cases))
	for i, tc := range cases {
		res := rep.Checks[i]
		assert.Equal(t, tc.name, res.Name)
		assert.Empty(t, res.Misses, tc.name)
		var found bool
		for _, m := range res.Mismatches {
			if m.Field == tc.field && m.Got == tc.got && (tc.want == "" || m.Want == tc.want) {
				found = true
			}
		}
		assert.True(t, found, "%s: no mismatch %s want %q got %q in %v", tc.name, tc.field, tc.want, tc.got, res.Mismatches)
	}
}
