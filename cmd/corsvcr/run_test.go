package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/corsvcr/corsvcr/checks"
	"github.com/corsvcr/corsvcr/internal/demo"
	"github.com/corsvcr/corsvcr/internal/schematest"
	"github.com/corsvcr/corsvcr/vcr"
)

func TestWriteResultsSteps(t *testing.T) {
	step1 := checks.Verdict{Allowed: true, Status: 200, ReadableHeaders: []string{}}
	step2 := checks.Verdict{CorsError: "InvalidAllowCredentials", Console: "Access to fetch ... blocked", ReadableHeaders: []string{}}
	multi := checks.Verdicts{step1, step2}
	one := checks.Verdict{Allowed: true, Status: 204, Preflight: true, Preflights: 2, ReadableHeaders: []string{}}
	results := []vcr.Result{
		{Name: "login", Verdicts: multi, Mismatches: []checks.Mismatch{{Step: 2, Field: "allowed", Want: "true", Got: "false"}}},
		{Name: "one", Verdicts: checks.Verdicts{one}},
		{Name: "broken", Error: "browsercheck: check \"broken\": step 2: boom"},
	}
	var b bytes.Buffer
	require.NoError(t, writeResults(&b, &vcr.Run{Results: results}, "", false))
	assert.Equal(t, `CHECK    RESULT  CHROME'S VERDICT
login#1  ok      allowed 200
login#2  FAIL    blocked InvalidAllowCredentials
           expected allowed true, got false
           console: Access to fetch ... blocked
one      ok      allowed 204, 2 preflights
broken   ERROR   -
           error: browsercheck: check "broken": step 2: boom
`, b.String())

	b.Reset()
	require.NoError(t, writeResults(&b, &vcr.Run{Results: results[:1]}, "", true))
	schematest.Validate(t, schematest.Report, b.Bytes())
	var rep struct {
		Checks []struct {
			Verdicts   checks.Verdicts  `json:"verdicts"`
			Mismatches []map[string]any `json:"mismatches"`
		} `json:"checks"`
	}
	require.NoError(t, json.Unmarshal(b.Bytes(), &rep))
	assert.Equal(t, multi, rep.Checks[0].Verdicts)
	assert.Equal(t, []map[string]any{{"step": 2.0, "field": "allowed", "want": "true", "got": "false"}}, rep.Checks[0].Mismatches)

	// A miss taints every step of its check.
	results[0].Misses = []string{"replay: no recorded interaction"}
	assert.Equal(t, []string{"MISS", "MISS"}, []string{rows(results[0])[0].status, rows(results[0])[1].status})
	assert.Equal(t, exitMiss, outcome(&vcr.Run{Results: results[:1]}, io.Discard).(*exitError).code)
}

// A network error is shown as one, with the recorder's cause, and is a
// harness failure (exit 1), never a mismatch; an interrupted run counts the
// checks that did not run.
func TestWriteResultsNetworkErrorAndInterruption(t *testing.T) {
	v := checks.Verdict{JSError: "TypeError: Failed to fetch", NetworkError: "net::ERR_EMPTY_RESPONSE", ReadableHeaders: []string{}}
	run := &vcr.Run{
		Results: []vcr.Result{{Name: "down", Verdicts: checks.Verdicts{v}, Upstream: []string{
			"GET http://localhost:9100/x: upstream localhost:9100 unreachable: dial tcp 127.0.0.1:9100: connect: connection refused"}}},
		NotRun: 3,
	}
	var b bytes.Buffer
	require.NoError(t, writeResults(&b, run, "", false))
	assert.Equal(t, `CHECK  RESULT  CHROME'S VERDICT
down   ERROR   network error net::ERR_EMPTY_RESPONSE
         cause: GET http://localhost:9100/x: upstream localhost:9100 unreachable: dial tcp 127.0.0.1:9100: connect: connection refused

interrupted: 3 of 4 checks did not run
`, b.String())
	err := outcome(run, io.Discard)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "interrupted: 3 checks did not run")

	run.NotRun = 0
	err = outcome(run, io.Discard)
	require.Error(t, err)
	var ee *exitError
	assert.False(t, errors.As(err, &ee), "exit 1, not %v", ee)

	// The same in --json: valid against the schema, and not a pass.
	b.Reset()
	require.NoError(t, writeResults(&b, run, "", true))
	schematest.Validate(t, schematest.Report, b.Bytes())
	assert.Contains(t, b.String(), `"network_error": "net::ERR_EMPTY_RESPONSE"`)
	assert.Contains(t, b.String(), `"upstream_failures"`)
	assert.Contains(t, b.String(), `"errors": 1`)
}

