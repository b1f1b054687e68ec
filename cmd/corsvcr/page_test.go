package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPageModeUsageErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	file := filepath.Join(dir, "checks.yaml")
	require.NoError(t, os.WriteFile(file, []byte("version: 1\npage: http://localhost:8080\nchecks:\n  - name: a\n    request: {url: http://localhost:8000/}\n"), 0o644))
	cas, out := filepath.Join(dir, "c.yaml"), filepath.Join(dir, "page.yaml")
	const page = "http://localhost:5173/"
	tests := []struct {
		name string
		args []string
		want string
	}{
		{name: "with --checks", args: []string{"record", "--url", page, "--checks", file, "--cassette", cas, "--checks-out", out},
			want: "corsvcr: record: --url and --checks exclude each other (page mode writes its check file to --checks-out)\n"},
		{name: "with --run", args: []string{"record", "--url", page, "--cassette", cas, "--checks-out", out, "--run", "x"},
			want: "corsvcr: record: --run selects checks of --checks; it has no use with --url (JavaScript to run in the page is --after-load)\n"},
		{name: "with --shard", args: []string{"record", "--url", page, "--cassette", cas, "--checks-out", out, "--shard", "1/2"},
			want: "corsvcr: record: --shard shares out the checks of --checks; it has no use with --url (one page visit)\n"},
		{name: "without --checks-out", args: []string{"record", "--url", page, "--cassette", cas},
			want: "corsvcr: record: --url needs --cassette and --checks-out\n"},
		{name: "same file", args: []string{"record", "--url", page, "--cassette", out, "--checks-out", dir + "/./page.yaml"},
			want: "corsvcr: record: --cassette and --checks-out name the same file \"" + dir + "/./page.yaml" + "\" (the check file would overwrite the cassette)\n"},
		{name: "idle out of range", args: []string{"record", "--url", page, "--cassette", cas, "--checks-out", out, "--idle", "0s"},
			want: "corsvcr: record: --idle 0s is out of range (0s, 10s]\n"},
		{name: "not a URL", args: []string{"record", "--url", "localhost:5173/", "--cassette", cas, "--checks-out", out},
			want: "corsvcr: record: --url: checks: check \"localhost:5173/\": visit.url: \"localhost:5173/\": no scheme: want an absolute http or https URL (write \"http://localhost:5173/\")\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			code, stdout, stderr := corsvcrRun(t, tc.args...)
			assert.Equal(t, exitUsage, code)
			assert.Empty(t, stdout)
			assert.Equal(t, tc.want, stderr)
			assert.NoFileExists(t, cas)
			assert.NoFileExists(t, out)
		})
	}
}

func TestDefaultName(t *testing.T) {
	assert.Equal(t, "localhost:5173/", defaultName("http://localhost:5173/"))
	assert.Equal(t, "app.example.com/items?x=1", defaultName("https://app.example.com/items?x=1"))
}
