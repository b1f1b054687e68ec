package integration

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/corsvcr/corsvcr/internal/sampleapi"
	"github.com/corsvcr/corsvcr/internal/schematest"
)

// TestCLIShards replays the demo checks in three shards, as three CI jobs
// would: each check runs in exactly one shard, the shards together run the
// whole file, every report says which shard it is (valid by the schema),
// and each shard's verdicts are the unsharded run's.
func TestCLIShards(t *testing.T) {
	dir := t.TempDir()
	checksFile := filepath.Join(dir, "checks.yaml")
	require.NoError(t, os.WriteFile(checksFile, sampleapi.Checks, 0o644))

	whole := corsvcr(t, "check", "--checks", checksFile, "--cassette", demoCassette, "--json")
	require.Equal(t, 0, whole.code, whole.stderr)
	all := map[string]json.RawMessage{}
	for _, c := range rawChecks(t, whole.stdout) {
		all[c.Name] = c.Verdicts
	}

	var ran, shardFiles []string
	for i := 1; i <= 3; i++ {
		shard := fmt.Sprintf("%d/3", i)
		r := corsvcr(t, "check", "--checks", checksFile, "--cassette", demoCassette, "--json", "--shard", shard)
		require.Equal(t, 0, r.code, "shard %s: %s", shard, r.stderr)
		schematest.Validate(t, schematest.Report, []byte(r.stdout))
		shardFile := filepath.Join(dir, fmt.Sprintf("shard-%d.json", i))
		require.NoError(t, os.WriteFile(shardFile, []byte(r.stdout), 0o644))
		shardFiles = append(shardFiles, shardFile)
		var rep struct {
			Shard struct {
				Index, Count, Checks int
				FileChecks           int `json:"file_checks"`
			} `json:"shard"`
		}
		require.NoError(t, json.Unmarshal([]byte(r.stdout), &rep))
		cs := rawChecks(t, r.stdout)
		assert.Equal(t, i, rep.Shard.Index)
		assert.Equal(t, 3, rep.Shard.Count)
		assert.Equal(t, len(cs), rep.Shard.Checks)
		assert.Equal(t, len(all), rep.Shard.FileChecks)
		assert.Contains(t, r.stderr, fmt.Sprintf("corsvcr: shard %s: %d of %d checks", shard, len(cs), len(all)))
		for _, c := range cs {
			assert.NotContains(t, ran, c.Name, "check in two shards")
			ran = append(ran, c.Name)
			assert.JSONEq(t, string(all[c.Name]), string(c.Verdicts), "check %q: sharded verdict", c.Name)
		}
	}
	var want []string
	for name := range all {
		want = append(want, name)
	}
	slices.Sort(want)
	slices.Sort(ran)
	assert.Equal(t, want, ran, "the shards together ran every check once")

	// corsvcr merge puts the shards back together: the whole run's checks,
	// in file order, with their verdicts.
	merged := filepath.Join(dir, "merged.json")
	m := corsvcr(t, append([]string{"merge", "--checks", checksFile, "-o", merged}, shardFiles...)...)
	require.Equal(t, 0, m.code, m.stderr)
	data, err := os.ReadFile(merged)
	require.NoError(t, err)
	assert.Equal(t, rawChecks(t, whole.stdout), rawChecks(t, string(data)), "merged shards vs the unsharded run")
}

type rawCheck struct {
	Name     string          `json:"name"`
	Verdicts json.RawMessage `json:"verdicts"`
}

func rawChecks(t *testing.T, stdout string) []rawCheck {
	t.Helper()
	var rep struct {
		Checks []rawCheck `json:"checks"`
	}
	require.NoError(t, json.Unmarshal([]byte(stdout), &rep), stdout)
	return rep.Checks
}
