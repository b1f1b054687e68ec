package integration

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestFilesKeepSecretsModes: a cassette and a check file written with
// --keep-secrets are 0600; a later save over a 0600 cassette keeps 0600;
// a HAR exported from it is as private.
func TestFilesKeepSecretsModes(t *testing.T) {
	dir := t.TempDir()
	cas := filepath.Join(dir, "kept.yaml")
	chk := filepath.Join(dir, "checks.yaml")
	r := corsvcr(t, "import", "testdata/har/devtools-style.har", "-o", cas, "--checks-out", chk, "--keep-secrets")
	require.Equal(t, 0, r.code, "import: %s%s", r.stdout, r.stderr)
	assert.Equal(t, fs.FileMode(0o600), fileMode(t, cas), "--keep-secrets cassette")
	assert.Equal(t, fs.FileMode(0o600), fileMode(t, chk), "--keep-secrets check file")

	// Saved again without --keep-secrets (redacted), by import and by
	// check --mode record-missing's path alike: the mode stays.
	r = corsvcr(t, "import", "testdata/har/devtools-style.har", "-o", cas)
	require.Equal(t, 0, r.code, "import: %s%s", r.stdout, r.stderr)
	assert.Equal(t, fs.FileMode(0o600), fileMode(t, cas), "saving over a 0600 cassette")

	har := filepath.Join(dir, "kept.har")
	r = corsvcr(t, "export", cas, "-o", har)
	require.Equal(t, 0, r.code, "export: %s%s", r.stdout, r.stderr)
	assert.Equal(t, fs.FileMode(0o600), fileMode(t, har), "HAR of a private cassette")

	// A world-readable cassette saved with --keep-secrets loses group and
	// other access.
	open := filepath.Join(dir, "open.yaml")
	require.NoError(t, os.WriteFile(open, nil, 0o644))
	r = corsvcr(t, "import", "testdata/har/devtools-style.har", "-o", open, "--keep-secrets")
	require.Equal(t, 0, r.code, "import: %s%s", r.stdout, r.stderr)
	assert.Equal(t, fs.FileMode(0o600), fileMode(t, open))
}

// TestFilesExportSymlinkAndSameFile: export through a symlink keeps the
// link and replaces its target; an output that is the input cassette
// (directly or through a link) is a usage error naming both, and the
// cassette is left alone.
func TestFilesExportSymlinkAndSameFile(t *testing.T) {
	dir := t.TempDir()
	cas := filepath.Join(dir, "c.yaml")
	r := corsvcr(t, "import", "testdata/har/devtools-style.har", "-o", cas)
	require.Equal(t, 0, r.code, "import: %s%s", r.stdout, r.stderr)
	before, err := os.ReadFile(cas)
	require.NoError(t, err)

	target := filepath.Join(dir, "out", "real.har")
	require.NoError(t, os.Mkdir(filepath.Dir(target), 0o755))
	require.NoError(t, os.WriteFile(target, []byte("old"), 0o640))
	link := filepath.Join(dir, "link.har")
	require.NoError(t, os.Symlink(target, link))
	r = corsvcr(t, "export", cas, "-o", link)
	require.Equal(t, 0, r.code, "export: %s%s", r.stdout, r.stderr)
	st, err := os.Lstat(link)
	require.NoError(t, err)
	assert.Equal(t, fs.ModeSymlink, st.Mode().Type(), "the link stays a link")
	data, err := os.ReadFile(target)
	require.NoError(t, err)
	assert.True(t, bytes.HasPrefix(data, []byte("{")), "the target holds the HAR: %.40s", data)
	assert.Equal(t, fs.FileMode(0o640), fileMode(t, target), "the target keeps its mode")

	casLink := filepath.Join(dir, "alias.yaml")
	require.NoError(t, os.Symlink("c.yaml", casLink))
	for _, out := range []string{cas, casLink, filepath.Join(dir, ".", "c.yaml")} {
		r = corsvcr(t, "export", cas, "-o", out)
		assert.Equal(t, 2, r.code, r.stdout+r.stderr)
		assert.Contains(t, r.stderr, fmt.Sprintf("export: -o %q is the cassette %q itself", out, cas))
	}
	r = corsvcr(t, "import", "testdata/har/devtools-style.har", "-o", "testdata/har/devtools-style.har")
	assert.Equal(t, 2, r.code, r.stdout+r.stderr)
	assert.Contains(t, r.stderr, `import: -o "testdata/har/devtools-style.har" is the HAR file "testdata/har/devtools-style.har" itself`)
	after, err := os.ReadFile(cas)
	require.NoError(t, err)
	assert.Equal(t, before, after, "cassette untouched")
}

// TestFilesInputLimits: a FIFO or /dev/zero given as a cassette fails at
// once, naming the file; a cassette over CORSVCR_MAX_INPUT fails with the
// way to raise the limit, and passes once it is raised.
func TestFilesInputLimits(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo.yaml")
	require.NoError(t, syscall.Mkfifo(fifo, 0o644))
	zero := filepath.Join(dir, "zero.yaml")
	require.NoError(t, os.Symlink("/dev/zero", zero))
	cas := filepath.Join(dir, "c.yaml")
	r := corsvcr(t, "import", "testdata/har/devtools-style.har", "-o", cas)
	require.Equal(t, 0, r.code, "import: %s%s", r.stdout, r.stderr)
	out := filepath.Join(dir, "x.har")

	for _, tt := range []struct {
		args []string
		env  string
		code int
		want string
	}{
		{args: []string{"export", fifo, "-o", out}, code: 1, want: fmt.Sprintf("cassettes: load %q: not a regular file: it is a named pipe (FIFO)", fifo)},
		{args: []string{"serve", "--cassette", zero}, code: 1, want: fmt.Sprintf("cassettes: load %q: not a regular file: it is a character device", zero)},
		{args: []string{"explain", "--cassette", dir}, code: 1, want: fmt.Sprintf("cassettes: load %q: not a regular file: it is a directory", dir)},
		{args: []string{"check", "--checks", fifo}, code: 1, want: fmt.Sprintf("checks: load %q: not a regular file: it is a named pipe (FIFO)", fifo)},
		{args: []string{"import", fifo, "-o", out}, code: 1, want: fmt.Sprintf("har: load %q: not a regular file: it is a named pipe (FIFO)", fifo)},
		{args: []string{"export", cas, "-o", out}, env: "1KiB", code: 1, want: "limit for cassettes; raise the limit with CORSVCR_MAX_INPUT, e.g. CORSVCR_MAX_INPUT=1GiB"},
		{args: []string{"export", cas, "-o", out}, env: "1MiB", code: 0},
	} {
		t.Run(fmt.Sprint(tt.args[0], " ", tt.env), func(t *testing.T) {
			cmd := exec.CommandContext(testContext(t), corsvcrBin, tt.args...)
			cmd.Env = append(os.Environ(), "CORSVCR_MAX_INPUT="+tt.env)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			start := time.Now()
			err := cmd.Run()
			code := 0
			if ee, ok := err.(*exec.ExitError); ok {
				code = ee.ExitCode()
			} else {
				require.NoError(t, err)
			}
			assert.Equal(t, tt.code, code, stderr.String())
			assert.Contains(t, stderr.String(), tt.want)
			assert.Less(t, time.Since(start), 20*time.Second, "refused at once")
		})
	}
}

func fileMode(t *testing.T, path string) fs.FileMode {
	t.Helper()
	st, err := os.Stat(path)
	require.NoError(t, err)
	return st.Mode().Perm()
}
