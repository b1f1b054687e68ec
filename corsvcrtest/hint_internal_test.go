package corsvcrtest

import (
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/corsvcr/corsvcr/checks"
	"github.com/corsvcr/corsvcr/vcr"
)

// TestRunPatternSelectsTheCheck checks that the -run pattern of the record
// hint selects the failing subtest, and only it, as go test matches -run:
// one anchored expression per level of the name, split at "/". Check names
// with regular expression metacharacters used to yield a pattern that
// selected nothing ("[no tests to run]").
func TestRunPatternSelectsTheCheck(t *testing.T) {
	for _, name := range []string{
		"TestCORS/list-items",
		"TestCORS/weird_(name).x",
		"TestCORS/a+b",
		"TestCORS/[v2]_*",
		"TestCORS/api/v1",
		"TestCORS/price_$5^",
	} {
		pat := runPattern(name)
		parts, elems := strings.Split(pat, "/"), strings.Split(name, "/")
		require.Len(t, parts, len(elems), "pattern %q of %q", pat, name)
		for i, p := range parts {
			re, err := regexp.Compile(p)
			require.NoError(t, err, "pattern %q of %q", pat, name)
			assert.True(t, re.MatchString(elems[i]), "pattern %q does not select %q", pat, name)
			assert.False(t, re.MatchString(elems[i]+"x"), "pattern %q is not anchored", pat)
		}
	}
}

// TestRecordHintShellQuoted checks that the hint's -run pattern reaches go
// test intact through a POSIX shell, a single quote in a check name
// included.
func TestRecordHintShellQuoted(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	for _, name := range []string{"TestCORS/it's_(ok)", "TestCORS/plain"} {
		pat := runPattern(name)
		out, err := exec.Command(sh, "-c", "printf %s "+shellQuote(pat)).Output()
		require.NoError(t, err)
		assert.Equal(t, pat, string(out))
	}
}

// TestFailureOfAMiss: a replay miss's message says miss, not "verdict:
// allowed 599", Chrome's verdict on the replay's stand-in answer.
func TestFailureOfAMiss(t *testing.T) {
	res := vcr.Result{
		Name:     "new-endpoint",
		Verdicts: checks.Verdicts{{Allowed: true, Status: 599, ReadableHeaders: []string{"cache-control", "content-length", "content-type", "x-corsvcr-miss"}}},
		Misses:   []string{`replay: no recorded interaction for GET http://localhost:8000/api/new (Origin "http://localhost:8080")`},
	}
	assert.Equal(t, `check "new-endpoint": 1 replay miss: the cassette lacks a request Chrome sent
  replay: no recorded interaction for GET http://localhost:8000/api/new (Origin "http://localhost:8080")
verdict: replay miss (Chrome got the replay's 599, no recorded answer)`, Failure(res))

	// A server that really answers 599 is a verdict like any other.
	res.Verdicts[0].ReadableHeaders = []string{"content-type"}
	assert.Contains(t, Failure(res), "\nverdict: allowed 599")
}
