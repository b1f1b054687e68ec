package cassettes_test

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/corsvcr/corsvcr/cassettes"
)

// TestLoadRefusesWhatIsNotACassetteFile: a FIFO, /dev/zero behind a
// symlink, a directory and an oversized file fail at once with an error
// naming the file and why, instead of blocking or running out of memory.
func TestLoadRefusesWhatIsNotACassetteFile(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T, path string)
		env   string
		want  string
	}{
		{name: "FIFO", setup: func(t *testing.T, path string) {
			require.NoError(t, syscall.Mkfifo(path, 0o644))
		}, want: "not a regular file: it is a named pipe (FIFO)"},
		{name: "symlink to /dev/zero", setup: func(t *testing.T, path string) {
			require.NoError(t, os.Symlink("/dev/zero", path))
		}, want: "not a regular file: it is a character device"},
		{name: "directory", setup: func(t *testing.T, path string) {
			require.NoError(t, os.Mkdir(path, 0o755))
		}, want: "not a regular file: it is a directory"},
		{name: "over CORSVCR_MAX_INPUT", setup: func(t *testing.T, path string) {
			require.NoError(t, os.WriteFile(path, make([]byte, 4096), 0o644))
		}, env: "1KiB", want: "file of 4 KiB is over the 1 KiB limit for cassettes; raise the limit with CORSVCR_MAX_INPUT, e.g. CORSVCR_MAX_INPUT=1GiB"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("CORSVCR_MAX_INPUT", tt.env)
			path := filepath.Join(t.TempDir(), "c.yaml")
			tt.setup(t, path)
			done := make(chan error, 1)
			go func() {
				_, err := cassettes.Load(path)
				done <- err
			}()
			select {
			case err := <-done:
				assert.EqualError(t, err, fmt.Sprintf("cassettes: load %q: %s", path, tt.want))
			case <-time.After(10 * time.Second):
				t.Fatal("Load blocked")
			}
		})
	}
}

// TestSaveThroughSymlink: the link stays a link; its target gets the new
// cassette and keeps its mode.
func TestSaveThroughSymlink(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	target := filepath.Join(dir, "real.yaml")
	require.NoError(t, cassettes.Save(target, &cassettes.Cassette{}))
	require.NoError(t, os.Chmod(target, 0o600))
	link := filepath.Join(dir, "c.yaml")
	require.NoError(t, os.Symlink("real.yaml", link))

	require.NoError(t, cassettes.Save(link, session(t)))

	st, err := os.Lstat(link)
	require.NoError(t, err)
	assert.Equal(t, fs.ModeSymlink, st.Mode().Type(), "link replaced by a file")
	c, err := cassettes.Load(target)
	require.NoError(t, err)
	assert.Equal(t, len(session(t).Interactions), len(c.Interactions))
	st, err = os.Stat(target)
	require.NoError(t, err)
	assert.Equal(t, fs.FileMode(0o600), st.Mode().Perm())
}

// TestSaveWithSecrets: a cassette with secrets is never readable by others.
func TestSaveWithSecrets(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	fresh := filepath.Join(dir, "new.yaml")
	require.NoError(t, cassettes.Save(fresh, session(t), cassettes.WithSecrets()))
	existing := filepath.Join(dir, "old.yaml")
	require.NoError(t, cassettes.Save(existing, session(t)))
	require.NoError(t, cassettes.Save(existing, session(t), cassettes.WithSecrets()))
	plain := filepath.Join(dir, "plain.yaml")
	require.NoError(t, cassettes.Save(plain, session(t)))
	for path, want := range map[string]fs.FileMode{fresh: 0o600, existing: 0o600, plain: 0o644} {
		st, err := os.Stat(path)
		require.NoError(t, err)
		assert.Equal(t, want, st.Mode().Perm(), path)
	}
}
