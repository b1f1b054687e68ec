package atomicfile_test

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/corsvcr/corsvcr/internal/atomicfile"
	"github.com/corsvcr/corsvcr/internal/procs/procstest"
)

func TestWriteFile(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		oldMode fs.FileMode // 0: no old file
		private bool
		want    fs.FileMode
	}{
		{name: "new file", want: 0o644},
		{name: "new private file", private: true, want: 0o600},
		{name: "replaces, keeping the mode", oldMode: 0o640, want: 0o640},
		{name: "a 0600 file stays 0600", oldMode: 0o600, want: 0o600},
		{name: "private takes group and others away", oldMode: 0o664, private: true, want: 0o600},
		{name: "private keeps the owner's bits", oldMode: 0o400, private: true, want: 0o400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			path := filepath.Join(dir, "checks.yaml")
			if tt.oldMode != 0 {
				require.NoError(t, os.WriteFile(path, []byte("old content, longer than the new"), 0o644))
				require.NoError(t, os.Chmod(path, tt.oldMode))
			}
			require.NoError(t, atomicfile.WriteFile(path, []byte("new"), atomicfile.Options{Private: tt.private}))
			data, err := os.ReadFile(path)
			require.NoError(t, err)
			assert.Equal(t, "new", string(data))
			assert.Equal(t, tt.want, mode(t, path))
			assert.Equal(t, []string{"checks.yaml"}, dirNames(t, dir), "temp files left behind")
		})
	}
	t.Run("no directory", func(t *testing.T) {
		t.Parallel()
		path := filepath.Join(t.TempDir(), "missing", "x.har")
		assert.Error(t, atomicfile.WriteFile(path, []byte("x"), atomicfile.Options{}))
		assert.NoFileExists(t, path)
	})
}

// TestWriteFileSymlink: writing through a symlink replaces its target, in
// the target's directory, and keeps the link and the target's mode.
func TestWriteFileSymlink(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		setup func(t *testing.T, linkDir, targetDir string) (link, target string)
	}{
		{name: "absolute link to another directory", setup: func(t *testing.T, linkDir, targetDir string) (string, string) {
			target := filepath.Join(targetDir, "real.yaml")
			writeOld(t, target, 0o600)
			link := filepath.Join(linkDir, "c.yaml")
			require.NoError(t, os.Symlink(target, link))
			return link, target
		}},
		{name: "relative link", setup: func(t *testing.T, linkDir, targetDir string) (string, string) {
			target := filepath.Join(targetDir, "real.yaml")
			writeOld(t, target, 0o640)
			link := filepath.Join(linkDir, "c.yaml")
			rel, err := filepath.Rel(linkDir, target)
			require.NoError(t, err)
			require.NoError(t, os.Symlink(rel, link))
			return link, target
		}},
		{name: "chain of links", setup: func(t *testing.T, linkDir, targetDir string) (string, string) {
			target := filepath.Join(targetDir, "real.yaml")
			writeOld(t, target, 0o600)
			mid := filepath.Join(targetDir, "mid.yaml")
			require.NoError(t, os.Symlink("real.yaml", mid))
			link := filepath.Join(linkDir, "c.yaml")
			require.NoError(t, os.Symlink(mid, link))
			return link, target
		}},
		{name: "dangling link: the target is created", setup: func(t *testing.T, linkDir, targetDir string) (string, string) {
			target := filepath.Join(targetDir, "real.yaml")
			link := filepath.Join(linkDir, "c.yaml")
			require.NoError(t, os.Symlink(target, link))
			return link, target
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			linkDir, targetDir := t.TempDir(), t.TempDir()
			link, target := tt.setup(t, linkDir, targetDir)
			var wantMode fs.FileMode = 0o644
			if st, err := os.Stat(target); err == nil {
				wantMode = st.Mode().Perm()
			}
			linksBefore, targetsBefore := dirNames(t, linkDir), dirNames(t, targetDir)

			require.NoError(t, atomicfile.WriteFile(link, []byte("new"), atomicfile.Options{}))

			st, err := os.Lstat(link)
			require.NoError(t, err)
			assert.Equal(t, fs.ModeSymlink, st.Mode().Type(), "the link is still a link")
			data, err := os.ReadFile(target)
			require.NoError(t, err)
			assert.Equal(t, "new", string(data), "the target holds the new content")
			assert.Equal(t, wantMode, mode(t, target))
			assert.Equal(t, linksBefore, dirNames(t, linkDir), "nothing written next to the link")
			if len(targetsBefore) == 0 {
				targetsBefore = []string{"real.yaml"}
			}
			assert.Equal(t, targetsBefore, dirNames(t, targetDir), "temp files left behind")
		})
	}
	t.Run("link loop", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
		require.NoError(t, os.Symlink(b, a))
		require.NoError(t, os.Symlink(a, b))
		err := atomicfile.WriteFile(a, []byte("x"), atomicfile.Options{})
		require.Error(t, err)
		assert.Contains(t, err.Error(), "too many levels of symbolic links")
	})
}

// TestWriteFileRemovesStaleTemps: the temp files a killed writer left (dead
// pid, or a pid reused by a process started after the file was written)
// go on the next write of the same target; one of a live writer, one of
// another target and one without a pid (not ours to judge) stay.
func TestWriteFileRemovesStaleTemps(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "c.yaml")
	dead, live := procstest.DeadPID(t), os.Getpid()
	// Written before this process started: not this process's.
	yearAgo := time.Now().AddDate(-1, 0, 0)
	entries := []struct {
		name  string
		mtime time.Time // zero: now
		gone  bool
	}{
		{name: fmt.Sprintf(".c.yaml.tmp-%d-123", dead), gone: true},
		{name: fmt.Sprintf(".c.yaml.tmp-%d-456", live)},
		{name: fmt.Sprintf(".c.yaml.tmp-%d-789", live), mtime: yearAgo, gone: runtime.GOOS == "linux"},
		{name: fmt.Sprintf(".other.yaml.tmp-%d-123", dead)},
		{name: ".c.yaml.tmp-123"}, // older corsvcr: no pid
	}
	for _, e := range entries {
		p := filepath.Join(dir, e.name)
		require.NoError(t, os.WriteFile(p, make([]byte, 1024), 0o644))
		if !e.mtime.IsZero() {
			require.NoError(t, os.Chtimes(p, e.mtime, e.mtime))
		}
	}

	require.NoError(t, atomicfile.WriteFile(path, []byte("new"), atomicfile.Options{}))

	for _, e := range entries {
		if e.gone {
			assert.NoFileExists(t, filepath.Join(dir, e.name))
		} else {
			assert.FileExists(t, filepath.Join(dir, e.name))
		}
	}
	assert.FileExists(t, path)
}

func writeOld(t *testing.T, path string, perm fs.FileMode) {
	t.Helper()
	require.NoError(t, os.WriteFile(path, []byte("old content, longer than the new"), 0o644))
	require.NoError(t, os.Chmod(path, perm))
}

func mode(t *testing.T, path string) fs.FileMode {
	t.Helper()
	st, err := os.Stat(path)
	require.NoError(t, err)
	return st.Mode().Perm()
}

func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	require.NoError(t, err)
	var out []string
	for _, e := range es {
		out = append(out, e.Name())
	}
	return out
}
