package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/corsvcr/corsvcr/internal/schematest"
)

// TestShardUsage: an invalid --shard or --listen is a usage error naming
// the flag, and record --shard refuses to replace an existing cassette.
func TestShardUsage(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	file := filepath.Join(dir, "checks.yaml")
	require.NoError(t, os.WriteFile(file, []byte("version: 1\npage: http://localhost:8080\nchecks:\n"+
		"  - name: login\n    request: {url: http://localhost:8000/login}\n"), 0o644))
	existing := filepath.Join(dir, "cors.yaml")
	require.NoError(t, os.WriteFile(existing, []byte("version: 1\n"), 0o644))
	tests := []struct {
		name string
		args []string
		want string
	}{
		{name: "check zero index", args: []string{"check", "--checks", file, "--shard", "0/4"},
			want: "corsvcr: check: --shard: checks: shard 0/4: want I/N with 1 <= I <= N, e.g. 2/4\n"},
		{name: "record index past count", args: []string{"record", "--checks", file, "--cassette", filepath.Join(dir, "new.yaml"), "--shard", "3/2"},
			want: "corsvcr: record: --shard: checks: shard 3/2: want I/N with 1 <= I <= N, e.g. 2/4\n"},
		{name: "check not a fraction", args: []string{"check", "--checks", file, "--shard", "half"},
			want: "corsvcr: check: --shard: checks: shard \"half\": want I/N with 1 <= I <= N, e.g. 2/4\n"},
		{name: "record shard over existing cassette", args: []string{"record", "--checks", file, "--cassette", existing, "--shard", "1/2"},
			want: "corsvcr: record: --shard with the existing cassette \"" + existing + "\" would replace it with the exchanges of shard 1/2 only; give each shard a cassette of its own (--cassette cors-1of2.yaml), or replace it anyway with --save-incomplete\n"},
		{name: "check listen unspecified", args: []string{"check", "--checks", file, "--listen", "0.0.0.0:0"},
			want: "corsvcr: vcr: config: listen \"0.0.0.0:0\": an unspecified host is no address to give the browser: want HOST:PORT with the address the browser reaches this machine at (port 0 for any free port)\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			code, stdout, stderr := corsvcrRun(t, tc.args...)
			assert.Equal(t, exitUsage, code, "stderr: %s", stderr)
			assert.Empty(t, stdout)
			assert.Equal(t, tc.want, stderr)
		})
	}
}

// TestEmptyShard: a shard that holds no check (more shards than checks)
// runs nothing, passes, and says which shard it was, in JSON valid by the
// schema.
func TestEmptyShard(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	file := filepath.Join(dir, "checks.yaml")
	require.NoError(t, os.WriteFile(file, []byte("version: 1\npage: http://localhost:8080\nchecks:\n"+
		"  - name: login\n    request: {url: http://localhost:8000/login}\n"), 0o644))
	// login hashes to one shard of 64; find one it is not in.
	empty := ""
	for i := 1; i <= 64 && empty == ""; i++ {
		s := strings.Join([]string{itoa(i), "64"}, "/")
		junit := filepath.Join(dir, "shard.xml")
		code, stdout, stderr := corsvcrRun(t, "check", "--checks", file, "--shard", s, "--json", "--chrome", "/nonexistent/chrome", "--junit", junit)
		if strings.Contains(stderr, "0 of 1 checks") {
			empty = s
			require.Equal(t, 0, code, "stderr: %s", stderr)
			assert.Equal(t, "corsvcr: shard "+s+": 0 of 1 checks\n", stderr)
			schematest.Validate(t, schematest.Report, []byte(stdout))
			var rep struct {
				Pass  bool           `json:"pass"`
				Shard map[string]int `json:"shard"`
			}
			require.NoError(t, json.Unmarshal([]byte(stdout), &rep))
			assert.True(t, rep.Pass)
			xml, err := os.ReadFile(junit)
			require.NoError(t, err, "the empty shard's --junit file")
			assert.Contains(t, string(xml), `tests="0"`)
			assert.Equal(t, map[string]int{"index": i, "count": 64, "checks": 0, "file_checks": 1}, rep.Shard)
		}
	}
	require.NotEmpty(t, empty, "every one of 64 shards holds the only check")
}

func itoa(i int) string { b, _ := json.Marshal(i); return string(b) }

// TestBrowserFlagUsage: a mistyped --browser is a usage error (exit 2)
// found when the flags are read, before any check runs, like an invalid
// --listen or --shard; it used to be a harness failure (exit 1) after the
// proxies had started.
func TestBrowserFlagUsage(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	file := filepath.Join(dir, "checks.yaml")
	require.NoError(t, os.WriteFile(file, []byte("version: 1\npage: http://localhost:8080\nchecks:\n"+
		"  - name: login\n    request: {url: http://localhost:8000/login}\n"), 0o644))
	for _, tc := range []struct{ addr, want string }{
		{"127.0.0.1:9222", `invalid value "127.0.0.1:9222" for flag -browser: browsercheck: remote browser "127.0.0.1:9222": want ws://HOST:PORT/devtools/browser/ID or http://HOST:PORT (Chrome's --remote-debugging-port)`},
		{"ftp://127.0.0.1:9222", `invalid value "ftp://127.0.0.1:9222" for flag -browser: browsercheck: remote browser "ftp://127.0.0.1:9222": scheme "ftp": want ws, wss, http or https`},
	} {
		for _, cmd := range []string{"check", "demo"} {
			code, _, stderr := corsvcrRun(t, cmd, "--checks", file, "--browser", tc.addr, "--chrome", "/nonexistent/chrome")
			assert.Equal(t, 2, code, "%s --browser %s: %s", cmd, tc.addr, stderr)
			assert.True(t, strings.HasPrefix(stderr, tc.want+"\n"), "%s --browser %s: %s", cmd, tc.addr, stderr)
		}
	}
}
