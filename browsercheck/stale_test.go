package browsercheck_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/corsvcr/corsvcr/browsercheck"
	"github.com/corsvcr/corsvcr/internal/procs/procstest"
)

// TestNewRemovesStaleTempDirs: the temp directory a killed run left (its
// pid gone) is removed by the next New; one of a live process and one
// without a pid in its name stay. The new Browser's directory carries this
// process's pid.
func TestNewRemovesStaleTempDirs(t *testing.T) {
	needChrome(t)
	root := t.TempDir()
	dead := filepath.Join(root, fmt.Sprintf("corsvcr-chrome-%d-111", procstest.DeadPID(t)))
	live := filepath.Join(root, fmt.Sprintf("corsvcr-chrome-%d-222", os.Getpid()))
	legacy := filepath.Join(root, "corsvcr-chrome-333")
	for _, d := range []string{dead, live, legacy} {
		require.NoError(t, os.MkdirAll(filepath.Join(d, "profile", "Default"), 0o700))
		require.NoError(t, os.WriteFile(filepath.Join(d, "profile", "Default", "Cookies"), []byte("x"), 0o600))
	}
	t.Setenv("TMPDIR", root)

	b, err := browsercheck.New(context.Background(), browsercheck.Config{})
	require.NoError(t, err)
	dir := browsercheck.TempDirOf(b)
	require.NoError(t, b.Close())

	assert.NoDirExists(t, dead, "stale: its process is gone")
	assert.DirExists(t, live, "its process runs")
	assert.DirExists(t, legacy, "no pid in its name: not ours to judge")
	assert.Equal(t, root, filepath.Dir(dir))
	assert.True(t, strings.HasPrefix(filepath.Base(dir), fmt.Sprintf("corsvcr-chrome-%d-", os.Getpid())), dir)
}