// TestWriteResultsJSON: --json is a vcr.Report: schema_version, an explicit
// pass per check, the summary; valid against docs/report.schema.json.
func TestWriteResultsJSON(t *testing.T) {
	ok := checks.Verdicts{{Allowed: true, Status: 200, ReadableHeaders: []string{"content-type"}}}
	run := &vcr.Run{Results: []vcr.Result{
		{Name: "ok", Verdicts: ok},
		{Name: "fail", Verdicts: ok, Mismatches: []checks.Mismatch{{Field: "status", Want: "201", Got: "200"}}},
		{Name: "miss", Verdicts: ok, Misses: []string{"replay: no recorded interaction"}, Why: "rule", Disagree: "predicted x"},
		{Name: "broken", Error: "browsercheck: boom"},
	}, NotRun: 1}
	var b bytes.Buffer
	require.NoError(t, writeResults(&b, run, "c.yaml", true))
	schematest.Validate(t, schematest.Report, b.Bytes())
	var rep struct {
		SchemaVersion int        `json:"schema_version"`
		Pass          bool       `json:"pass"`
		Summary       vcr.Totals `json:"summary"`
		Checks        []struct {
			Name string `json:"name"`
			Pass *bool  `json:"pass"`
		} `json:"checks"`
	}
	require.NoError(t, json.Unmarshal(b.Bytes(), &rep))
	assert.Equal(t, 1, rep.SchemaVersion)
	assert.False(t, rep.Pass)
	assert.Equal(t, vcr.Totals{Checks: 5, Passed: 1, Failed: 1, Missed: 1, Errors: 1, NotRun: 1, Interrupted: true}, rep.Summary)
	for i, want := range []bool{true, false, false, false} {
		require.NotNil(t, rep.Checks[i].Pass, "pass is always present")
		assert.Equal(t, want, *rep.Checks[i].Pass, rep.Checks[i].Name)
	}

	// A report with an unknown field or a missing pass is refused by the
	// schema: the test is not vacuous.
	bad := bytes.Replace(b.Bytes(), []byte(`"pass": true,`), nil, 1)
	ft := &testing.T{}
	schematest.Validate(ft, schematest.Report, bad)
	assert.True(t, ft.Failed(), "a check without pass is refused")
}

// TestForgedRows: a check name with a line break or an ANSI escape cannot
// forge a row of the table nor drive the terminal: it is quoted.
func TestForgedRows(t *testing.T) {
	ok := checks.Verdicts{{Allowed: true, Status: 200, ReadableHeaders: []string{}}}
	run := &vcr.Run{Results: []vcr.Result{
		{Name: "a\nFAKE    ok      allowed 200", Verdicts: checks.Verdicts{{CorsError: "MissingAllowOriginHeader", ReadableHeaders: []string{}}},
			Mismatches: []checks.Mismatch{{Field: "allowed", Want: "true", Got: "false"}}},
		{Name: "\x1b[1A\x1b[2Kb", Verdicts: ok, Misses: []string{"replay: miss\nFAKE    ok      allowed 200"}},
		{Name: "steps\r", Verdicts: append(ok, ok...)},
		{Name: "missed", Verdicts: checks.Verdicts{{Allowed: true, Status: 599, ReadableHeaders: []string{}}}, Misses: []string{"replay: no recorded interaction"}},
	}}
	var b bytes.Buffer
	require.NoError(t, writeResults(&b, run, "", false))
	assert.Equal(t, `CHECK                             RESULT  CHROME'S VERDICT
"a\nFAKE    ok      allowed 200"  FAIL    blocked MissingAllowOriginHeader
                                    expected allowed true, got false
"\x1b[1A\x1b[2Kb"                 MISS    allowed 200
                                    replay miss: replay: miss\nFAKE    ok      allowed 200
"steps\r"#1                       ok      allowed 200
"steps\r"#2                       ok      allowed 200
missed                            MISS    none: the request is not in the cassette (Chrome got the replay's 599 miss answer)
                                    replay miss: replay: no recorded interaction
`, b.String())
	assert.NotContains(t, b.String(), "\x1b", "no raw escape")
	assert.NotContains(t, b.String(), "\r", "no raw carriage return")
	for _, line := range strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n") {
		assert.False(t, strings.HasPrefix(line, "FAKE"), "forged row: %q", line)
	}

	b.Reset()
	writeDemo(&b, []demo.Row{{Name: "d\nFAKE ok", Live: run.Results[1], Replay: run.Results[1], Same: true}})
	assert.NotContains(t, b.String(), "\nFAKE", "demo table")
	assert.Contains(t, b.String(), `"d\nFAKE ok"`)
}
