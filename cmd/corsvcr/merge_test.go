package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/joshdk/go-junit"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/corsvcr/corsvcr/checks"
	"github.com/corsvcr/corsvcr/vcr"
)

// TestMergeMissingShard: a merge whose shard reports lack checks of the
// check file names them and says why, instead of calling the run
// interrupted, and its JUnit makes each an error, so that a CI server that
// reads the JUnit alone does not show the merge green (it used to show
// them <skipped>, "not run: the run was interrupted", with no failure).
func TestMergeMissingShard(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	file := filepath.Join(dir, "cors-checks.yaml")
	require.NoError(t, os.WriteFile(file, []byte("version: 1\npage: http://localhost:8080\nchecks:\n"+
		"  - name: login\n    request: {url: http://localhost:8000/login}\n"+
		"  - name: cart\n    request: {url: http://localhost:8000/cart}\n"+
		"  - name: orders\n    request: {url: http://localhost:8000/orders}\n"), 0o644))
	ok := checks.Verdict{Allowed: true, Status: 200, ReadableHeaders: []string{}}
	shard := filepath.Join(dir, "shard-1.json")
	data, err := json.Marshal(vcr.NewReport(&vcr.Run{Results: []vcr.Result{{Name: "cart", Verdicts: checks.Verdicts{ok}}}}, "cors.yaml"))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(shard, data, 0o644))

	xmlPath := filepath.Join(dir, "junit.xml")
	code, _, stderr := corsvcrRun(t, "merge", "--checks", file, "--junit", xmlPath, shard)
	assert.Equal(t, 1, code)
	assert.Equal(t, "corsvcr: merge: 2 of 3 checks of \""+file+"\" are in no shard's report: \"login\", \"orders\" (a shard was interrupted, its job died, or its report is missing)\n", stderr)
	assert.NotContains(t, stderr, "interrupted:")

	suites, err := junit.IngestFile(xmlPath)
	require.NoError(t, err)
	require.Len(t, suites, 1)
	assert.Equal(t, 3, suites[0].Totals.Tests)
	assert.Equal(t, 1, suites[0].Totals.Passed)
	assert.Equal(t, 2, suites[0].Totals.Error, "the checks in no shard's report are errors")
	assert.Zero(t, suites[0].Totals.Skipped)
	login := suites[0].Tests[0]
	assert.Equal(t, "login", login.Name)
	assert.Equal(t, junit.StatusError, login.Status)
	assert.Equal(t, "not-run", login.Error.(junit.Error).Type)
	assert.Equal(t, "did not run: it is in no shard's report (a shard was interrupted, its job died, or its report is missing)", login.Message)
}

// TestMergeDuplicateNamesFiles: a check in two shard reports is a usage
// error naming both files; it used to name their positions, "(1 and 2)",
// which read as shard numbers.
func TestMergeDuplicateNamesFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ok := checks.Verdict{Allowed: true, Status: 200, ReadableHeaders: []string{}}
	data, err := json.Marshal(vcr.NewReport(&vcr.Run{Results: []vcr.Result{{Name: "cart", Verdicts: checks.Verdicts{ok}}}}, "cors.yaml"))
	require.NoError(t, err)
	shard := filepath.Join(dir, "shard-3.json")
	require.NoError(t, os.WriteFile(shard, data, 0o644))

	code, _, stderr := corsvcrRun(t, "merge", shard, shard)
	assert.Equal(t, 2, code)
	assert.Equal(t, "corsvcr: merge: check \"cart\" ran in two shards, in \""+shard+"\" and in \""+shard+"\": the shards of one run split the checks (was a report given twice, or were the shards of different --shard counts?)\n", stderr)
}

// TestReportFilesCreateTheirDirectory: --junit, --report and -o create the
// directory of the path they name, as the README's example needs on a
// fresh clone (--junit build/cors-junit.xml); a path that cannot be
// written names the flag and the path given, on one line, not the
// temporary file the write went through.
func TestReportFilesCreateTheirDirectory(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ok := checks.Verdict{Allowed: true, Status: 200, ReadableHeaders: []string{}}
	data, err := json.Marshal(vcr.NewReport(&vcr.Run{Results: []vcr.Result{{Name: "cart", Verdicts: checks.Verdicts{ok}}}}, ""))
	require.NoError(t, err)
	shard := filepath.Join(dir, "shard-1.json")
	require.NoError(t, os.WriteFile(shard, data, 0o644))

	junitPath := filepath.Join(dir, "build", "junit", "cors-junit.xml")
	htmlPath := filepath.Join(dir, "build", "cors-report.html")
	merged := filepath.Join(dir, "out", "merged.json")
	code, _, stderr := corsvcrRun(t, "merge", "--junit", junitPath, "--report", htmlPath, "-o", merged, shard)
	require.Equal(t, 0, code, "stderr: %s", stderr)
	for _, p := range []string{junitPath, htmlPath, merged} {
		assert.FileExists(t, p)
	}
	suites, err := junit.IngestFile(junitPath)
	require.NoError(t, err)
	assert.Equal(t, 1, suites[0].Totals.Passed)

	// A parent that is a file: no directory can be made there.
	notDir := filepath.Join(dir, "file")
	require.NoError(t, os.WriteFile(notDir, nil, 0o644))
	badJUnit, badHTML := filepath.Join(notDir, "j.xml"), filepath.Join(notDir, "r.html")
	code, _, stderr = corsvcrRun(t, "merge", "--junit", badJUnit, "--report", badHTML, shard)
	assert.Equal(t, 1, code)
	assert.Equal(t, "corsvcr: --junit \""+badJUnit+"\": mkdir: not a directory; --report \""+badHTML+"\": mkdir: not a directory\n", stderr)
}
