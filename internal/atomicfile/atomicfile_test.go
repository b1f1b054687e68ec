package atomicfile_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/corsvcr/corsvcr/internal/atomicfile"
)

func TestWriteFile(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		old  bool
		perm fs.FileMode
	}{
		{name: "new file", perm: 0o644},
		{name: "replaces, with the mode asked for", old: true, perm: 0o600},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			path := filepath.Join(dir, "checks.yaml")
			if tt.old {
				require.NoError(t, os.WriteFile(path, []byte("old content, longer than the new"), 0o644))
			}
			require.NoError(t, atomicfile.WriteFile(path, []byte("new"), tt.perm))
			data, err := os.ReadFile(path)
			require.NoError(t, err)
			assert.Equal(t, "new", string(data))
			info, err := os.Stat(path)
			require.NoError(t, err)
			assert.Equal(t, tt.perm, info.Mode().Perm())
			assert.Equal(t, []string{"checks.yaml"}, dirNames(t, dir), "temp files left behind")
		})
	}
	t.Run("no directory", func(t *testing.T) {
		t.Parallel()
		path := filepath.Join(t.TempDir(), "missing", "x.har")
		assert.Error(t, atomicfile.WriteFile(path, []byte("x"), 0o644))
		assert.NoFileExists(t, path)
	})
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
