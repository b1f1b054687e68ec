package vcr_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/corsvcr/corsvcr/checks"
	"github.com/corsvcr/corsvcr/vcr"
)

func TestReport(t *testing.T) {
	t.Parallel()
	ok := checks.Verdicts{{Allowed: true, Status: 200, ReadableHeaders: []string{}}}
	run := &vcr.Run{Results: []vcr.Result{
		{Name: "ok", Verdicts: ok},
		{Name: "fail", Verdicts: ok, Mismatches: []checks.Mismatch{{Field: "status", Want: "201", Got: "200"}}},
		{Name: "miss", Verdicts: ok, Misses: []string{"replay: no recorded interaction"}},
		{Name: "miss and fail", Verdicts: ok, Misses: []string{"replay: no recorded interaction"}, Mismatches: []checks.Mismatch{{Field: "status", Want: "201", Got: "200"}}},
		{Name: "error", Error: "browsercheck: boom"},
	}, NotRun: 2}
	assert.Equal(t, vcr.Totals{Checks: 7, Passed: 1, Failed: 1, Missed: 2, Errors: 1, NotRun: 2, Interrupted: true}, run.Totals(),
		"each check counts once, by its worst outcome")
	assert.Equal(t, []bool{true, false, false, false, false}, []bool{
		run.Results[0].Passed(), run.Results[1].Passed(), run.Results[2].Passed(), run.Results[3].Passed(), run.Results[4].Passed()})

	rep := vcr.NewReport(run, "c.yaml")
	assert.False(t, rep.Pass)
	data, err := json.Marshal(rep)
	require.NoError(t, err)
	var got struct {
		SchemaVersion int            `json:"schema_version"`
		Pass          *bool          `json:"pass"`
		Summary       map[string]any `json:"summary"`
		Cassette      string         `json:"cassette"`
		Checks        []map[string]any
	}
	require.NoError(t, json.Unmarshal(data, &got))
	assert.Equal(t, 1, got.SchemaVersion)
	require.NotNil(t, got.Pass)
	assert.False(t, *got.Pass)
	assert.Equal(t, map[string]any{"checks": 7.0, "passed": 1.0, "failed": 1.0, "missed": 2.0, "errors": 1.0, "not_run": 2.0, "interrupted": true}, got.Summary)
	assert.Equal(t, "c.yaml", got.Cassette)
	require.Len(t, got.Checks, 5)
	assert.Equal(t, true, got.Checks[0]["pass"], "pass is explicit: true")
	assert.Equal(t, false, got.Checks[1]["pass"], "pass is explicit: false")
	assert.Equal(t, "fail", got.Checks[1]["name"])
	assert.NotNil(t, got.Checks[1]["mismatches"], "the result's own fields are kept")

	all := &vcr.Run{Results: run.Results[:1]}
	assert.True(t, vcr.NewReport(all, "").Pass)
	assert.Equal(t, vcr.Totals{Checks: 1, Passed: 1}, all.Totals())
	assert.False(t, vcr.NewReport(&vcr.Run{}, "").Pass, "no check is no pass")
	data, err = json.Marshal(vcr.NewReport(&vcr.Run{}, ""))
	require.NoError(t, err)
	assert.Contains(t, string(data), `"checks":[]`, "checks is a list, never null")
}
