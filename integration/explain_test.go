package integration

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestExplainFixesDemo: `corsvcr explain` names the exact fix for each of
// the demo's common CORS errors, `--apply` writes a cassette with the fixes
// applied to the recorded responses, and Chrome, replaying the fixed
// cassette, allows every check. `corsvcr check` on the original cassette
// adds the predictor's "why" to each blocked verdict and reports no
// disagreement between replay and prediction.
func TestExplainFixesDemo(t *testing.T) {
	const page = "http://localhost:8080"
	checksFile := demoChecksFile
	fixed := filepath.Join(t.TempDir(), "fixed.yaml")
	run := corsvcr(t, "explain", "--cassette", demoCassette, "--checks", checksFile, "--apply", "--out", fixed)
	require.Equal(t, 0, run.code, "stdout: %s\nstderr: %s", run.stdout, run.stderr)
	t.Logf("corsvcr explain:\n%s", run.stdout)

	// The fix for each blocked check, as explain prints it.
	wantFix := map[string][]string{
		"chat-wildcard-with-credentials": {"actual response: set Access-Control-Allow-Origin: " + page},
		"legacy-no-acao":                 {"actual response: set Access-Control-Allow-Origin: " + page},
		"put-not-in-allow-methods": {"preflight response: set Access-Control-Allow-Methods: GET, POST, PUT",
			"actual response: the cassette has none for PUT http://localhost:8000/api/v1/items/1"},
		"custom-header-not-allowed": {"preflight response: set Access-Control-Allow-Headers: Content-Type, x-client-version"},
		"staging-origin-mismatch":   {"actual response: set Access-Control-Allow-Origin: " + page},
		"credentials-without-acac":  {"actual response: set Access-Control-Allow-Credentials: true"},
	}
	sections := explainSections(run.stdout)
	for name, fixes := range wantFix {
		sec, ok := sections[name]
		if assert.True(t, ok, "no explanation for %q", name) {
			for _, f := range fixes {
				assert.Contains(t, sec, f, "fix for %q", name)
			}
			assert.Contains(t, sec, "console:  Access to fetch at", "console message for %q", name)
			assert.Contains(t, sec, "rule:     ", "rule for %q", name)
		}
	}

	// Chrome against the fixed cassette: every check allowed, no miss.
	// (check exits 3: the check file still expects the original blocks.)
	chk := corsvcr(t, "check", "--checks", checksFile, "--cassette", fixed, "--json")
	rep := parseReport(t, chk)
	require.Len(t, rep.Checks, 9, "stderr: %s", chk.stderr)
	for _, c := range rep.Checks {
		assert.Empty(t, c.Error, "check %q", c.Name)
		assert.Empty(t, c.Misses, "check %q: replay misses", c.Name)
		if assert.Len(t, c.Verdicts, 1, "check %q", c.Name) {
			assert.True(t, c.Verdicts[0].Allowed, "check %q in Chrome against the fixed cassette: %+v", c.Name, c.Verdicts)
		}
	}

	// corsvcr check on the original cassette: a why per block, and the
	// prediction agrees with Chrome on every check.
	orig := corsvcr(t, "check", "--checks", checksFile, "--cassette", demoCassette, "--json")
	require.Equal(t, 0, orig.code, "stdout: %s\nstderr: %s", orig.stdout, orig.stderr)
	var notes struct {
		Checks []struct {
			Name      string `json:"name"`
			Why       string `json:"why"`
			Predicted string `json:"predicted"`
			Verdicts  []struct {
				Allowed bool `json:"allowed"`
			} `json:"verdicts"`
		} `json:"checks"`
	}
	require.NoError(t, json.Unmarshal([]byte(orig.stdout), &notes))
	for _, c := range notes.Checks {
		assert.Empty(t, c.Predicted, "check %q: replay and prediction disagree", c.Name)
		require.Len(t, c.Verdicts, 1, "check %q", c.Name)
		assert.Equal(t, !c.Verdicts[0].Allowed, c.Why != "", "check %q: why %q", c.Name, c.Why)
	}
}

// explainSections splits explain's output into the lines of each check.
func explainSections(out string) map[string]string {
	secs := map[string]string{}
	name := ""
	for _, l := range strings.Split(out, "\n") {
		if l != "" && !strings.HasPrefix(l, " ") {
			if i := strings.Index(l, ": "); i > 0 {
				name = l[:i]
			}
		}
		if name != "" {
			secs[name] += l + "\n"
		}
	}
	return secs
}
