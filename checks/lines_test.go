package checks_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/corsvcr/corsvcr/checks"
)

func TestLines(t *testing.T) {
	src := `version: 1
page: http://localhost:8080
checks:
  - name: first
    request: {url: http://localhost:8000/a}

  - request: {url: http://localhost:8000/b}
    name: second
  - name: third
    steps:
      - request: {url: http://localhost:8000/c}
  - request: {url: http://localhost:8000/d}
`
	assert.Equal(t, map[string]int{"first": 4, "second": 7, "third": 9}, checks.Lines([]byte(src)), "the line of each entry, not of its name key")
	assert.Nil(t, checks.Lines([]byte("- not a check file")))
	assert.Nil(t, checks.Lines([]byte(":")))
	path := filepath.Join(t.TempDir(), "c.yaml")
	require.NoError(t, os.WriteFile(path, []byte(src), 0o644))
	lines, err := checks.LoadLines(path)
	require.NoError(t, err)
	assert.Equal(t, 9, lines["third"])
}
