package cassettes_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/corsvcr/corsvcr/cassettes"
)

// dirNames lists the entries of dir, to catch stray temp files.
func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func TestSaveLoad(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "session.yaml")
	c := session(t)

	require.NoError(t, cassettes.Save(path, c))
	got, err := cassettes.Load(path)
	require.NoError(t, err)
	assert.Equal(t, c, got)

	data, err := os.ReadFile(path)
	require.NoError(t, err)
	want, err := cassettes.Encode(c)
	require.NoError(t, err)
	assert.Equal(t, string(want), string(data))

	info, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, fs.FileMode(0o644), info.Mode().Perm())
	assert.Equal(t, []string{"session.yaml"}, dirNames(t, dir), "temp files left behind")
}

func TestSaveReplaces(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "c.yaml")
	require.NoError(t, os.WriteFile(path, []byte("old content, much longer than the new cassette will be ......................................................................................................................................................................................................................................................................................................................................................................................................................................................................"), 0o600))

	c := &cassettes.Cassette{Meta: cassettes.Meta{Corsvcr: "test"}}
	require.NoError(t, cassettes.Save(path, c))
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, "version: 1\nmeta:\n  corsvcr: test\ninteractions: []\n", string(data))
	assert.Equal(t, []string{"c.yaml"}, dirNames(t, dir))
}

func TestSaveFailureKeepsOldFile(t *testing.T) {
	t.Parallel()
	const old = "version: 1\ninteractions: []\n"
	tests := []struct {
		name    string
		setup   func(t *testing.T, dir string) string // returns the path to save to
		c       *cassettes.Cassette
		wantErr string
	}{
		{
			name: "invalid cassette",
			setup: func(t *testing.T, dir string) string {
				path := filepath.Join(dir, "c.yaml")
				require.NoError(t, os.WriteFile(path, []byte(old), 0o644))
				return path
			},
			c:       &cassettes.Cassette{Interactions: []cassettes.Interaction{{Kind: cassettes.KindOther}}},
			wantErr: "invalid cassette:\ncassettes: interaction 0: request.method: missing",
		},
		{
			name: "target is a directory",
			setup: func(t *testing.T, dir string) string {
				path := filepath.Join(dir, "c.yaml")
				require.NoError(t, os.Mkdir(path, 0o755))
				require.NoError(t, os.WriteFile(filepath.Join(path, "keep"), []byte(old), 0o644))
				return path
			},
			c:       session(t),
			wantErr: "file exists",
		},
		{
			name: "directory missing",
			setup: func(t *testing.T, dir string) string {
				return filepath.Join(dir, "nope", "c.yaml")
			},
			c:       session(t),
			wantErr: "no such file or directory",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			path := tt.setup(t, dir)
			before := dirNames(t, dir)

			err := cassettes.Save(path, tt.c)
			require.Error(t, err)
			assert.Contains(t, err.Error(), `cassettes: save "`+path+`": `)
			assert.Contains(t, err.Error(), tt.wantErr)
			assert.Equal(t, before, dirNames(t, dir), "temp files left behind")
			if data, err := os.ReadFile(path); err == nil {
				assert.Equal(t, old, string(data), "old cassette changed")
			}
		})
	}
}

func TestSaveReadOnlyDir(t *testing.T) {
	t.Parallel()
	if os.Geteuid() == 0 {
		t.Skip("root ignores directory permissions")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "c.yaml")
	require.NoError(t, cassettes.Save(path, &cassettes.Cassette{}))
	require.NoError(t, os.Chmod(dir, 0o555))
	t.Cleanup(func() { os.Chmod(dir, 0o755) })

	err := cassettes.Save(path, session(t))
	require.ErrorIs(t, err, fs.ErrPermission)
	c, err := cassettes.Load(path)
	require.NoError(t, err)
	assert.Empty(t, c.Interactions, "old cassette changed")
	assert.Equal(t, []string{"c.yaml"}, dirNames(t, dir))
}

func TestLoadMissing(t *testing.T) {
	t.Parallel()
	_, err := cassettes.Load("testdata/does-not-exist.yaml")
	require.ErrorIs(t, err, fs.ErrNotExist)
	assert.Contains(t, err.Error(), `cassettes: load "testdata/does-not-exist.yaml": `)
}
