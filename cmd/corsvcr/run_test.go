package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/corsvcr/corsvcr/checks"
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
}
