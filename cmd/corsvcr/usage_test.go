package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// corsvcrRun runs one invocation in-process (no browser is reached in
// these tests: each stops at a usage error).
func corsvcrRun(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(context.Background(), args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestUsageErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	file := filepath.Join(dir, "checks.yaml")
	require.NoError(t, os.WriteFile(file, []byte("version: 1\npage: http://localhost:8080\nchecks:\n"+
		"  - name: login\n    request: {url: http://localhost:8000/login}\n"+
		"  - name: items\n    request: {url: http://localhost:8000/items}\n"), 0o644))
	cas := filepath.Join(dir, "missing-cassette.yaml")
	tests := []struct {
		name string
		args []string
		want string
	}{
		{name: "check --run invalid", args: []string{"check", "--checks", file, "--run", "log(in"},
			want: "corsvcr: check: --run \"log(in\": error parsing regexp: missing closing ): `log(in`\n"},
		{name: "record --run invalid", args: []string{"record", "--checks", file, "--cassette", cas, "--run", "["},
			want: "corsvcr: record: --run \"[\": error parsing regexp: missing closing ]: `[`\n"},
		{name: "demo --run invalid", args: []string{"demo", "--out", dir, "--run", "*"},
			want: "corsvcr: demo: --run \"*\": error parsing regexp: missing argument to repetition operator: `*`\n"},
		{name: "check --run matches nothing", args: []string{"check", "--checks", file, "--cassette", cas, "--run", "^logout$"},
			want: "corsvcr: check: --run \"^logout$\": no check name matches in \"" + file + "\" (2 checks)\n"},
		{name: "record --run matches nothing", args: []string{"record", "--checks", file, "--cassette", cas, "--run", "Login"},
			want: "corsvcr: record: --run \"Login\": no check name matches in \"" + file + "\" (2 checks)\n"},
		{name: "demo --run matches nothing", args: []string{"demo", "--out", filepath.Join(dir, "demo"), "--run", "^no-such-check$"},
			want: "corsvcr: demo: --run \"^no-such-check$\": no check name matches in the demo's checks (" + filepath.Join(dir, "demo", "checks.yaml") + ")\n"},
		{name: "serve beyond loopback", args: []string{"serve", "--cassette", cas, "--listen", "0.0.0.0:8000"},
			want: "corsvcr: serve: --listen \"0.0.0.0:8000\": not a loopback address: a replay server listens on loopback only (127.0.0.1:PORT, [::1]:PORT, localhost:PORT, or :PORT for 127.0.0.1); reach it from another machine through a tunnel such as ssh -L\n"},
		{name: "serve on a LAN address", args: []string{"serve", "--cassette", cas, "--listen", "192.168.1.10:8000"},
			want: "corsvcr: serve: --listen \"192.168.1.10:8000\": not a loopback address: a replay server listens on loopback only (127.0.0.1:PORT, [::1]:PORT, localhost:PORT, or :PORT for 127.0.0.1); reach it from another machine through a tunnel such as ssh -L\n"},
		{name: "serve without port", args: []string{"serve", "--cassette", cas, "--listen", "127.0.0.1"},
			want: "corsvcr: serve: --listen \"127.0.0.1\": address 127.0.0.1: missing port in address\n"},
		{name: "check --parallel negative", args: []string{"check", "--checks", file, "--cassette", cas, "--parallel", "-1"},
			want: "corsvcr: --parallel -1: negative\n"},
		{name: "demo --parallel negative", args: []string{"demo", "--out", dir, "--parallel", "-2"},
			want: "corsvcr: demo: --parallel -2: negative\n"},
		{name: "ca --dir and --ca-dir disagree", args: []string{"ca", "--dir", "a", "--ca-dir", "b"},
			want: "corsvcr: ca: --dir \"a\" and --ca-dir \"b\" disagree (--dir is the deprecated name of --ca-dir)\n"},
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

// TestServeListenLoopback: the addresses serve accepts are the ones it
// binds: no warning, and a loopback address gets as far as the cassette.
func TestServeListenLoopback(t *testing.T) {
	t.Parallel()
	cas := filepath.Join(t.TempDir(), "missing.yaml")
	for _, addr := range []string{"127.0.0.1:0", ":0", "localhost:0", "[::1]:0"} {
		code, _, stderr := corsvcrRun(t, "serve", "--cassette", cas, "--listen", addr)
		assert.Equal(t, exitHarness, code, addr)
		assert.Contains(t, stderr, "missing.yaml", addr)
		assert.NotContains(t, stderr, "loopback", addr)
	}
}

// TestCADirFlag: `corsvcr ca` takes --ca-dir like every other command;
// --dir still works, with a deprecation note.
func TestCADirFlag(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "ca")
	code, stdout, stderr := corsvcrRun(t, "ca", "--ca-dir", dir, "--json")
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stdout, `"dir": "`+dir+`"`)
	assert.Empty(t, stderr)

	code, stdout, stderr = corsvcrRun(t, "ca", "--dir", dir, "--json")
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stdout, `"dir": "`+dir+`"`)
	assert.Contains(t, stdout, `"created": false`, "the same CA")
	assert.Equal(t, "corsvcr: ca: --dir is deprecated: use --ca-dir, as record, check, serve and demo do\n", stderr)
}
